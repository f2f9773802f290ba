"""A paper order's lifecycle: fills, cancels, final states, and the status a broker reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.account import Trade
from deltadesk.paper_venue.domain.contracts import describe, listed_option
from deltadesk.paper_venue.domain.paper_order import (
    TRANSITIONS,
    IllegalTransition,
    OrderEvent,
    PaperOrder,
    cancel,
    order_status,
    record_fill,
    transition,
)
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, Order, OrderLeg, OrderState, OrderType, TimeInForce

NOW = datetime(2031, 1, 1, 12, tzinfo=UTC)
EXPIRY = date(2026, 12, 18)
PUT_5500 = listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5500))
PUT_5450 = listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5450))


def vertical(quantity: int = 4) -> PaperOrder:
    """A put credit vertical: sell the 5500, buy the 5450."""
    order = Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(
            OrderLeg(action=Action.SELL, quantity=quantity, contract=describe(PUT_5500)),
            OrderLeg(action=Action.BUY, quantity=quantity, contract=describe(PUT_5450)),
        ),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("-2.00"),
        tif=TimeInForce.DAY,
        created_at=NOW,
    )
    return PaperOrder(
        broker_order_id="po-1",
        order=order,
        state=OrderState.SUBMITTED,
        accepted_at=NOW,
        fill_after=NOW,
        updated_at=NOW,
    )


def legs_of(combos: int, short: str, long: str) -> tuple[Trade, ...]:
    return (
        Trade(PUT_5500, Decimal(-combos), Decimal(short), Decimal("1.25") * combos),
        Trade(PUT_5450, Decimal(combos), Decimal(long), Decimal("1.25") * combos),
    )


def test_a_partial_fill_then_the_rest_fills_the_order() -> None:
    order = vertical()
    part, first = record_fill(order, 1, legs_of(1, "10.00", "7.50"), NOW)
    assert part.state is OrderState.PARTIAL
    assert (part.filled, part.remaining) == (1, 3)
    assert [e.execution_id for e in first] == ["po-1-1-1", "po-1-1-2"]
    assert [(e.action, e.quantity) for e in first] == [(Action.SELL, 1), (Action.BUY, 1)]
    later = NOW + timedelta(seconds=5)
    done, second = record_fill(part, 3, legs_of(3, "10.40", "7.50"), later)
    assert done.state is OrderState.FILLED
    assert done.remaining == 0
    assert [e.execution_id for e in second] == ["po-1-2-1", "po-1-2-2"]
    assert all(e.executed_at == later for e in second)
    assert len({e.execution_id for e in done.executions}) == 4


def test_the_status_reports_per_leg_progress_and_the_average_net_price() -> None:
    part, _ = record_fill(vertical(), 1, legs_of(1, "10.00", "7.50"), NOW)
    done, _ = record_fill(part, 3, legs_of(3, "10.40", "7.50"), NOW)
    status = order_status(done)
    assert status.state is OrderState.FILLED
    assert (status.filled_quantity, status.remaining_quantity) == (4, 0)
    assert status.client_order_id == done.order.client_order_id
    short, long = status.legs
    assert (short.symbol, short.action, short.quantity, short.ordered) == (PUT_5500.symbol, Action.SELL, 4, 4)
    assert short.price == Decimal("10.3")  # (10.00 + 3 × 10.40) / 4
    assert long.price == Decimal("7.5")
    assert status.average_price == Decimal("-2.8")  # a credit: −10.30 + 7.50


def test_a_working_order_reports_no_price_until_it_fills() -> None:
    status = order_status(vertical())
    assert status.state is OrderState.SUBMITTED
    assert status.average_price is None
    assert (status.filled_quantity, status.remaining_quantity) == (0, 4)
    assert all(leg.quantity == 0 and leg.price is None for leg in status.legs)


def test_cancelling_keeps_what_was_filled() -> None:
    part, _ = record_fill(vertical(), 2, legs_of(2, "10.00", "7.50"), NOW)
    cancelled = cancel(part, "cancelled by the trader", NOW)
    status = order_status(cancelled)
    assert status.state is OrderState.CANCELLED
    assert status.reason == "cancelled by the trader"
    assert (status.filled_quantity, status.remaining_quantity) == (2, 0)


def test_more_than_remains_cannot_fill() -> None:
    with pytest.raises(IllegalTransition, match="cannot fill 5 of 4"):
        record_fill(vertical(), 5, legs_of(5, "10", "7"), NOW)


@given(
    st.sampled_from([OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED]),
    st.sampled_from(OrderEvent),
)
def test_a_final_state_is_final(state: OrderState, event: OrderEvent) -> None:
    with pytest.raises(IllegalTransition):
        transition(state, event)


def test_every_transition_leads_from_a_working_state() -> None:
    for (state, _), target in TRANSITIONS.items():
        assert state in (OrderState.SUBMITTED, OrderState.PARTIAL)
        assert target in (OrderState.PARTIAL, OrderState.FILLED, OrderState.CANCELLED)
