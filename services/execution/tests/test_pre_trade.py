"""Pre-trade controls and the trading state on real NATS: every denial code reaches the audit stream
and the order's REJECTED event; the kill switch halts and releases; REDUCING follows a delta breach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.execution.service import BREACHES_DURABLE
from deltadesk.execution.testing import ExecutionHarness, FakeBroker, long_put, short_put
from deltadesk.shared.bus import Bus
from deltadesk.shared.events import LimitBreached, OrderDenied, TradingState
from deltadesk.shared.orders import LegSpec, OrderState
from deltadesk.shared.subjects import EXEC_AUDIT, EXEC_STATE, EXEC_STREAM, RISK_LIMIT_BREACHED, RISK_STREAM
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
S = OrderState
BusFactory = Callable[[str], Awaitable[Bus]]
MakeDesk = Callable[..., Awaitable[ExecutionHarness]]


async def submit(desk: ExecutionHarness, *legs: LegSpec, limit: str | None = "-2.40") -> Any:
    draft = await desk.create(*legs, limit=limit)
    simulation = await desk.simulate(draft.order.order_id)
    await desk.approve(simulation)
    return draft.order.order_id


async def rejected_with(desk: ExecutionHarness, order_id: Any, code: str) -> OrderDenied:
    shown = await desk.state(order_id, S.REJECTED)
    assert shown.code == code
    assert shown.reason
    assert shown.reason.startswith(code)
    event = await eventually(lambda: desk.recorded.denied(order_id), what="the denial event")
    assert event[-1].code == code
    assert event[-1].stage == "pre_trade"
    on_stream = await stream_denials(desk.gateway)
    assert code in {d.code for d in on_stream if d.order_id == order_id}
    states = await desk.states_until(order_id, S.REJECTED)
    assert S.APPROVED not in states  # denied before anything was marked for transmission
    return event[-1]


async def stream_denials(bus: Bus) -> list[OrderDenied]:
    sub = await bus.js.subscribe(EXEC_AUDIT.wildcard(), stream=EXEC_STREAM.name, ordered_consumer=True)
    found: list[OrderDenied] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.2)
            except TimeoutError:
                return found
            found.append(OrderDenied.model_validate_json(msg.data))
    finally:
        await sub.unsubscribe()


@pytest.mark.parametrize(
    ("settings", "legs", "limit", "code", "numbers"),
    [
        (
            {"exec_max_notional_per_order": 50_000},
            (short_put(),),
            "-2.40",
            "NOTIONAL_EXCEEDS_MAX",
            "60000.00",
        ),
        (
            {"exec_max_contracts_per_order": 1},
            (short_put(quantity=2),),
            "-2.40",
            "QUANTITY_EXCEEDS_MAX",
            "=2",
        ),
        ({"exec_max_legs": 1}, (short_put(), long_put()), "-1.00", "MAX_LEGS_EXCEEDED", "legs=2"),
        ({}, (short_put(),), "-9.00", "PRICE_OUTSIDE_COLLAR", "mid=-2.4"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isupper() else "",
)
async def test_an_order_beyond_a_limit_is_denied_with_its_code_and_numbers(
    make_desk: MakeDesk,
    settings: dict[str, Any],
    legs: tuple[LegSpec, ...],
    limit: str,
    code: str,
    numbers: str,
) -> None:
    async with await make_desk(**settings) as desk:
        order_id = await submit(desk, *legs, limit=limit)
        denied = await rejected_with(desk, order_id, code)
        assert numbers in denied.reason
        assert desk.broker.placed == []


async def test_the_same_order_twice_in_the_window_is_a_duplicate(desk: ExecutionHarness) -> None:
    first = await submit(desk)
    await desk.state(first, S.FILLED)
    second = await submit(desk)
    await rejected_with(desk, second, "DUPLICATE_ORDER")
    assert len(desk.broker.placed) == 1


async def test_too_many_orders_in_a_minute_are_refused(make_desk: MakeDesk) -> None:
    async with await make_desk(exec_max_orders_per_minute=1) as desk:
        first = await submit(desk, short_put("580"))
        await desk.state(first, S.FILLED)
        second = await submit(desk, short_put("570"))
        denied = await rejected_with(desk, second, "RATE_LIMIT_EXCEEDED")
        assert "max_orders_per_minute=1" in denied.reason
        assert len(desk.broker.placed) == 1


@pytest.mark.parametrize("broker", [FakeBroker("ibkr")], ids=["ibkr"])
async def test_a_real_broker_without_live_trading_is_refused(make_desk: MakeDesk, broker: FakeBroker) -> None:
    async with await make_desk() as desk:
        order_id = await submit(desk)
        denied = await rejected_with(desk, order_id, "LIVE_TRADING_DISABLED")
        assert "broker=ibkr" in denied.reason
        assert broker.placed == []


@pytest.mark.parametrize("broker", [FakeBroker("ibkr")], ids=["ibkr"])
async def test_a_real_broker_with_live_trading_on_transmits(make_desk: MakeDesk, broker: FakeBroker) -> None:
    async with await make_desk(live_trading=True) as desk:
        order_id = await submit(desk)
        await desk.state(order_id, S.FILLED)
        assert len(broker.placed) == 1


async def test_no_market_at_approval_denies_naming_the_brokers_error(desk: ExecutionHarness) -> None:
    draft = await desk.create(short_put())
    simulation = await desk.simulate(draft.order.order_id)
    desk.broker.down = True
    await desk.approve(simulation)
    denied = await rejected_with(desk, draft.order.order_id, "MARKET_DATA_UNAVAILABLE")
    assert "broker_unavailable" in denied.reason


# ── the kill switch and the trading state ───────────────────────────────────────────────────────
async def test_the_kill_switch_denies_approvals_until_released(desk: ExecutionHarness) -> None:
    halted = await desk.set_state(TradingState.HALTED, "flash crash")
    assert halted.state is TradingState.HALTED
    assert halted.changed_by == "trader"
    order_id = await submit(desk)
    await rejected_with(desk, order_id, "TRADING_HALTED")
    assert desk.broker.placed == []

    await desk.set_state(TradingState.ACTIVE, "all clear")
    released = await submit(desk, short_put("570"))
    await desk.state(released, S.FILLED)
    assert len(desk.broker.placed) == 1


async def test_the_kill_switch_survives_a_restart(desk: ExecutionHarness) -> None:
    await desk.set_state(TradingState.HALTED, "weekend")
    await desk.kill()
    await desk.start()
    order_id = await submit(desk)
    await rejected_with(desk, order_id, "TRADING_HALTED")
    latest = await desk.gateway.latest(EXEC_STATE)
    assert latest is not None
    assert latest.state is TradingState.HALTED


async def test_reducing_lets_a_hedge_through_and_denies_more_exposure(desk: ExecutionHarness) -> None:
    await desk.set_state(TradingState.REDUCING, "delta too long")
    # the book is +100 SPX delta: a short put adds delta, a long put takes it away
    adds = await submit(desk, short_put("580"))
    denied = await rejected_with(desk, adds, "REDUCE_ONLY")
    assert "pre_trade=100.00" in denied.reason
    hedge = await submit(desk, long_put("575"), limit="2.40")
    await desk.state(hedge, S.FILLED)


async def test_a_delta_breach_enters_reducing_when_configured(
    make_desk: MakeDesk, bus_factory: BusFactory
) -> None:
    async with await make_desk(exec_reducing_on_delta_breach=True) as desk:
        risk = await bus_factory("risk")
        breach = LimitBreached(
            event_id=uuid4(),
            occurred_at=datetime.now(UTC),
            account="PAPER",
            limit="max_portfolio_delta",
            threshold=300.0,
            actual=342.5,
            regime="normal",
            description="SPX delta beyond 300",
        )
        await risk.publish(RISK_LIMIT_BREACHED, breach, account="PAPER")

        async def reducing() -> Any:
            latest = await desk.gateway.latest(EXEC_STATE)
            return latest if latest is not None and latest.state is TradingState.REDUCING else None

        state = await eventually(reducing, what="REDUCING")
        assert "342.5" in state.reason
        assert state.changed_by == "risk"


async def test_a_delta_breach_does_not_release_a_halted_desk(
    make_desk: MakeDesk, bus_factory: BusFactory
) -> None:
    async with await make_desk(exec_reducing_on_delta_breach=True) as desk:
        await desk.set_state(TradingState.HALTED, "kill switch")
        risk = await bus_factory("risk")
        for limit in ("max_portfolio_delta", "min_theta"):
            breach = LimitBreached(
                event_id=uuid4(),
                occurred_at=datetime.now(UTC),
                account="PAPER",
                limit=limit,
                threshold=300.0,
                actual=342.5,
                regime=None,
                description="",
            )
            await risk.publish(RISK_LIMIT_BREACHED, breach, account="PAPER")
        await eventually(lambda: breaches_handled(desk.gateway, 2), what="both breaches handled")
        latest = await desk.gateway.latest(EXEC_STATE)
        assert latest is not None
        assert latest.state is TradingState.HALTED
        order_id = await submit(desk)
        await rejected_with(desk, order_id, "TRADING_HALTED")


async def breaches_handled(bus: Bus, count: int) -> bool:
    info = await bus.js.consumer_info(RISK_STREAM.name, BREACHES_DURABLE)
    return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= count
