"""The Tastytrade broker on the tastytrade SDK (13.x), and its fakes.

adapter.py      TastytradeBroker: the desk's Broker port (read side, what-if, orders)
session.py      the SDK's OAuth session, pointed at production, the sandbox or a fake
streamer.py     the long-lived DXLink market-data stream (reconnect, resubscribe, chunking)
instruments.py  instruments and option chains, cached, and the choices made over them
parsing.py      positions and balances into the desk's types
orders.py       orders into Tastytrade's terms and its answers back
metrics.py      market metrics (beta, IV rank): also the risk service's first beta source
symbols.py      OCC, streamer, futures and future-option symbology
errors.py       every SDK and HTTP failure mapped to the desk's errors, in one place
fakes/          a wire-faithful fake of the REST API and the DXLink streamer
cli.py          `deltadesk fake-tastytrade`
"""
