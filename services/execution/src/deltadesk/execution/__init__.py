"""deltadesk.execution: simulates orders, verifies approvals, applies pre-trade controls, transmits and tracks."""
