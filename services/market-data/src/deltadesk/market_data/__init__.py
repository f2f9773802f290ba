"""deltadesk.market_data: polls each broker and publishes positions, balances and quotes."""
