"""The I/O execution owns: its order records and approval nonces in JetStream key-value buckets."""
