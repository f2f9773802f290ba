"""deltadesk.risk: beta-weights positions into the SPX-equivalent Greeks and watches the limits."""
