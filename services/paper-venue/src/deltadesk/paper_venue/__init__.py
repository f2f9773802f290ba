"""deltadesk.paper_venue: the simulated market and paper accounts behind the paper broker."""
