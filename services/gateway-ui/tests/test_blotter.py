"""The blotter's entries: from replies and events, merged newest-wins, a final state final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.domain.blotter import (
    UNKNOWN_NOTE,
    OrderEntry,
    describe_order,
    entry_from_event,
    entry_from_view,
    merge_entry,
)
from deltadesk.shared.events import OrderStateChanged
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


def event(order: Any, state: OrderState, at: Any, **fields: Any) -> OrderStateChanged:
    return OrderStateChanged(
        event_id=uuid4(), occurred_at=at, account=order.account, order=order, state=state, **fields
    )


def test_a_leg_reads_as_a_trader_writes_it(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor(quantity=2))
    assert describe_order(order) == (
        "BUY 2 SPXW 2026-04-17 5500 P / SELL 2 SPXW 2026-04-17 5600 P / "
        "SELL 2 SPXW 2026-04-17 6400 C / BUY 2 SPXW 2026-04-17 6500 C"
    )


def test_a_view_carries_its_simulation_for_the_review(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    simulation = tickets.simulate(order)
    entry = entry_from_view(tickets.view(order, OrderState.SIMULATED, simulation))
    assert entry.simulation is not None
    assert (entry.simulation_id, entry.simulation.order_hash) == (
        simulation.simulation_id,
        simulation.order_hash,
    )
    assert (entry.state, entry.broker, entry.cancellable, entry.draft) == (
        OrderState.SIMULATED,
        "paper",
        True,
        True,
    )


def test_an_unknown_order_tells_the_trader_to_check_the_broker(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    entry = entry_from_event(event(order, OrderState.UNKNOWN, tickets.now, broker_order_id=None))
    assert entry.note == UNKNOWN_NOTE == "Order status unknown — verify in broker platform"
    assert entry.cancellable is False


def test_a_partial_order_lists_its_unfilled_legs(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor(quantity=2))
    legs = tuple(
        LegFill(symbol=leg.contract.symbol, action=leg.action, quantity=Decimal(q), ordered=Decimal(2))
        for leg, q in zip(order.legs, (2, 2, 1, 0), strict=True)
    )
    entry = entry_from_event(
        event(
            order, OrderState.PARTIAL, tickets.now, filled_quantity=Decimal(1), legs=legs, broker_order_id="7"
        )
    )
    assert [leg.symbol for leg in entry.unfilled_legs] == [
        order.legs[2].contract.symbol,
        order.legs[3].contract.symbol,
    ]
    assert entry.cancellable is True
    assert entry.draft is False


def test_a_partial_order_without_leg_progress_shows_every_leg_unfilled(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    entry = entry_from_event(event(order, OrderState.PARTIAL, tickets.now))
    assert len(entry.unfilled_legs) == 4
    assert all(leg.quantity == 0 and leg.action in Action for leg in entry.unfilled_legs)


def test_a_rejection_keeps_the_brokers_reason_and_is_not_a_draft(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    entry = entry_from_event(
        event(
            order,
            OrderState.REJECTED,
            tickets.now,
            code="BROKER_REJECTED",
            reason="insufficient buying power",
        )
    )
    assert (entry.code, entry.reason, entry.draft, entry.cancellable) == (
        "BROKER_REJECTED",
        "insufficient buying power",
        False,
        False,
    )


def test_a_discarded_draft_stays_a_draft(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    assert entry_from_event(event(order, OrderState.CANCELLED, tickets.now)).draft is True


def test_a_newer_event_replaces_and_an_older_one_does_not(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    submitted = entry_from_event(event(order, OrderState.SUBMITTED, tickets.now))
    approved = entry_from_event(event(order, OrderState.APPROVED, tickets.now - timedelta(seconds=1)))
    assert merge_entry(None, approved) == approved
    assert merge_entry(approved, submitted) == submitted
    assert merge_entry(submitted, approved) is None


def test_a_final_state_is_never_replaced_by_a_working_one(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    filled = entry_from_event(event(order, OrderState.FILLED, tickets.now))
    late = entry_from_event(event(order, OrderState.SUBMITTED, tickets.now + timedelta(seconds=5)))
    assert merge_entry(filled, late) is None


def test_an_event_keeps_the_simulation_a_reply_brought(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    simulation = tickets.simulate(order)
    held = entry_from_view(tickets.view(order, OrderState.SIMULATED, simulation))
    approved = entry_from_event(
        event(
            order,
            OrderState.APPROVED,
            tickets.now + timedelta(seconds=1),
            simulation_id=simulation.simulation_id,
        )
    )
    merged = merge_entry(held, approved)
    assert merged is not None
    assert merged.state is OrderState.APPROVED
    assert merged.simulation == held.simulation


def test_the_same_entry_twice_changes_nothing(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    entry = entry_from_event(event(order, OrderState.SUBMITTED, tickets.now))
    assert merge_entry(entry, entry) is None


SPY = Contract(symbol="SPY", underlying="SPY", instrument=InstrumentType.ETF, multiplier=Decimal(1))
LIFECYCLES = st.sampled_from(
    [
        (
            OrderState.DRAFT,
            OrderState.SIMULATED,
            OrderState.APPROVED,
            OrderState.SUBMITTED,
            OrderState.FILLED,
        ),
        (OrderState.DRAFT, OrderState.SIMULATED, OrderState.APPROVED, OrderState.REJECTED),
        (OrderState.DRAFT, OrderState.SIMULATED, OrderState.SUBMITTED, OrderState.PARTIAL, OrderState.FILLED),
        (
            OrderState.DRAFT,
            OrderState.SIMULATED,
            OrderState.SUBMITTED,
            OrderState.UNKNOWN,
            OrderState.SUBMITTED,
        ),
        (OrderState.DRAFT, OrderState.CANCELLED),
    ]
)


@given(LIFECYCLES, st.randoms(use_true_random=False), st.booleans())
def test_any_arrival_order_ends_with_the_latest_state(
    lifecycle: Any, random: Any, same_instant: bool
) -> None:
    order = Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.BUY, quantity=1, contract=SPY),),
        order_type=OrderType.MARKET,
        limit_price=None,
        tif=TimeInForce.DAY,
        created_at=datetime(2026, 3, 18, tzinfo=UTC),
    )
    start = datetime(2026, 3, 18, 14, tzinfo=UTC)
    # With one instant for all, the lifecycle's own order settles ties (not when a state repeats).
    tie = same_instant and len(set(lifecycle)) == len(lifecycle)
    entries = [
        entry_from_event(event(order, state, start if tie else start + timedelta(seconds=n)))
        for n, state in enumerate(lifecycle)
    ]
    arrivals = entries[:]
    random.shuffle(arrivals)
    held: OrderEntry | None = None
    for entry in arrivals:
        merged = merge_entry(held, entry)
        if merged is not None:
            held = merged
    assert held is not None
    assert held.state is lifecycle[-1]


def test_a_simulation_answer_makes_the_draft_simulated_with_it(tickets: Any) -> None:
    from deltadesk.gateway.domain.blotter import with_simulation
    from deltadesk.gateway.domain.review import simulation_result

    order = tickets.resolve(tickets.iron_condor())
    held = entry_from_event(event(order, OrderState.DRAFT, tickets.now))
    result = simulation_result(tickets.simulate(order, now=tickets.now + timedelta(seconds=1)))
    entry = with_simulation(held, result)
    assert (entry.state, entry.simulation, entry.updated_at) == (
        OrderState.SIMULATED,
        result,
        tickets.now + timedelta(seconds=1),
    )
    submitted = entry_from_event(event(order, OrderState.SUBMITTED, tickets.now))
    assert with_simulation(submitted, result) == submitted  # too late to be a simulation again
