"""deltadesk.shared: the domain types, bus, settings and CLI every deltadesk service is built on."""
