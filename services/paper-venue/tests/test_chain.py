"""Option chains: the listed strikes with both rights, tick-correct quotes, Greeks and IV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.chain import option_chain
from deltadesk.paper_venue.domain.listing import NotListed, listed_strikes, option_class
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import ContractQuote

OPT, FOP = InstrumentType.OPT, InstrumentType.FOP
MONTHLY = date(2026, 12, 18)
WALL = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)  # the desk's clock, not the simulated time


def spx_tick(price: Decimal) -> Decimal:
    return Decimal("0.05") if price < 3 else Decimal("0.10")


def test_a_chain_has_every_listed_strike_with_both_rights_in_order(market: MarketState) -> None:
    chain = option_chain(market, "SPX", MONTHLY, OPT, WALL)
    assert (chain.underlying, chain.instrument, chain.expiry, chain.as_of) == ("SPX", OPT, MONTHLY, WALL)
    assert chain.underlying_price == 6000.0
    assert tuple(r.strike for r in chain.rows) == listed_strikes(market, option_class(market, "SPX", OPT))
    for row in chain.rows:
        assert row.call is not None
        assert row.put is not None
        assert (row.call.contract.right, row.put.contract.right) == (Right.CALL, Right.PUT)
        assert row.call.contract.strike == row.put.contract.strike == row.strike
        assert row.call.contract.trading_class == "SPX"  # the monthly's default class


def test_chain_quotes_are_two_sided_on_the_tick_with_greeks(market: MarketState) -> None:
    chain = option_chain(market, "SPX", MONTHLY, OPT, WALL)
    for row in chain.rows:
        for side in (row.call, row.put):
            assert isinstance(side, ContractQuote)
            assert side.bid is not None
            assert side.ask is not None
            assert side.last is not None
            assert side.bid < side.ask
            assert side.bid <= side.last <= side.ask
            assert side.ask % spx_tick(side.ask) == 0
            assert side.greeks is not None
            assert side.iv is not None
            assert side.iv > 0
            assert side.underlying_price == 6000.0
        assert row.call is not None
        assert row.put is not None
        assert row.call.greeks is not None
        assert row.put.greeks is not None
        assert 0 <= row.call.greeks.delta <= 1
        assert -1 <= row.put.greeks.delta <= 0
        # Same strike, same expiry: call delta − put delta is e^{−qT}, a little under 1.
        assert row.call.greeks.delta - row.put.greeks.delta == pytest.approx(1.0, abs=0.01)


def test_an_spxw_chain_on_a_monthly_is_the_pm_settled_class(market: MarketState) -> None:
    chain = option_chain(market, "SPXW", MONTHLY, OPT, WALL)
    assert chain.underlying == "SPX"
    assert chain.rows[0].put is not None
    assert chain.rows[0].put.contract.symbol.startswith("SPXW  261218P")


def test_a_future_options_chain_is_priced_on_the_future(market: MarketState) -> None:
    chain = option_chain(market, "/ES", date(2026, 12, 11), FOP, WALL)
    assert chain.underlying == "/ES"
    assert chain.underlying_price is not None
    assert chain.underlying_price > 6000.0  # the future carries SPX at r − q > 0
    put = chain.rows[0].put
    assert put is not None
    assert put.contract.multiplier == 50
    assert put.contract.underlying_contract == "/ESZ6"


def test_a_spy_chain_has_penny_quotes_and_one_point_strikes(market: MarketState) -> None:
    chain = option_chain(market, "SPY", MONTHLY, OPT, WALL)
    near = [r.strike for r in chain.rows if 590 <= r.strike <= 610]
    assert near == [Decimal(n) for n in range(590, 611)]


def test_a_chain_of_an_unlisted_expiry_is_refused(market: MarketState) -> None:
    with pytest.raises(NotListed, match="2026-12-19"):
        option_chain(market, "SPX", date(2026, 12, 19), OPT, WALL)
