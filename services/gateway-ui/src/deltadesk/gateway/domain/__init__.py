"""The gateway's pure core: what the page shows, decided from plain data; no I/O, no clock, no bus."""
