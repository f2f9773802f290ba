"""`deltadesk kill-switch` and `deltadesk orders` as a trader runs them: a real process against a running
execution service, one clear line on failure."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.execution.cli import blotter
from deltadesk.execution.testing import ExecutionHarness, short_put
from deltadesk.shared.commands import OrderView
from deltadesk.shared.events import TradingState
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import (
    Action,
    Contract,
    LegFill,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.subjects import EXEC_STATE

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


async def deltadesk(*args: str, nats_url: str | None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTADESK_")}
    if nats_url is not None:
        env["DELTADESK_NATS_URL"] = nats_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deltadesk.shared.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.integration
async def test_the_kill_switch_from_the_command_line_halts_and_releases(
    desk: ExecutionHarness, nats_url: str
) -> None:
    code, out, err = await deltadesk("kill-switch", "on", "--reason", "flash crash", nats_url=nats_url)
    assert (code, err) == (0, "")
    assert out.startswith("HALTED since ")
    assert "flash crash" in out
    latest = await desk.gateway.latest(EXEC_STATE)
    assert latest is not None
    assert latest.state is TradingState.HALTED

    code, out, _ = await deltadesk("kill-switch", "status", nats_url=nats_url)
    assert code == 0
    assert out.startswith("HALTED")

    code, out, _ = await deltadesk("kill-switch", "off", nats_url=nats_url)
    assert code == 0
    assert out.startswith("ACTIVE since ")
    latest = await desk.gateway.latest(EXEC_STATE)
    assert latest is not None
    assert latest.state is TradingState.ACTIVE


@pytest.mark.integration
async def test_the_blotter_from_the_command_line_lists_the_orders(
    desk: ExecutionHarness, nats_url: str
) -> None:
    draft = await desk.create(short_put())
    code, out, err = await deltadesk("orders", nats_url=nats_url)
    assert (code, err) == (0, "")
    assert draft.order.order_id.hex[:8] in out
    assert "DRAFT" in out
    assert "SELL 1 SPY" in out


async def test_without_a_nats_url_the_command_says_so_in_one_line() -> None:
    code, out, err = await deltadesk("kill-switch", "status", nats_url=None)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "DELTADESK_NATS_URL" in err
    assert "Traceback" not in err


@pytest.mark.integration
async def test_without_execution_running_the_command_says_so_in_one_line(nats_url: str) -> None:
    code, _, err = await deltadesk("kill-switch", "on", nats_url=nats_url)
    assert code == 1
    assert err.count("\n") == 1
    assert "execution service does not answer" in err


def test_the_blotter_shows_each_order_with_its_reason() -> None:
    contract = Contract(
        symbol="/ESZ6", underlying="/ES", instrument=InstrumentType.FUT, multiplier=Decimal(50)
    )
    order = Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.BUY, quantity=2, contract=contract),),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("6000.25"),
        tif=TimeInForce.DAY,
        created_at=NOW,
    )
    view = OrderView(
        order=order,
        state=OrderState.REJECTED,
        filled_quantity=Decimal(0),
        legs=(LegFill(symbol="/ESZ6", action=Action.BUY, quantity=Decimal(0), ordered=Decimal(2)),),
        code="BROKER_REJECTED",
        reason="insufficient buying power",
        updated_at=NOW,
    )
    lines = blotter((view,)).splitlines()
    assert lines[0].split()[:4] == ["CREATED", "ORDER", "ACCOUNT", "STATE"]
    assert "REJECTED" in lines[1]
    assert "BUY 2 /ESZ6" in lines[1]
    assert "6000.25" in lines[1]
    assert "0/2" in lines[1]
    assert lines[2].strip() == "↳ BROKER_REJECTED: insufficient buying power"
    assert blotter(()) == "no orders"
