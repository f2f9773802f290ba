"""Contract symbols: OCC for listed options, the venue's own spelling for options on futures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.contracts import (
    OptionSymbol,
    future,
    future_option,
    listed_option,
    occ_symbol,
    parse_option_symbol,
    share,
)
from deltadesk.shared.instruments import InstrumentType, Right


@pytest.mark.parametrize(
    ("root", "expiry", "right", "strike", "symbol"),
    [
        ("SPXW", date(2026, 12, 31), Right.PUT, Decimal(5600), "SPXW  261231P05600000"),
        ("SPY", date(2026, 12, 18), Right.PUT, Decimal(580), "SPY   261218P00580000"),
        ("KO", date(2027, 1, 15), Right.CALL, Decimal("72.5"), "KO    270115C00072500"),
    ],
)
def test_occ_symbols(root: str, expiry: date, right: Right, strike: Decimal, symbol: str) -> None:
    assert occ_symbol(root, expiry, right, strike) == symbol
    assert parse_option_symbol(symbol) == OptionSymbol(root, expiry, right, strike, on_future=False)


def test_an_occ_symbol_cannot_hold_a_fraction_of_a_tenth_of_a_cent() -> None:
    with pytest.raises(ValueError, match="OCC"):
        occ_symbol("SPY", date(2026, 12, 18), Right.PUT, Decimal("580.0005"))


def test_futures_options_name_their_future_and_a_plain_strike() -> None:
    es = future("/ES", "/ESZ6", Decimal(50), date(2026, 12, 18))
    option = future_option(es, date(2026, 12, 11), Right.PUT, Decimal(5600))
    assert option.symbol == "/ESZ6 261211P5600"
    assert (option.underlying, option.underlying_contract, option.multiplier, option.instrument) == (
        "/ES",
        "/ESZ6",
        Decimal(50),
        InstrumentType.FOP,
    )
    assert parse_option_symbol(option.symbol) == OptionSymbol(
        "/ESZ6", date(2026, 12, 11), Right.PUT, Decimal(5600), on_future=True
    )


def test_an_option_on_a_share_is_not_an_option_on_a_future() -> None:
    with pytest.raises(ValueError, match="not a future"):
        future_option(share("AAPL"), date(2026, 12, 18), Right.CALL, Decimal(240))


@pytest.mark.parametrize(
    "symbol", ["AAPL", "SPXW  261331P05600000", "/ESZ6 261218X5600", "SPY   261218P00000000", ""]
)
def test_what_is_not_an_option_symbol_parses_to_none(symbol: str) -> None:
    assert parse_option_symbol(symbol) is None


@given(
    st.sampled_from(["SPX", "SPXW", "SPY", "AAPL", "NVDA", "KO"]),
    st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(Right),
    st.integers(min_value=1, max_value=99_999_999).map(lambda n: Decimal(n) / 1000),
)
def test_occ_symbols_round_trip(root: str, expiry: date, right: Right, strike: Decimal) -> None:
    option = listed_option(root, "X", expiry, right, strike)
    parsed = parse_option_symbol(option.symbol)
    assert parsed == OptionSymbol(root, expiry, right, strike, on_future=False)
