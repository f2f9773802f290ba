"""Matching rules: the natural price, when a debit or credit limit is marketable, how much fills."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.commission import CommissionRates
from deltadesk.paper_venue.domain.contracts import describe, listed_option
from deltadesk.paper_venue.domain.matching import (
    combos_to_fill,
    is_marketable,
    leg_price,
    net_price,
    trades,
)
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, Order, OrderLeg, OrderType, TimeInForce
from deltadesk.shared.paper import FillBehaviour
from deltadesk.shared.quotes import Quote

EXPIRY = date(2026, 12, 18)
NOW = datetime(2031, 1, 1, tzinfo=UTC)
P, C = Right.PUT, Right.CALL


def leg(action: Action, quantity: int, right: Right, strike: int) -> OrderLeg:
    contract = describe(listed_option("SPX", "SPX", EXPIRY, right, Decimal(strike)))
    return OrderLeg(action=action, quantity=quantity, contract=contract)


def order(*legs: OrderLeg, order_type: OrderType = OrderType.LIMIT, limit: str | None = "0") -> Order:
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=legs,
        order_type=order_type,
        limit_price=Decimal(limit) if limit is not None and order_type is OrderType.LIMIT else None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


CONDOR = (
    leg(Action.BUY, 2, P, 5400),
    leg(Action.SELL, 2, P, 5500),
    leg(Action.SELL, 2, C, 6400),
    leg(Action.BUY, 2, C, 6500),
)
# Per-leg natural prices of the condor: long wings at their asks, short strikes at their bids.
CONDOR_NATURAL = (Decimal("4.10"), Decimal("6.80"), Decimal("3.20"), Decimal("1.05"))


def test_a_buy_takes_the_ask_and_a_sell_the_bid() -> None:
    quote = Quote(symbol="X", bid=Decimal("1.20"), ask=Decimal("1.30"), as_of=NOW)
    assert leg_price(Action.BUY, quote) == Decimal("1.30")
    assert leg_price(Action.SELL, quote) == Decimal("1.20")
    assert leg_price(Action.SELL, Quote(symbol="X", ask=Decimal(1), as_of=NOW)) is None


def test_the_natural_price_of_a_condor_is_a_credit_per_combo() -> None:
    # Two combos of ratio 1: 4.10 − 6.80 − 3.20 + 1.05 = −4.85 per combo.
    condor = order(*CONDOR)
    assert condor.combo_quantity == 2
    assert net_price(condor, CONDOR_NATURAL) == Decimal("-4.85")


@pytest.mark.parametrize(
    ("limit", "marketable"),
    [("-4.00", True), ("-4.85", True), ("-4.90", False), ("-6.00", False)],
)
def test_a_credit_limit_is_marketable_when_it_asks_for_no_more_than_the_natural_credit(
    limit: str, marketable: bool
) -> None:
    assert is_marketable(order(*CONDOR, limit=limit), Decimal("-4.85")) is marketable


@pytest.mark.parametrize(("limit", "marketable"), [("2.50", True), ("2.40", True), ("2.35", False)])
def test_a_debit_limit_is_marketable_when_it_pays_at_least_the_natural_debit(
    limit: str, marketable: bool
) -> None:
    vertical = order(leg(Action.BUY, 1, C, 6000), leg(Action.SELL, 1, C, 6050), limit=limit)
    assert is_marketable(vertical, Decimal("2.40")) is marketable


def test_a_market_order_is_always_marketable() -> None:
    assert is_marketable(order(*CONDOR, order_type=OrderType.MARKET), Decimal("1000"))


@pytest.mark.parametrize(
    ("behaviour", "total", "filled", "fills", "expected"),
    [
        (FillBehaviour.IMMEDIATE, 4, 0, 0, 4),
        (FillBehaviour.IMMEDIATE, 4, 1, 1, 3),
        (FillBehaviour.REJECT, 4, 0, 0, 4),  # REJECT refuses new orders; working ones fill as usual
        (FillBehaviour.PARTIAL, 10, 0, 0, 5),
        (FillBehaviour.PARTIAL, 3, 0, 0, 1),
        (FillBehaviour.PARTIAL, 2, 0, 0, 1),
        (FillBehaviour.PARTIAL, 1, 0, 0, 0),
        (FillBehaviour.PARTIAL, 10, 5, 1, 0),  # one partial fill while the behaviour lasts
        (FillBehaviour.HOLD, 4, 0, 0, 0),
        (FillBehaviour.IMMEDIATE, 4, 4, 1, 0),
    ],
)
def test_the_fill_behaviour_decides_how_many_combos_fill(
    behaviour: FillBehaviour, total: int, filled: int, fills: int, expected: int
) -> None:
    assert combos_to_fill(behaviour, total, filled, fills) == expected


@given(st.integers(min_value=2, max_value=10_000))
def test_a_partial_fill_takes_at_least_one_combo_and_leaves_some_working(total: int) -> None:
    taken = combos_to_fill(FillBehaviour.PARTIAL, total, 0, 0)
    assert 1 <= taken < total


def test_trades_are_signed_by_ratio_and_charged_commission() -> None:
    condor = order(*CONDOR)
    contracts = [
        listed_option("SPX", "SPX", EXPIRY, right, Decimal(strike))
        for right, strike in ((P, 5400), (P, 5500), (C, 6400), (C, 6500))
    ]
    booked = trades(condor, contracts, CONDOR_NATURAL, 1, CommissionRates())
    assert [t.quantity for t in booked] == [1, -1, -1, 1]
    assert [t.price for t in booked] == list(CONDOR_NATURAL)
    assert all(t.commission == Decimal("1.60") for t in booked)  # the 1.00 minimum + the 0.60 index fee
    assert all(t.contract.instrument is InstrumentType.OPT for t in booked)
