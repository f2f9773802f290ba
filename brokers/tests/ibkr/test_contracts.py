"""Choosing contracts among what IBKR lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from deltadesk.brokers.ibkr.contracts import listing, strike_window
from deltadesk.brokers.ibkr.wire import SecdefInfoRow
from deltadesk.shared.errors import BrokerRejected


def row(conid: int, day: str, trading_class: str, right: str = "P", strike: str = "100") -> SecdefInfoRow:
    return SecdefInfoRow(
        conid=conid,
        maturityDate=day,
        tradingClass=trading_class,
        right=right,
        strike=Decimal(strike),
        multiplier=Decimal(100),
    )


def test_two_classes_other_than_the_symbol_on_one_day_are_ambiguous() -> None:
    rows = [row(1, "20261218", "NDXP"), row(2, "20261218", "NDXW")]
    with pytest.raises(BrokerRejected, match="name the trading class"):
        listing(rows, expiry=date(2026, 12, 18), symbol="NDX", trading_class=None)


def test_the_only_class_of_a_day_is_chosen() -> None:
    rows = [row(1, "20261218", "SPX"), row(2, "20261211", "SPXW")]
    chosen = listing(rows, expiry=date(2026, 12, 11), symbol="SPX", trading_class=None)
    assert [r.conid for r in chosen] == [2]


def test_right_and_strike_narrow_the_listing() -> None:
    rows = [
        row(1, "20261218", "SPY", "P", "100"),
        row(2, "20261218", "SPY", "C", "100"),
        row(3, "20261218", "SPY", "P", "101"),
    ]
    from deltadesk.shared.instruments import Right

    chosen = listing(
        rows,
        expiry=date(2026, 12, 18),
        symbol="SPY",
        trading_class=None,
        right=Right.PUT,
        strike=Decimal("100.0"),
    )
    assert [r.conid for r in chosen] == [1]


def test_strike_window_is_nearest_the_price() -> None:
    strikes = [Decimal(s) for s in range(90, 111)]
    assert strike_window(strikes, 100.4, 3) == [Decimal(99), Decimal(100), Decimal(101)]
    assert strike_window(strikes, None, 3) == [Decimal(99), Decimal(100), Decimal(101)]
    assert strike_window(strikes[:2], 100.0, 5) == strikes[:2]
