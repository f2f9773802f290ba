"""deltadesk.execution: simulates orders, verifies approvals, runs pre-trade controls, transmits, tracks."""
