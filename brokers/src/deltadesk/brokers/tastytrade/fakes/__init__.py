"""Wire-faithful fakes of Tastytrade for tests and for trying the adapter without an account:

market.py   a small deterministic market (SPX/SPXW, SPY, AAPL, VIX, /ES, /MES and their options)
            and the API's JSON shapes for its instruments, chains and metrics
account.py  one account: positions, balances, orders moving through Tastytrade's statuses,
            preflight rejections (HTTP 422) and fills
api.py      the REST API the SDK calls (FastAPI): OAuth token refresh, `{"data": …}` envelopes,
            dashed keys, `*-effect` fields, fault injection and a log of every request
dxlink.py   the DXLink websocket streamer (SETUP, AUTH, CHANNEL_REQUEST, FEED_SETUP,
            FEED_SUBSCRIPTION, FEED_DATA in COMPACT format, KEEPALIVE); it can drop connections
server.py   both on free local ports, in the caller's event loop
"""
