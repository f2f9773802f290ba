"""The desk's names for IBKR's contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from deltadesk.brokers.ibkr.symbols import (
    fop_symbol,
    future_symbol,
    future_symbol_for,
    local_symbol_in,
    month_token,
    occ_symbol,
    option_root,
    parse_fop,
    parse_future,
    parse_month_token,
    parse_occ,
)
from deltadesk.shared.instruments import Right


def test_month_tokens_do_not_depend_on_the_locale() -> None:
    assert month_token(date(2026, 12, 18)) == "DEC26"
    assert parse_month_token("DEC26") == (2026, 12)
    assert parse_month_token("13X26") is None


def test_local_symbol_in_an_option_description() -> None:
    assert local_symbol_in("SPX    DEC2026 5800 P [SPXW  261218P05800000 100]") == "SPXW  261218P05800000"
    assert local_symbol_in("AAPL") is None


def test_futures_symbols() -> None:
    assert future_symbol("ESZ6") == "/ESZ6"
    assert future_symbol_for("CL", date(2027, 1, 1)) == "/CLF7"
    parts = parse_future("/MESZ6")
    assert parts is not None
    assert (parts.root, parts.month, parts.year_digits) == ("MES", 12, "6")
    assert parse_future("ESZ6") is None


def test_spxw_is_a_class_of_spx() -> None:
    assert option_root("SPXW") == ("SPX", "SPXW")
    assert option_root("spy") == ("SPY", None)


@given(
    st.sampled_from(["SPX", "SPXW", "SPY", "AAPL", "QQQ"]),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(list(Right)),
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal("99999"), places=1),
)
def test_occ_symbols_round_trip(root: str, expiry: date, right: Right, strike: Decimal) -> None:
    parts = parse_occ(occ_symbol(root, expiry, right, strike))
    assert parts is not None
    assert (parts.root, parts.expiry, parts.right, parts.strike) == (root, expiry, right, strike)


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(list(Right)),
    st.decimals(min_value=Decimal("0.25"), max_value=Decimal("99999"), places=2),
)
def test_futures_option_symbols_round_trip(expiry: date, right: Right, strike: Decimal) -> None:
    parts = parse_fop(fop_symbol("/ESZ6", expiry, right, strike))
    assert parts is not None
    assert (parts.future, parts.expiry, parts.right, parts.strike) == ("/ESZ6", expiry, right, strike)
