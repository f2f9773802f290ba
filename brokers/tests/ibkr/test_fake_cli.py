"""`deltadesk fake-ibkr`: a person tries the IBKR adapter end to end without an account."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.cli import register
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.execution.testing import approve_for_test
from deltadesk.shared.orders import LegSpec, Order, OrderLeg, OrderState, OrderType, TimeInForce
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

# The command as the desk's CLI runs it, without needing the entry point installed.
RUN = (
    "import argparse, sys\n"
    "from deltadesk.brokers.ibkr.cli import register\n"
    "parser = argparse.ArgumentParser(prog='deltadesk')\n"
    "register(parser.add_subparsers())\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)


def test_the_command_registers_with_its_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["fake-ibkr", "--port", "5001", "--account", "DU7654321"])
    assert (args.port, args.account, args.empty) == (5001, "DU7654321", False)
    assert callable(args.func)


@pytest.fixture
async def fake_ibkr() -> AsyncIterator[dict[str, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN,
        "fake-ibkr",
        "--port",
        "0",
        "--account",
        "DU7654321",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    env: dict[str, str] = {}
    try:
        while "DELTADESK_IBKR_GATEWAY_URL" not in env:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "deltadesk fake-ibkr ended before printing its URL"
            if "=" in line and line.strip().startswith("DELTADESK_"):
                key, _, value = line.strip().partition("=")
                env[key] = value.split()[0]
        yield env
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(proc.wait(), 15)
            assert code == 0


async def test_the_fake_gateway_serves_a_demo_book_and_fills_an_approved_order(
    fake_ibkr: dict[str, str], tmp_path: Path
) -> None:
    assert fake_ibkr["DELTADESK_IBKR_GATEWAY_URL"].startswith("https://localhost:")
    settings = BrokerSettings(
        _env_file=None,
        ibkr_account_id=fake_ibkr["DELTADESK_IBKR_ACCOUNT_ID"],
        ibkr_gateway_url=fake_ibkr["DELTADESK_IBKR_GATEWAY_URL"],
        live_trading=True,
        ibkr_requests_per_second=10,
    )
    broker = IbkrBroker(settings)
    try:
        positions = await broker.positions("DU7654321")
        assert len(positions) >= 5
        assert any(p.greeks is not None for p in positions if p.instrument.is_option)
        short_put = next(p for p in positions if p.instrument.is_option and p.quantity < 0)
        contract = await broker.resolve(
            LegSpec(
                action="BUY",
                instrument=short_put.instrument,
                underlying=short_put.underlying,
                quantity=1,
                expiry=short_put.expiry,
                strike=short_put.strike,
                right=short_put.right,
                trading_class=short_put.symbol.split()[0] if short_put.instrument.value == "OPT" else None,
            )
        )
        now = datetime.now(UTC)
        order = Order(
            order_id=uuid4(),
            account="DU7654321",
            broker="ibkr",
            legs=(OrderLeg(action="BUY", quantity=1, contract=contract),),
            order_type=OrderType.MARKET,
            limit_price=None,
            tif=TimeInForce.DAY,
            created_at=now,
        )
        order_id = await broker.place(approve_for_test(order, tmp_path / "keys", now))
        assert broker.last_confirmations[0].startswith("o163:")

        async def filled() -> bool:
            return (await broker.status("DU7654321", order_id)).state is OrderState.FILLED

        await eventually(filled, timeout=20, what="the fake to fill the order")
    finally:
        await broker.close()
