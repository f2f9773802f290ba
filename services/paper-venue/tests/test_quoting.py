"""Quotes around the model price: two-sided, on the tick grid, stamped with the caller's time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.contracts import listed_option
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.quoting import option_tick, quote
from deltadesk.shared.instruments import Right
from deltadesk.shared.quotes import Quote

MADE_AT = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)  # not the market's simulated time


def quoted(market: MarketState, symbol: str) -> Quote:
    found = quote(market, symbol, MADE_AT)
    assert found is not None, symbol
    return found


def on_grid(price: Decimal, tick: Decimal) -> bool:
    return price % tick == 0


@pytest.mark.parametrize(
    ("symbol", "tick"),
    [
        ("SPX", Decimal("0.01")),
        ("VIX", Decimal("0.01")),
        ("AAPL", Decimal("0.01")),
        ("SPY", Decimal("0.01")),
        ("/ESZ6", Decimal("0.25")),
        ("/MESZ6", Decimal("0.25")),
    ],
)
def test_underlyings_are_quoted_two_sided_on_their_tick(
    market: MarketState, symbol: str, tick: Decimal
) -> None:
    q = quoted(market, symbol)
    assert q.bid is not None
    assert q.ask is not None
    assert q.last is not None
    assert 0 < q.bid < q.ask
    assert q.bid <= q.last <= q.ask
    assert all(on_grid(p, tick) for p in (q.bid, q.ask, q.last))
    assert q.as_of == MADE_AT


def test_a_quote_straddles_the_model_price(market: MarketState) -> None:
    q = quoted(market, "AAPL")
    assert q.bid is not None
    assert q.ask is not None
    assert q.bid < Decimal(230) < q.ask
    assert q.ask - q.bid <= Decimal("0.10")


def test_an_spx_option_is_quoted_in_dimes_above_three_dollars(market: MarketState) -> None:
    q = quoted(market, "SPXW  261218P05700000")
    assert q.bid is not None
    assert q.ask is not None
    assert q.bid > 3
    assert on_grid(q.bid, Decimal("0.10"))
    assert on_grid(q.ask, Decimal("0.10"))


def test_a_far_out_of_the_money_option_is_bid_at_zero_or_more(market: MarketState) -> None:
    q = quoted(market, "SPXW  261218P03000000")
    assert q.bid == 0
    assert q.ask == Decimal("0.05")


def test_an_es_option_is_quoted_in_quarters_above_five_points(market: MarketState) -> None:
    q = quoted(market, "/ESZ6 261218P5700")
    assert q.bid is not None
    assert q.bid > 5
    assert on_grid(q.bid, Decimal("0.25"))


@pytest.mark.parametrize(
    ("root", "underlying", "price", "tick"),
    [
        ("SPXW", "SPX", "2.95", "0.05"),
        ("SPXW", "SPX", "3.00", "0.10"),
        ("SPY", "SPY", "12.34", "0.01"),
        ("AAPL", "AAPL", "2.99", "0.01"),
        ("AAPL", "AAPL", "3.00", "0.05"),
    ],
)
def test_option_ticks_follow_the_listing_rules(root: str, underlying: str, price: str, tick: str) -> None:
    option = listed_option(root, underlying, datetime(2026, 12, 18).date(), Right.PUT, Decimal(100))
    assert option_tick(option, Decimal(price)) == Decimal(tick)


def test_an_unknown_symbol_has_no_quote(market: MarketState) -> None:
    assert quote(market, "TSLA", MADE_AT) is None
