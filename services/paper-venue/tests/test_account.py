"""The paper account: marking to market, net liquidation, balances, settlement at expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.account import (
    Account,
    Holding,
    Settlement,
    Trade,
    apply_trade,
    balances,
    mark_positions,
    mark_price,
    net_liquidation,
    settle_expired,
)
from deltadesk.paper_venue.domain.contracts import Contract, future, future_option, listed_option, share
from deltadesk.paper_venue.domain.demo import demo_market_config
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.margin import MarginRates, margin_requirement
from deltadesk.paper_venue.domain.market import MarketState, open_market
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


# ── booking executions ──────────────────────────────────────────────────────────────────────────
def trade(contract: Contract, quantity: int, price: str, commission: str = "0") -> Trade:
    return Trade(contract, Decimal(quantity), Decimal(price), Decimal(commission))


def test_buying_an_option_pays_its_premium_and_the_commission() -> None:
    after = apply_trade(account(), trade(SPX_PUT, 2, "12.50", "2.50"))
    assert after.cash == Decimal("100000") - Decimal("2500") - Decimal("2.50")
    assert after.holdings == (Holding(SPX_PUT, Decimal(2), Decimal("12.50")),)


def test_selling_to_open_receives_the_premium_as_a_short_at_its_price() -> None:
    after = apply_trade(account(), trade(AAPL_CALL, -3, "4.10", "1.95"))
    assert after.cash == Decimal("100000") + Decimal("1230") - Decimal("1.95")
    assert after.holdings == (Holding(AAPL_CALL, Decimal(-3), Decimal("4.10")),)


def test_adding_to_a_position_averages_its_cost() -> None:
    start = account(Holding(SPX_PUT, Decimal(-2), Decimal("10.00")))
    after = apply_trade(start, trade(SPX_PUT, -1, "13.00"))
    assert after.holdings == (Holding(SPX_PUT, Decimal(-3), Decimal(11)),)
    thirds = apply_trade(after, trade(SPX_PUT, -3, "12.00"))
    assert thirds.holdings[0].average_cost == Decimal("11.5")
    odd = apply_trade(start, trade(SPX_PUT, -1, "10.01"))
    assert odd.holdings[0].average_cost == Decimal("10.003333")  # kept to a millionth


def test_reducing_keeps_the_average_cost_and_closing_removes_the_holding() -> None:
    start = account(
        Holding(share("AAPL"), Decimal(200), Decimal("220")), Holding(SPX_PUT, Decimal(-2), Decimal(10))
    )
    reduced = apply_trade(start, trade(SPX_PUT, 1, "4.00", "1.25"))
    assert reduced.holdings[1] == Holding(SPX_PUT, Decimal(-1), Decimal(10))
    assert reduced.cash == Decimal("100000") - Decimal("400") - Decimal("1.25")
    closed = apply_trade(reduced, trade(SPX_PUT, 1, "3.00", "1.25"))
    assert [h.contract.symbol for h in closed.holdings] == ["AAPL"]
    assert closed.cash == reduced.cash - Decimal("300") - Decimal("1.25")


def test_a_trade_through_zero_opens_the_other_side_at_its_price() -> None:
    start = account(Holding(share("AAPL"), Decimal(100), Decimal("220")))
    after = apply_trade(start, trade(share("AAPL"), -150, "230", "1"))
    assert after.holdings[0].quantity == -50
    assert after.holdings[0].average_cost == Decimal("230")
    assert after.cash == Decimal("100000") + Decimal("34500") - 1


def test_a_future_moves_no_cash_to_open_and_realises_its_pnl_on_closing(market: MarketState) -> None:
    es_future = es(market)
    opened = apply_trade(account(), trade(es_future, 2, "6000.00", "4.50"))
    assert opened.cash == Decimal("100000") - Decimal("4.50")
    half = apply_trade(opened, trade(es_future, -1, "6010.00", "2.25"))
    assert half.cash == opened.cash + Decimal("500") - Decimal("2.25")  # 10 points × 50 × 1
    assert half.holdings[0].average_cost == Decimal("6000.00")
    short = apply_trade(
        account(Holding(es_future, Decimal(-1), Decimal(6000))), trade(es_future, 1, "5990", "0")
    )
    assert short.cash == Decimal("100000") + Decimal("500")
    assert short.holdings == ()


def test_a_trade_without_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a quantity"):
        apply_trade(account(), trade(SPX_PUT, 0, "1"))


@given(
    quantity=st.integers(min_value=-50, max_value=50).filter(bool),
    cents=st.integers(min_value=1, max_value=99_999),
)
def test_a_round_trip_at_one_price_without_commission_changes_nothing(quantity: int, cents: int) -> None:
    price = str(Decimal(cents) / 100)
    for contract in (SPX_PUT, AAPL_CALL, share("AAPL")):
        start = account(Holding(share("KO"), Decimal(5), Decimal("70")))
        there = apply_trade(start, trade(contract, quantity, price))
        back = apply_trade(there, trade(contract, -quantity, price))
        assert back == start


@given(quantity=st.integers(min_value=-20, max_value=20).filter(bool))
def test_a_fill_at_the_mark_without_commission_leaves_net_liquidation_unchanged(quantity: int) -> None:
    start_at = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    market = open_market(demo_market_config(start_at), start_at)
    start = account(Holding(share("AAPL"), Decimal(100), Decimal("200")))
    before = net_liquidation(start, mark_positions(start, market))
    for contract in (SPX_PUT, AAPL_CALL, share("AAPL"), es(market)):
        after = apply_trade(start, trade(contract, quantity, str(mark_price(market, contract))))
        assert net_liquidation(after, mark_positions(after, market)) == before
