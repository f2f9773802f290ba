"""The I/O the paper venue owns: its state in a NATS KV bucket."""
