"""The I/O the risk service owns: beta sources (Tastytrade, Yahoo, the config file) and config files."""
