"""Tastytrade symbology: OCC, streamer and future option symbols, and the desk's names for them."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tastytrade.instruments import Option

from deltadesk.brokers.tastytrade.symbols import (
    FUTURE_OPTION,
    UnknownSymbol,
    desk_future_option_symbol,
    desk_instrument,
    desk_symbol,
    future_product,
    is_future,
    occ_streamer_symbol,
    occ_symbol,
    parse_desk_future_option,
    parse_future_option,
    parse_occ,
    strike_text,
)
from deltadesk.shared.instruments import InstrumentType, Right

roots = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6)
expiries = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
strikes = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("99999"), places=1)


def test_an_spxw_put_is_written_with_its_root_padded_to_six() -> None:
    assert occ_symbol("SPXW", date(2026, 12, 18), Right.PUT, Decimal(5800)) == "SPXW  261218P05800000"


def test_a_half_strike_keeps_its_decimal_in_the_streamer_symbol() -> None:
    assert occ_streamer_symbol("SPY   240324P00480500") == ".SPY240324P480.5"
    assert occ_streamer_symbol("SPXW  261218P05800000") == ".SPXW261218P5800"


@given(roots, expiries, st.sampled_from(list(Right)), strikes)
def test_occ_symbols_read_back_as_written(root: str, expiry: date, right: Right, strike: Decimal) -> None:
    parts = parse_occ(occ_symbol(root, expiry, right, strike))
    assert (parts.root, parts.expiry, parts.right, parts.strike) == (root, expiry, right, strike)


@given(roots, expiries, st.sampled_from(list(Right)), strikes)
def test_streamer_symbols_match_the_sdks_converter(
    root: str, expiry: date, right: Right, strike: Decimal
) -> None:
    occ = occ_symbol(root, expiry, right, strike)
    assert occ_streamer_symbol(occ) == Option.occ_to_streamer_symbol(occ)


def test_a_strike_finer_than_a_thousandth_has_no_occ_symbol() -> None:
    with pytest.raises(UnknownSymbol):
        occ_symbol("SPY", date(2026, 1, 16), Right.CALL, Decimal("480.0005"))


@pytest.mark.parametrize("symbol", ["SPY", "SPY 2612", "/ESZ6", "SPY   261318P00480000"])
def test_what_is_not_an_occ_symbol_is_refused(symbol: str) -> None:
    with pytest.raises(UnknownSymbol):
        parse_occ(symbol)


@pytest.mark.parametrize(
    ("symbol", "product"), [("/ESZ6", "/ES"), ("/MESH7", "/MES"), ("/6EZ6", "/6E"), ("/ZNZ26", "/ZN")]
)
def test_a_futures_contract_belongs_to_its_product(symbol: str, product: str) -> None:
    assert is_future(symbol)
    assert future_product(symbol) == product


def test_a_future_option_symbol_names_its_future_code_expiry_right_and_strike() -> None:
    parts = parse_future_option("./ESZ6 EW4Z6 261218P5600")
    assert parts.root == "/ESZ6"
    assert parts.contract_code == "EW4Z6"
    assert (parts.expiry, parts.right, parts.strike) == (date(2026, 12, 18), Right.PUT, Decimal(5600))


def test_the_desk_names_an_option_on_a_future_as_the_paper_venue_does() -> None:
    assert desk_symbol(FUTURE_OPTION, "./ESZ6 EW4Z6 261218P5612.5") == "/ESZ6 261218P5612.5"
    assert desk_symbol("Equity Option", "SPXW  261218P05800000") == "SPXW  261218P05800000"


@given(expiries, st.sampled_from(list(Right)), strikes)
def test_desk_future_option_symbols_read_back(expiry: date, right: Right, strike: Decimal) -> None:
    parts = parse_desk_future_option(desk_future_option_symbol("/MESH7", expiry, right, strike))
    assert (parts.root, parts.expiry, parts.right, parts.strike) == ("/MESH7", expiry, right, strike)


def test_strikes_are_written_plainly() -> None:
    assert strike_text(Decimal("5800.0")) == "5800"
    assert strike_text(Decimal("480.50")) == "480.5"


def test_crypto_is_not_a_desk_instrument() -> None:
    assert desk_instrument("Equity", "SPY", is_etf=True) is InstrumentType.ETF
    with pytest.raises(UnknownSymbol):
        desk_instrument("Cryptocurrency", "BTC/USD")
