"""deltadesk.gateway: the web page and its JSON API, bridging the bus to the browser."""
