"""Pure rules of the market-data feed: what to quote, when a broker's status changed, how long to wait."""
