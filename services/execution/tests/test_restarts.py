"""Restart and connection safety on real NATS: a crash mid-order loses nothing and transmits nothing
twice; a lost answer is UNKNOWN and reconciled, never re-sent; a rejection records no fill."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from deltadesk.execution.adapters.order_store import OrderStore
from deltadesk.execution.domain.record import (
    UNKNOWN_REASON,
    OrderRecord,
    approved,
    simulated,
    submitted,
    tracked,
)
from deltadesk.execution.domain.record import draft as draft_record
from deltadesk.execution.testing import (
    ExecutionHarness,
    FillBehaviour,
    PlaceBehaviour,
    short_put,
    simulate_for_test,
)
from deltadesk.shared.bus import Bus
from deltadesk.shared.events import OrderDenied
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Approval,
    BrokerOrderStatus,
    Contract,
    Execution,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
S = OrderState


async def approved_order(desk: ExecutionHarness) -> UUID:
    draft = await desk.create(short_put())
    await desk.approve(await desk.simulate(draft.order.order_id))
    return draft.order.order_id


async def test_a_restart_while_an_order_works_loses_nothing(desk: ExecutionHarness) -> None:
    desk.broker.fill_behaviour = FillBehaviour.HOLD
    order_id = await approved_order(desk)
    submitted = await desk.state(order_id, S.SUBMITTED)
    await desk.kill()
    desk.broker.fill_rest(submitted.broker_order_id or "")  # it fills while execution is down
    await desk.start()
    filled = await desk.state(order_id, S.FILLED)
    assert filled.broker_order_id == submitted.broker_order_id
    await eventually(lambda: desk.recorded.filled(order_id), what="the fill")
    assert len(desk.recorded.filled(order_id)) == 1
    assert len(desk.broker.placed) == 1


async def test_a_crash_between_the_transmit_marker_and_the_brokers_answer_sends_nothing_twice(
    desk: ExecutionHarness,
) -> None:
    desk.broker.place_gate = asyncio.Event()  # the broker takes the order and never answers
    order_id = await approved_order(desk)
    await eventually(lambda: desk.broker.orders, what="the broker holding the order")
    assert (await desk.order(order_id)).state is S.APPROVED
    await desk.kill()

    desk.broker.place_gate = None
    await desk.start()
    filled = await desk.state(order_id, S.FILLED)  # found by its client order id, then tracked
    assert filled.broker_order_id == "B1"
    assert len(desk.broker.placed) == 1
    assert S.UNKNOWN not in await desk.states_until(order_id, S.FILLED)

    # the approval was never acked: JetStream redelivers it, and it is refused, not obeyed
    def replayed() -> list[OrderDenied]:
        return [d for d in desk.recorded.denied(order_id) if d.code == "NONCE_REUSED"]

    await eventually(replayed, what="the redelivered approval refused")
    assert len(desk.broker.placed) == 1


async def test_a_crash_before_the_broker_took_the_order_is_unknown_and_never_resent(
    desk: ExecutionHarness,
) -> None:
    desk.broker.place_gate = asyncio.Event()
    desk.broker.gate_before_taking = True
    order_id = await approved_order(desk)
    await eventually(lambda: desk.broker.placed, what="place called")
    await desk.kill()

    desk.broker.place_gate = None
    await desk.start()
    unknown = await desk.state(order_id, S.UNKNOWN)
    assert unknown.reason is not None
    assert unknown.reason.startswith(UNKNOWN_REASON)
    assert len(desk.broker.placed) == 1
    assert desk.broker.orders == {}

    closed = await desk.cancel(order_id)  # the trader verified it at the broker and closes it
    assert closed.state is S.CANCELLED
    assert closed.reason is not None
    assert "not found at the broker" in closed.reason
    assert len(desk.broker.placed) == 1


async def test_a_connection_lost_in_flight_is_unknown_then_reconciled(desk: ExecutionHarness) -> None:
    desk.broker.place_behaviour = PlaceBehaviour.LOSE_AFTER
    order_id = await approved_order(desk)
    states = await desk.states_until(order_id, S.FILLED)
    assert states[-2:] == [S.UNKNOWN, S.FILLED]
    unknown = next(e for e in desk.recorded.orders if e.order.order_id == order_id and e.state is S.UNKNOWN)
    assert unknown.reason is not None
    assert unknown.reason.startswith("Order status unknown — verify in broker platform")
    assert len(desk.broker.placed) == 1


async def test_an_answer_that_never_comes_is_unknown_and_not_retried(desk: ExecutionHarness) -> None:
    desk.broker.place_behaviour = PlaceBehaviour.LOSE_BEFORE
    order_id = await approved_order(desk)
    unknown = await desk.state(order_id, S.UNKNOWN)
    assert unknown.code == "ORDER_STATE_UNKNOWN"
    # the tracker keeps asking the broker by client order id; it never places again
    await eventually(lambda: len(desk.broker.placed) == 1, what="one transmission")
    assert (await desk.order(order_id)).state is S.UNKNOWN


async def test_a_broker_rejection_is_rejected_with_its_reason_and_no_fill(desk: ExecutionHarness) -> None:
    desk.broker.place_behaviour = PlaceBehaviour.REJECT
    desk.broker.reject_reason = "Order rejected: insufficient buying power (needs 58,000.00)"
    order_id = await approved_order(desk)
    rejected = await desk.state(order_id, S.REJECTED)
    assert rejected.code == "BROKER_REJECTED"
    assert rejected.reason == desk.broker.reject_reason
    assert rejected.filled_quantity == 0
    assert desk.recorded.filled(order_id) == []
    assert desk.recorded.denied(order_id) == []  # the broker said no: not a pre-trade denial


async def test_a_graceful_stop_waits_for_the_brokers_answer(desk: ExecutionHarness) -> None:
    gate = asyncio.Event()
    desk.broker.place_gate = gate
    order_id = await approved_order(desk)
    await eventually(lambda: desk.broker.orders, what="the broker holding the order")
    stopping = asyncio.create_task(desk.stop())
    await asyncio.sleep(0)  # let the stop begin before the broker answers
    gate.set()
    await asyncio.wait_for(stopping, 30)

    desk.broker.place_gate = None
    await desk.start()
    filled = await desk.state(order_id, S.FILLED)
    assert filled.broker_order_id == "B1"
    assert S.UNKNOWN not in await desk.states_until(order_id, S.FILLED)


async def test_a_broker_unavailable_at_transmission_that_never_saw_the_order_is_not_sent(
    desk: ExecutionHarness,
) -> None:
    desk.broker.place_behaviour = PlaceBehaviour.UNAVAILABLE
    order_id = await approved_order(desk)
    rejected = await desk.state(order_id, S.REJECTED)
    assert rejected.code == "BROKER_UNAVAILABLE"
    assert rejected.reason is not None
    assert "not sent" in rejected.reason
    assert len(desk.broker.placed) == 1


async def test_events_a_crash_left_unpublished_are_published_on_start(
    make_desk: Callable[..., Awaitable[ExecutionHarness]], bus_factory: Callable[[str], Awaitable[Bus]]
) -> None:
    """A record saved with events still in its outbox (the process died before publishing them)."""
    desk = await make_desk()
    now = datetime.now(UTC)
    record = draft_record(spy_order(now), now=now, event_id=uuid4())
    record = simulated(record, simulate_for_test(record.order, now), now=now, event_id=uuid4())
    record = approved(record, approval_for(record, now), now=now, event_id=uuid4())
    record = submitted(record, "B7", now=now, event_id=uuid4())
    fill = Execution(
        execution_id="B7-X1",
        broker_order_id="B7",
        symbol=record.order.legs[0].contract.symbol,
        action=Action.SELL,
        quantity=Decimal(1),
        price=Decimal("2.40"),
        executed_at=now,
    )
    status = BrokerOrderStatus(broker_order_id="B7", state=S.FILLED, updated_at=now)
    record = tracked(record, status, [fill], now=now, new_id=uuid4)
    assert record.state is S.FILLED
    store = await OrderStore.open((await bus_factory("execution")).js)
    await store.create(record)

    async with desk:
        order_id = record.order_id
        states = await desk.states_until(order_id, S.FILLED)
        assert states == [S.DRAFT, S.SIMULATED, S.APPROVED, S.SUBMITTED, S.FILLED]
        (published,) = await eventually(lambda: desk.recorded.filled(order_id), what="the fill")
        assert published.fill_id == "B7-X1"
        stored = await (await OrderStore.open(desk.gateway.js)).fetch(order_id)
        assert stored.outbox == ()
        assert desk.broker.placed == []  # a filled order is never sent by a restart


def spy_order(now: datetime) -> Order:
    contract = Contract(
        symbol="SPY   261218P00580000",
        underlying="SPY",
        instrument=InstrumentType.OPT,
        multiplier=Decimal(100),
        expiry=date(2026, 12, 18),
        strike=Decimal(580),
        right=Right.PUT,
    )
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.SELL, quantity=1, contract=contract),),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("-2.40"),
        tif=TimeInForce.DAY,
        created_at=now,
    )


def approval_for(record: OrderRecord, now: datetime) -> Approval:
    assert record.simulation is not None
    return Approval(
        approval_id=uuid4(),
        order_id=record.order_id,
        simulation_id=record.simulation.simulation_id,
        order_hash=record.simulation.order_hash,
        nonce=uuid4().hex,
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
        user="trader",
    )
