"""The demo portfolio: its contents, its numbers, and a premium seller's risk at any start date."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.account import mark_positions, net_liquidation
from deltadesk.paper_venue.domain.demo import demo_venue
from deltadesk.paper_venue.domain.expiries import NEW_YORK, exchange_holidays, is_trading_day, monthly_expiry
from deltadesk.paper_venue.domain.market import spot
from deltadesk.paper_venue.domain.venue import Venue
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.positions import Position

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SIM_BETAS = {"SPX": 1.0, "/ES": 1.0, "/MES": 1.0, "SPY": 1.0, "AAPL": 1.2, "NVDA": 1.8, "KO": 0.55}


def positions_of(venue: Venue) -> tuple[Position, ...]:
    return mark_positions(venue.accounts[0], venue.market)


def spx_delta(positions: tuple[Position, ...], spx: float) -> float:
    total = 0.0
    for p in positions:
        assert p.greeks is not None
        assert p.underlying_price is not None
        total += (
            p.greeks.delta
            * float(p.quantity)
            * float(p.multiplier)
            * SIM_BETAS[p.underlying]
            * p.underlying_price
            / spx
        )
    return total


def theta(positions: tuple[Position, ...]) -> float:
    return math.fsum(p.greeks.theta * float(p.quantity) * float(p.multiplier) for p in positions if p.greeks)


@pytest.fixture(scope="module")
def venue() -> Venue:
    return demo_venue(START, account_id="PAPER")


@pytest.fixture(scope="module")
def positions(venue: Venue) -> tuple[Position, ...]:
    return positions_of(venue)


def named(positions: tuple[Position, ...], underlying: str, instrument: InstrumentType) -> list[Position]:
    return [p for p in positions if p.underlying == underlying and p.instrument is instrument]


def test_the_account_is_named_by_settings() -> None:
    assert demo_venue(START, account_id="DEMO7").accounts[0].account_id == "DEMO7"


def test_the_spx_iron_condor_has_short_strikes_near_15_delta_and_50_point_wings(
    positions: tuple[Position, ...],
) -> None:
    condor_expiry = max(p.expiry for p in named(positions, "SPX", InstrumentType.OPT) if p.expiry)
    legs = sorted(
        (p for p in positions if p.underlying == "SPX" and p.expiry == condor_expiry),
        key=lambda p: (p.right == Right.CALL, p.strike),
    )
    long_put, short_put, short_call, long_call = legs
    assert [p.quantity for p in legs] == [2, -2, -2, 2]
    assert [p.right for p in legs] == [Right.PUT, Right.PUT, Right.CALL, Right.CALL]
    assert all(p.symbol.startswith("SPXW  ") for p in legs)
    assert short_put.strike is not None
    assert long_put.strike is not None
    assert short_call.strike is not None
    assert long_call.strike is not None
    assert short_put.strike - long_put.strike == 50
    assert long_call.strike - short_call.strike == 50
    for short in (short_put, short_call):
        assert short.greeks is not None
        assert abs(short.greeks.delta) == pytest.approx(0.15, abs=0.02)
    assert (condor_expiry - START.date()).days == pytest.approx(45, abs=4)


def test_the_book_holds_every_strategy_of_a_premium_seller(positions: tuple[Position, ...]) -> None:
    spx_puts = [
        p for p in named(positions, "SPX", InstrumentType.OPT) if p.quantity == -2 and p.right is Right.PUT
    ]
    assert len(spx_puts) == 2  # the condor's short put and the stand-alone short puts
    assert [p.quantity for p in named(positions, "SPY", InstrumentType.OPT)] == [-5]
    assert [p.quantity for p in named(positions, "AAPL", InstrumentType.STK)] == [200]
    aapl_calls = named(positions, "AAPL", InstrumentType.OPT)
    assert [(p.quantity, p.right) for p in aapl_calls] == [(Decimal(-2), Right.CALL)]
    assert aapl_calls[0].greeks is not None
    assert aapl_calls[0].greeks.delta == pytest.approx(0.30, abs=0.05)
    assert [(p.quantity, p.right) for p in named(positions, "NVDA", InstrumentType.OPT)] == [
        (Decimal(-3), Right.PUT)
    ]
    assert [(p.quantity, p.right) for p in named(positions, "KO", InstrumentType.OPT)] == [
        (Decimal(-5), Right.PUT)
    ]
    assert [p.quantity for p in named(positions, "/ES", InstrumentType.FUT)] == [-1]
    assert [p.quantity for p in named(positions, "/MES", InstrumentType.FUT)] == [2]
    assert [(p.quantity, p.right) for p in named(positions, "/ES", InstrumentType.FOP)] == [
        (Decimal(-1), Right.PUT)
    ]


@pytest.mark.parametrize(
    ("instrument", "multiplier"),
    [(InstrumentType.OPT, 100), (InstrumentType.STK, 1)],
)
def test_multipliers_of_equity_products(
    positions: tuple[Position, ...], instrument: InstrumentType, multiplier: int
) -> None:
    assert {p.multiplier for p in positions if p.instrument is instrument} == {multiplier}


def test_futures_multipliers_and_contracts(positions: tuple[Position, ...]) -> None:
    (es,) = named(positions, "/ES", InstrumentType.FUT)
    (mes,) = named(positions, "/MES", InstrumentType.FUT)
    (fop,) = named(positions, "/ES", InstrumentType.FOP)
    assert (es.symbol, es.multiplier, es.underlying_contract) == ("/ESZ6", Decimal(50), "/ESZ6")
    assert (mes.symbol, mes.multiplier, mes.underlying_contract) == ("/MESZ6", Decimal(5), "/MESZ6")
    assert (fop.multiplier, fop.underlying_contract) == (Decimal(50), "/ESZ6")
    assert fop.symbol.startswith("/ESZ6 ")
    assert fop.expiry is not None
    assert fop.expiry <= date(2026, 12, 18)


def test_every_underlying_price_comes_from_the_market(venue: Venue, positions: tuple[Position, ...]) -> None:
    for p in positions:
        assert p.underlying_price == spot(venue.market, p.underlying_contract or p.underlying)
        assert p.underlying_price != p.strike


def test_options_carry_greeks_iv_and_a_mark(positions: tuple[Position, ...]) -> None:
    for p in positions:
        if p.instrument.is_option:
            assert p.greeks is not None
            assert p.iv is not None
            assert p.iv > 0
            assert p.mark is not None
            assert p.mark > 0


def test_starting_prices_look_like_late_2026(venue: Venue) -> None:
    market = venue.market
    assert (market.spx, market.vix) == (6000.0, 16.0)
    assert spot(market, "SPY") == pytest.approx(market.spx / 10)
    assert spot(market, "AAPL") == 230.0
    betas = {s.symbol: s.beta for s in market.config.shares}
    assert betas == {"SPY": 1.0, "AAPL": 1.2, "NVDA": 1.8, "KO": 0.55}


def test_average_costs_are_the_model_prices_and_net_liquidation_is_the_start_cash(venue: Venue) -> None:
    positions = positions_of(venue)
    assert all(p.average_cost == p.mark for p in positions)
    assert net_liquidation(venue.accounts[0], positions) == Decimal(250_000)
    assert venue.accounts[0].cash < Decimal(250_000)  # the AAPL shares cost more than the premium brought in


def test_the_start_cash_is_configurable() -> None:
    small = demo_venue(START, account_id="PAPER", start_cash=Decimal(100_000))
    assert net_liquidation(small.accounts[0], positions_of(small)) == Decimal(100_000)


def test_expiries_fall_on_listed_dates(positions: tuple[Position, ...]) -> None:
    for p in positions:
        if p.expiry is None:
            continue
        assert is_trading_day(p.expiry), p.symbol
        if p.underlying in ("SPY", "AAPL", "NVDA", "KO"):
            assert p.expiry == monthly_expiry(p.expiry.year, p.expiry.month), p.symbol
        else:
            friday = p.expiry + timedelta(days=(4 - p.expiry.weekday()) % 7)
            assert friday == p.expiry or friday in exchange_holidays(friday.year), p.symbol


def test_the_book_is_near_delta_neutral_with_positive_theta(
    venue: Venue, positions: tuple[Position, ...]
) -> None:
    assert -150 <= spx_delta(positions, venue.market.spx) <= 150
    assert theta(positions) > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2029, 12, 31)),
    st.sampled_from([time(10), time(15, 30)]),
)
def test_at_any_start_the_book_stays_within_the_delta_range_with_positive_theta(
    day: date, clock: time
) -> None:
    start = datetime.combine(day, clock, tzinfo=NEW_YORK)
    venue = demo_venue(start, account_id="PAPER")
    positions = positions_of(venue)
    assert -150 <= spx_delta(positions, venue.market.spx) <= 150
    assert theta(positions) > 0
    assert net_liquidation(venue.accounts[0], positions) == Decimal(250_000)
    for p in positions:
        assert p.expiry is None or p.expiry > day
