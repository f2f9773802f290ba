"""The I/O the journal owns: PostgreSQL (with TimescaleDB when present) and its migrations."""
