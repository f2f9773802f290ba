"""The journal's pure core: no I/O, no clock, no bus; plain data in, plain data out."""
