"""The paper account: marking to market, net liquidation, balances, settlement at expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.account import (
    Account,
    Holding,
    Settlement,
    balances,
    mark_positions,
    net_liquidation,
    settle_expired,
)
from deltadesk.paper_venue.domain.contracts import Contract, future, future_option, listed_option, share
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.margin import MarginRates, margin_requirement
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.shared.instruments import InstrumentType, Right

EXPIRY = date(2026, 12, 18)
AS_OF = datetime(2026, 11, 24, 15, 0, 1, tzinfo=UTC)
SPX_PUT = listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5700))
AAPL_CALL = listed_option("AAPL", "AAPL", EXPIRY, Right.CALL, Decimal(220))


def es(market: MarketState) -> Contract:
    spec = market.config.futures[0]
    return future(spec.root, spec.symbol, spec.multiplier, spec.expiry)


def account(*holdings: Holding, cash: str = "100000") -> Account:
    return Account(account_id="PAPER", cash=Decimal(cash), holdings=holdings)


def at_expiry(market: MarketState, **prices: float) -> MarketState:
    moved = replace(market, now=expiry_instant(EXPIRY), spx=prices.get("spx", market.spx))
    if "aapl" in prices:
        index = [s.symbol for s in market.config.shares].index("AAPL")
        share_prices = list(moved.share_prices)
        share_prices[index] = prices["aapl"]
        moved = replace(moved, share_prices=tuple(share_prices))
    return moved


def test_positions_carry_mark_greeks_iv_and_the_markets_underlying_price(market: MarketState) -> None:
    book = account(
        Holding(SPX_PUT, Decimal(-2), Decimal("20.00")), Holding(share("KO"), Decimal(100), Decimal(60))
    )
    put, ko = mark_positions(book, market)
    assert (put.symbol, put.underlying, put.underlying_contract, put.multiplier) == (
        "SPXW  261218P05700000",
        "SPX",
        None,
        Decimal(100),
    )
    assert put.underlying_price == 6000.0
    assert put.greeks is not None
    assert -1 < put.greeks.delta < 0
    assert put.greeks.theta < 0
    assert put.iv is not None
    assert put.mark is not None
    assert put.mark > 0
    assert put.average_cost == Decimal("20.00")
    assert (ko.instrument, ko.multiplier, ko.mark, ko.underlying_price, ko.expiry) == (
        InstrumentType.STK,
        Decimal(1),
        Decimal("70.00"),
        70.0,
        None,
    )
    assert ko.greeks is not None
    assert ko.greeks.delta == 1.0


def test_futures_and_their_options_are_priced_by_the_futures_contract(market: MarketState) -> None:
    es_future = es(market)
    es_put = future_option(es_future, EXPIRY, Right.PUT, Decimal(5700))
    fut, fop = mark_positions(
        account(Holding(es_future, Decimal(-1), Decimal(6000)), Holding(es_put, Decimal(-1), Decimal(20))),
        market,
    )
    for position in (fut, fop):
        assert (position.underlying, position.underlying_contract, position.multiplier) == (
            "/ES",
            "/ESZ6",
            Decimal(50),
        )
        assert position.underlying_price == pytest.approx(6010.77, abs=0.01)
    assert fut.expiry is None
    assert fop.expiry == EXPIRY


def test_net_liquidation_counts_option_values_and_futures_pnl(market: MarketState) -> None:
    es_future = es(market)
    book = account(
        Holding(SPX_PUT, Decimal(-2), Decimal("25.00")),
        Holding(share("AAPL"), Decimal(100), Decimal(200)),
        Holding(es_future, Decimal(-1), Decimal(6000)),
        cash="100000",
    )
    positions = mark_positions(book, market)
    put, _, fut = positions
    assert put.mark is not None
    assert fut.mark is not None
    expected = (
        Decimal(100000)
        + put.mark * -2 * 100  # a short option is a liability
        + Decimal(230) * 100  # shares at their mark
        + (fut.mark - 6000) * -1 * 50  # a future counts only its open P&L
    )
    assert net_liquidation(book, positions) == expected


def test_balances_report_margin_and_the_excess_over_initial_as_buying_power(
    market: MarketState, rates: MarginRates
) -> None:
    book = account(
        Holding(share("AAPL"), Decimal(200), Decimal(230)), Holding(AAPL_CALL, Decimal(-2), Decimal(12))
    )
    result = balances(book, market, rates, AS_OF)
    positions = mark_positions(book, market)
    margin = margin_requirement(positions, rates)
    assert result.account == "PAPER"
    assert result.currency == "USD"
    assert result.cash == Decimal(100000)
    assert result.net_liquidation == net_liquidation(book, positions)
    assert (result.initial_margin, result.maintenance_margin) == (margin.initial, margin.maintenance)
    assert result.initial_margin == Decimal("23000.00")  # a covered call: the shares at 50%
    assert result.buying_power == result.net_liquidation - result.initial_margin
    assert result.as_of == AS_OF


def test_nothing_settles_before_expiry(market: MarketState) -> None:
    book = account(Holding(SPX_PUT, Decimal(-2), Decimal(20)))
    assert settle_expired(book, market) == (book, ())


def test_an_in_the_money_short_put_settles_in_cash_at_intrinsic(market: MarketState) -> None:
    book = account(Holding(SPX_PUT, Decimal(-2), Decimal(20)), Holding(share("KO"), Decimal(10), Decimal(70)))
    settled, events = settle_expired(book, at_expiry(market, spx=5500.0))
    # (5700 − 5500) × 100 × 2 = 40,000 paid.
    assert settled.cash == Decimal(60000)
    assert [h.contract.symbol for h in settled.holdings] == ["KO"]
    assert events == (
        Settlement("PAPER", "SPXW  261218P05700000", Decimal(-2), Decimal("200.00"), Decimal(-40000)),
    )


def test_an_out_of_the_money_option_expires_worthless(market: MarketState) -> None:
    settled, events = settle_expired(account(Holding(SPX_PUT, Decimal(-2), Decimal(20))), at_expiry(market))
    assert settled.cash == Decimal(100000)
    assert settled.holdings == ()
    assert events[0].cash == 0


def test_a_long_equity_call_is_cash_settled_rather_than_exercised_into_shares(market: MarketState) -> None:
    settled, _ = settle_expired(
        account(Holding(AAPL_CALL, Decimal(1), Decimal(12))), at_expiry(market, aapl=235.0)
    )
    # (235 − 220) × 100 = 1,500 received; no AAPL shares appear.
    assert settled.cash == Decimal(101500)
    assert settled.holdings == ()


def test_a_future_settles_its_pnl_against_spx_at_expiry(market: MarketState) -> None:
    es_future = es(market)
    assert es_future.expiry is not None
    book = account(Holding(es_future, Decimal(-1), Decimal(6000)))
    at_close = replace(market, now=expiry_instant(es_future.expiry), spx=5900.0)
    settled, events = settle_expired(book, at_close)
    # Short from 6,000, settled at 5,900: +100 × 50 = 5,000.
    assert settled.cash == Decimal(105000)
    assert events[0].settlement_price == Decimal("5900.00")
