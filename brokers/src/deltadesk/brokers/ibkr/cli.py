"""`deltadesk fake-ibkr`: the fake Client Portal gateway with a demo book, to try the IBKR adapter
end to end without an IBKR account. It prints the URL and the environment that points the desk at
it; orders move PreSubmitted → Submitted → Filled as the desk polls them, after one confirmation
question (o163), as a real gateway may ask.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from deltadesk.brokers.ibkr.fake import DEFAULT_ACCOUNT, FakeGateway, GatewayState
from deltadesk.brokers.ibkr.fake.books import seed_demo
from deltadesk.brokers.ibkr.fake.records import PRICE_CONSTRAINT


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "fake-ibkr", help="run a fake IBKR Client Portal gateway (HTTPS, demo book) to try the IBKR adapter"
    )
    parser.add_argument("--port", type=int, default=5000, help="port to serve on (default 5000, IBKR's)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=f"account id (default {DEFAULT_ACCOUNT})")
    parser.add_argument("--empty", action="store_true", help="start with no positions")
    parser.add_argument("--no-questions", action="store_true", help="take orders without a reply message")
    parser.set_defaults(func=cmd_fake_ibkr)


def cmd_fake_ibkr(args: argparse.Namespace) -> int:
    state = GatewayState(args.account, auto_fill=True)
    if not args.empty:
        seed_demo(state)
    if not args.no_questions:
        state.questions = [PRICE_CONSTRAINT]
    try:
        asyncio.run(_serve(state, args.host, args.port))
    except OSError as exc:
        print(f"deltadesk fake-ibkr: cannot serve on {args.host}:{args.port}: {exc}")
        return 1
    return 0


async def _serve(state: GatewayState, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with FakeGateway(state, host=host, port=port) as gateway:
        # A wildcard bind is reached on localhost: the only host whose self-signed certificate the
        # adapter accepts.
        url = gateway.url_for("localhost") if host in ("0.0.0.0", "::", "127.0.0.1", "::1") else gateway.url
        print(f"fake IBKR Client Portal gateway at {url} (self-signed certificate)", flush=True)
        print("point the desk at it with:", flush=True)
        print(f"  DELTADESK_IBKR_ACCOUNT_ID={state.account}", flush=True)
        print(f"  DELTADESK_IBKR_GATEWAY_URL={url}", flush=True)
        print("  DELTADESK_LIVE_TRADING=true   # only to send (fake) orders to it", flush=True)
        print("Ctrl-C stops it.", flush=True)
        await stop.wait()
