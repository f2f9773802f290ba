"""deltadesk.journal: owns the database; journals fills with their context and snapshots the account."""
