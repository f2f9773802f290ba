"""`deltadesk fake-tastytrade`: the fake Tastytrade (REST API and DXLink streamer) on local ports, to
try the Tastytrade adapter, or the whole desk, without an account.

    deltadesk fake-tastytrade            serve until Ctrl-C; print the settings that point the desk at it
    deltadesk fake-tastytrade --try      start it, run the real adapter through every read call and a
                                         what-if (a dry run), print what came back as JSON, and stop

Orders sent to it are filled when next read (`--no-auto-fill` leaves them working).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from decimal import Decimal
from typing import Any
from uuid import uuid4

from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.server import PROVIDER_SECRET, REFRESH_TOKEN, FakeTastytrade
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec, Order, OrderLeg, OrderType, TimeInForce


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "fake-tastytrade", help="serve a fake Tastytrade API and DXLink streamer locally, to try the adapter"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="REST API port (default: a free one)")
    parser.add_argument(
        "--dxlink-port", type=int, default=0, help="DXLink streamer port (default: a free one)"
    )
    parser.add_argument("--account", default="5WT00001", help="the fake account's number")
    parser.add_argument("--empty", action="store_true", help="start with no positions (default: a demo book)")
    parser.add_argument("--no-auto-fill", action="store_true", help="leave submitted orders working")
    parser.add_argument(
        "--try", dest="try_adapter", action="store_true", help="run the adapter against it and exit"
    )
    parser.set_defaults(func=cmd_fake_tastytrade)


def cmd_fake_tastytrade(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except OSError as exc:
        print(f"fake-tastytrade: cannot serve: {exc}", file=sys.stderr)
        return 1


async def _main(args: argparse.Namespace) -> int:
    fake = FakeTastytrade(
        account_number=args.account, host=args.host, api_port=args.port, dxlink_port=args.dxlink_port
    )
    fake.account.auto_fill = not args.no_auto_fill
    if not args.empty:
        fake.hold_demo_book()
    async with fake:
        if args.try_adapter:
            print(json.dumps(await tour(fake), indent=2, default=str))
            return 0
        print(f"fake Tastytrade API on {fake.api_url}, DXLink on {fake.dxlink_url}", file=sys.stderr)
        print("point the desk at it with:", file=sys.stderr)
        for name, value in (
            ("DELTADESK_TASTYTRADE_ACCOUNT_ID", fake.account.number),
            ("DELTADESK_TASTYTRADE_PROVIDER_SECRET", PROVIDER_SECRET),
            ("DELTADESK_TASTYTRADE_REFRESH_TOKEN", REFRESH_TOKEN),
            ("DELTADESK_TASTYTRADE_API_URL", fake.api_url),
        ):
            print(f"{name}={value}", flush=True)
        await _until_signalled()
    return 0


async def tour(fake: FakeTastytrade) -> dict[str, Any]:
    """Every read call of the adapter once, and a what-if of selling one put off the chain."""
    broker = TastytradeBroker(fake.settings())
    account = fake.account.number
    try:
        expiries = await broker.expiries("SPX", InstrumentType.OPT)
        chain = await broker.chain("SPX", expiries[0], InstrumentType.OPT)
        row = chain.rows[len(chain.rows) // 3]
        if row.put is None:
            raise RuntimeError("the fake's chain has no put")
        put = await broker.resolve(
            LegSpec(
                action=Action.SELL,
                instrument=InstrumentType.OPT,
                underlying="SPX",
                quantity=1,
                expiry=expiries[0],
                strike=row.strike,
                right=Right.PUT,
                trading_class=row.put.contract.trading_class,
            )
        )
        order = Order(
            order_id=uuid4(),
            account=account,
            broker=broker.name,
            legs=(OrderLeg(action=Action.SELL, quantity=1, contract=put),),
            order_type=OrderType.LIMIT,
            limit_price=-(row.put.bid or Decimal("1.00")),  # a credit
            tif=TimeInForce.DAY,
            created_at=fake.clock(),
        )
        return {
            "balances": (await broker.balances(account)).model_dump(mode="json"),
            "positions": [p.model_dump(mode="json") for p in await broker.positions(account)],
            "quotes": [q.model_dump(mode="json") for q in await broker.quotes(["SPX", "VIX", "SPY", "AAPL"])],
            "front_month_es": (await broker.front_month("/ES")).model_dump(mode="json"),
            "spx_expiries": [e.isoformat() for e in expiries],
            "spx_chain": {"expiry": chain.expiry.isoformat(), "strikes": len(chain.rows)},
            "resolved_put": put.model_dump(mode="json"),
            "whatif_sell_put": (await broker.whatif(order)).model_dump(mode="json"),
            "market_metrics": [
                m.model_dump(mode="json") for m in await broker.market_metrics(["SPY", "AAPL"])
            ],
        }
    finally:
        await broker.close()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
