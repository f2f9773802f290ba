"""Interactive Brokers through the Client Portal Web API (the local gateway), and a fake of that gateway.

- `adapter.IbkrBroker`: the `Broker` port over the gateway's REST API (async httpx).
- `session.GatewaySession`: authentication, keep-alive, pre-flights, pacing and error mapping.
- `fake`: a FastAPI app speaking the gateway's documented JSON, served over HTTPS for tests and for
  `deltadesk fake-ibkr`.

Nothing is imported here, so importing the fake does not import the adapter and the reverse.
"""
