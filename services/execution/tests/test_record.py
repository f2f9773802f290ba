"""Order records: each step's new state, its outbox events, and tracking against the broker's word."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from deltadesk.execution.domain.controls import Denial
from deltadesk.execution.domain.record import (
    UNKNOWN_REASON,
    OrderRecord,
    PendingDenial,
    PendingFill,
    PendingState,
    approved,
    broker_rejected,
    denied,
    discarded,
    draft,
    lost,
    not_sent,
    published,
    simulated,
    submitted,
    tracked,
    transmissions,
    view,
)
from deltadesk.execution.domain.states import IllegalTransition
from deltadesk.execution.testing import simulate_for_test
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

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SHORT = Contract(
    symbol="SPY   261218P00580000",
    underlying="SPY",
    instrument=InstrumentType.OPT,
    multiplier=Decimal(100),
    expiry=date(2026, 12, 18),
    strike=Decimal(580),
    right=Right.PUT,
)
LONG = SHORT.model_copy(update={"symbol": "SPY   261218P00575000", "strike": Decimal(575)})


def ids() -> Callable[[], UUID]:
    counter = itertools.count(1)
    return lambda: UUID(int=next(counter))


def spread() -> Order:
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(
            OrderLeg(action=Action.SELL, quantity=2, contract=SHORT),
            OrderLeg(action=Action.BUY, quantity=2, contract=LONG),
        ),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("-1.00"),
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


def approval_of(record: OrderRecord) -> Approval:
    assert record.simulation is not None
    return Approval(
        approval_id=uuid4(),
        order_id=record.order_id,
        simulation_id=record.simulation.simulation_id,
        order_hash=record.simulation.order_hash,
        nonce="n" * 32,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
        user="trader",
    )


def at_state(state: OrderState) -> OrderRecord:
    """A record walked through the lifecycle to `state`, outbox emptied."""
    new_id = ids()
    record = draft(spread(), now=NOW, event_id=new_id())
    record = simulated(record, simulate_for_test(record.order, NOW), now=NOW, event_id=new_id())
    if state in (OrderState.APPROVED, OrderState.SUBMITTED, OrderState.UNKNOWN):
        record = approved(record, approval_of(record), now=NOW, event_id=new_id())
    if state is OrderState.SUBMITTED:
        record = submitted(record, "B1", now=NOW, event_id=new_id())
    if state is OrderState.UNKNOWN:
        record = lost(record, now=NOW, event_id=new_id())
    assert record.state is state
    return published(record, [p.event.event_id for p in record.outbox])


def states(record: OrderRecord) -> list[OrderState]:
    return [p.event.state for p in record.outbox if isinstance(p, PendingState)]


def fills(record: OrderRecord) -> list[PendingFill]:
    return [p for p in record.outbox if isinstance(p, PendingFill)]


def execution(exec_id: str, contract: Contract, action: Action, quantity: int, price: str) -> Execution:
    return Execution(
        execution_id=exec_id,
        broker_order_id="B1",
        symbol=contract.symbol,
        action=action,
        quantity=Decimal(quantity),
        price=Decimal(price),
        executed_at=NOW,
    )


def status(state: OrderState, reason: str | None = None) -> BrokerOrderStatus:
    return BrokerOrderStatus(broker_order_id="B1", state=state, reason=reason, updated_at=NOW)


FULL = [execution("e1", SHORT, Action.SELL, 2, "2.40"), execution("e2", LONG, Action.BUY, 2, "1.40")]


# ── the order path's steps ──────────────────────────────────────────────────────────────────────
def test_a_draft_announces_itself_with_every_leg_unfilled() -> None:
    record = draft(spread(), now=NOW, event_id=uuid4())
    assert record.state is OrderState.DRAFT
    assert states(record) == [OrderState.DRAFT]
    assert [leg.quantity for leg in record.legs] == [0, 0]
    assert record.history[0].trigger is None


def test_simulating_stores_the_simulation_and_may_repeat() -> None:
    record = at_state(OrderState.SIMULATED)
    again = simulate_for_test(record.order, NOW)
    record = simulated(record, again, now=NOW, event_id=uuid4())
    assert record.state is OrderState.SIMULATED
    assert record.simulation == again
    (event,) = [p.event for p in record.outbox if isinstance(p, PendingState)]
    assert event.simulation_id == again.simulation_id
    assert event.previous_state is OrderState.SIMULATED


def test_approving_sets_the_transmit_marker_with_the_approval() -> None:
    record = at_state(OrderState.SIMULATED)
    approval = approval_of(record)
    record = approved(record, approval, now=NOW, event_id=uuid4())
    assert record.state is OrderState.APPROVED
    assert record.transmit is not None
    assert record.transmit.approval_id == approval.approval_id
    assert record.working


def test_an_order_is_approved_once() -> None:
    record = at_state(OrderState.APPROVED)
    with pytest.raises(ValueError, match="transmitted already"):
        approved(record, approval_of(record), now=NOW, event_id=uuid4())


def test_a_denial_rejects_the_simulated_order_and_is_audited() -> None:
    record = at_state(OrderState.SIMULATED)
    denial = Denial("NOTIONAL_EXCEEDS_MAX", "NOTIONAL_EXCEEDS_MAX: max_notional=1.00, notional=2.00")
    record = denied(record, denial, stage="pre_trade", now=NOW, new_id=ids())
    assert record.state is OrderState.REJECTED
    assert (record.code, record.reason) == (denial.code, denial.reason)
    audit, state = record.outbox
    assert isinstance(audit, PendingDenial)
    assert audit.event.code == "NOTIONAL_EXCEEDS_MAX"
    assert audit.event.stage == "pre_trade"
    assert isinstance(state, PendingState)
    assert state.event.code == "NOTIONAL_EXCEEDS_MAX"
    assert state.event.reason == denial.reason


@pytest.mark.parametrize("state", [OrderState.APPROVED, OrderState.SUBMITTED, OrderState.UNKNOWN])
def test_a_denial_of_an_order_already_on_its_way_is_audited_and_changes_nothing(state: OrderState) -> None:
    record = at_state(state)
    after = denied(record, Denial("NONCE_REUSED", "used"), stage="approval", now=NOW, new_id=ids())
    assert after.state is state
    assert [type(p) for p in after.outbox] == [PendingDenial]


def test_a_broker_rejection_keeps_the_brokers_words() -> None:
    record = broker_rejected(
        at_state(OrderState.APPROVED), "insufficient buying power", now=NOW, event_id=uuid4()
    )
    assert record.state is OrderState.REJECTED
    assert record.code == "BROKER_REJECTED"
    assert record.reason == "insufficient buying power"
    assert not fills(record)


def test_an_order_the_broker_never_received_is_rejected_as_not_sent() -> None:
    record = not_sent(at_state(OrderState.APPROVED), "not sent: gateway down", now=NOW, event_id=uuid4())
    assert record.state is OrderState.REJECTED
    assert record.code == "BROKER_UNAVAILABLE"
    assert not fills(record)


def test_a_lost_answer_is_unknown_with_the_words_the_trader_sees() -> None:
    record = lost(at_state(OrderState.APPROVED), now=NOW, event_id=uuid4())
    assert record.state is OrderState.UNKNOWN
    assert record.reason == UNKNOWN_REASON


def test_a_working_order_cannot_be_discarded() -> None:
    with pytest.raises(IllegalTransition):
        discarded(at_state(OrderState.SUBMITTED), "no", now=NOW, event_id=uuid4())


# ── tracking ────────────────────────────────────────────────────────────────────────────────────
def test_nothing_new_from_the_broker_returns_the_same_record() -> None:
    record = at_state(OrderState.SUBMITTED)
    assert tracked(record, status(OrderState.SUBMITTED), [], now=NOW, new_id=ids()) is record


def test_a_full_fill_is_one_fill_event_then_filled() -> None:
    record = tracked(at_state(OrderState.SUBMITTED), status(OrderState.FILLED), FULL, now=NOW, new_id=ids())
    assert record.state is OrderState.FILLED
    (fill,) = fills(record)
    assert fill.event.order_state is OrderState.FILLED
    assert fill.event.quantity == 2
    assert fill.event.net_debit_credit == Decimal(-200)
    assert states(record) == [OrderState.FILLED]
    assert record.filled_quantity == 2


def test_the_same_executions_seen_again_make_no_second_fill() -> None:
    once = tracked(
        at_state(OrderState.SUBMITTED), status(OrderState.PARTIAL), FULL[:1], now=NOW, new_id=ids()
    )
    once = published(once, [p.event.event_id for p in once.outbox])
    twice = tracked(once, status(OrderState.PARTIAL), FULL[:1], now=NOW, new_id=ids())
    assert twice is once


def test_a_partial_fill_stays_partial_with_its_unfilled_leg_visible() -> None:
    record = tracked(
        at_state(OrderState.SUBMITTED), status(OrderState.PARTIAL), FULL[:1], now=NOW, new_id=ids()
    )
    assert record.state is OrderState.PARTIAL
    (event,) = [p.event for p in record.outbox if isinstance(p, PendingState)]
    short, long = event.legs
    assert (short.quantity, short.ordered) == (2, 2)
    assert (long.quantity, long.ordered) == (0, 2)
    assert fills(record)[0].event.order_state is OrderState.PARTIAL


def test_more_of_a_partial_order_filling_is_news_then_it_completes() -> None:
    record = tracked(
        at_state(OrderState.SUBMITTED), status(OrderState.PARTIAL), FULL[:1], now=NOW, new_id=ids()
    )
    record = published(record, [p.event.event_id for p in record.outbox])
    half = execution("e2a", LONG, Action.BUY, 1, "1.40")
    record = tracked(record, status(OrderState.PARTIAL), [*FULL[:1], half], now=NOW, new_id=ids())
    assert record.state is OrderState.PARTIAL
    assert states(record) == [OrderState.PARTIAL]
    assert record.filled_quantity == 1
    record = published(record, [p.event.event_id for p in record.outbox])
    rest = execution("e2b", LONG, Action.BUY, 1, "1.40")
    record = tracked(record, status(OrderState.FILLED), [*FULL[:1], half, rest], now=NOW, new_id=ids())
    assert record.state is OrderState.FILLED
    assert [f.event.fill_id for f in fills(record)] == ["e2b"]


def test_a_status_saying_filled_before_its_executions_waits_for_them() -> None:
    record = at_state(OrderState.SUBMITTED)
    assert tracked(record, status(OrderState.FILLED), [], now=NOW, new_id=ids()) is record


def test_the_broker_rejecting_a_working_order_is_rejected_with_its_reason() -> None:
    record = tracked(
        at_state(OrderState.SUBMITTED),
        status(OrderState.REJECTED, "price too far"),
        [],
        now=NOW,
        new_id=ids(),
    )
    assert record.state is OrderState.REJECTED
    assert record.reason == "price too far"
    assert not fills(record)


def test_an_approved_order_the_broker_never_saw_becomes_unknown() -> None:
    record = tracked(at_state(OrderState.APPROVED), None, [], now=NOW, new_id=ids())
    assert record.state is OrderState.UNKNOWN
    assert record.reason is not None
    assert record.reason.startswith(UNKNOWN_REASON)


def test_an_unknown_order_the_broker_still_does_not_know_stays_unknown() -> None:
    record = at_state(OrderState.UNKNOWN)
    assert tracked(record, None, [], now=NOW, new_id=ids()) is record


def test_an_approved_order_found_filled_passes_through_submitted_with_its_broker_id() -> None:
    record = tracked(at_state(OrderState.APPROVED), status(OrderState.FILLED), FULL, now=NOW, new_id=ids())
    assert record.broker_order_id == "B1"
    assert states(record) == [OrderState.SUBMITTED, OrderState.FILLED]
    assert len(fills(record)) == 1


def test_an_unknown_order_reconciled_as_working_is_submitted() -> None:
    record = tracked(at_state(OrderState.UNKNOWN), status(OrderState.SUBMITTED), [], now=NOW, new_id=ids())
    assert record.state is OrderState.SUBMITTED
    assert record.broker_order_id == "B1"


# ── outbox, views, history ──────────────────────────────────────────────────────────────────────
def test_published_events_leave_the_outbox_and_others_stay() -> None:
    record = draft(spread(), now=NOW, event_id=uuid4())
    record = simulated(record, simulate_for_test(record.order, NOW), now=NOW, event_id=uuid4())
    first, second = record.outbox
    assert published(record, [first.event.event_id]).outbox == (second,)


def test_a_record_round_trips_through_json() -> None:
    record = tracked(
        at_state(OrderState.SUBMITTED), status(OrderState.PARTIAL), FULL[:1], now=NOW, new_id=ids()
    )
    assert OrderRecord.model_validate_json(record.model_dump_json()) == record


def test_the_view_shows_state_progress_and_reason() -> None:
    record = broker_rejected(at_state(OrderState.APPROVED), "no", now=NOW, event_id=uuid4())
    shown = view(record)
    assert shown.state is OrderState.REJECTED
    assert shown.reason == "no"
    assert shown.simulation == record.simulation


def test_only_transmitted_orders_count_as_sent() -> None:
    sent = transmissions([at_state(OrderState.SIMULATED), at_state(OrderState.SUBMITTED)])
    assert len(sent) == 1
    assert sent[0].at == NOW
