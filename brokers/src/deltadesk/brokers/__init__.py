"""deltadesk.brokers: the Broker implementations (paper, Interactive Brokers, Tastytrade) and broker fakes."""
