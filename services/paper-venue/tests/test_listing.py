"""What the simulated market lists: expiries per option class, strike grids, trading classes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.contracts import describe
from deltadesk.paper_venue.domain.expiries import is_trading_day, listed_expiry, monthly_expiry
from deltadesk.paper_venue.domain.listing import (
    NotListed,
    is_listed_strike,
    listed_strikes,
    option_class,
    option_expiries,
    trading_classes,
)
from deltadesk.paper_venue.domain.market import MarketState, spot
from deltadesk.paper_venue.domain.resolution import tradable
from deltadesk.paper_venue.domain.venue import Venue
from deltadesk.shared.instruments import InstrumentType

OPT, FOP = InstrumentType.OPT, InstrumentType.FOP
TODAY = date(2026, 11, 24)  # the conftest START in New York
FRIDAY = 4


def expiries(market: MarketState, underlying: str, instrument: InstrumentType = OPT) -> tuple[date, ...]:
    return option_expiries(market, option_class(market, underlying, instrument))


def strikes(market: MarketState, underlying: str, instrument: InstrumentType = OPT) -> tuple[Decimal, ...]:
    return listed_strikes(market, option_class(market, underlying, instrument))


def test_spx_lists_dailies_for_four_weeks_weeklies_for_half_a_year_and_monthlies_for_a_year(
    market: MarketState,
) -> None:
    listed = expiries(market, "SPX")
    assert list(listed) == sorted(set(listed))
    assert listed[0] == TODAY  # 0DTE: listed until today's close
    assert date(2026, 11, 25) in listed  # a Wednesday daily
    assert date(2026, 11, 26) not in listed  # Thanksgiving
    assert all(is_trading_day(d) for d in listed)
    assert [d for d in listed if d <= TODAY + timedelta(days=28)] == [
        TODAY + timedelta(days=n) for n in range(29) if is_trading_day(TODAY + timedelta(days=n))
    ]
    later = [d for d in listed if d > TODAY + timedelta(days=28)]
    weeklies = [d for d in later if d <= TODAY + timedelta(days=182)]
    fridays = [
        TODAY + timedelta(days=n) for n in range(29, 183) if (TODAY + timedelta(days=n)).weekday() == FRIDAY
    ]
    assert weeklies == [listed_expiry(d) for d in fridays]  # Christmas, New Year, Good Friday: Thursday
    assert date(2026, 12, 31) in weeklies
    assert {d for d in later if d > TODAY + timedelta(days=182)} == {
        monthly_expiry(2027, m) for m in range(6, 12)
    }
    assert listed[-1] == date(2027, 11, 19)


def test_an_expiry_is_listed_until_its_close_in_new_york(market: MarketState) -> None:
    before_close = replace(market, now=datetime(2026, 11, 24, 20, 59, tzinfo=UTC))  # 15:59 New York
    after_close = replace(market, now=datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    assert expiries(before_close, "SPX")[0] == TODAY
    assert expiries(after_close, "SPX")[0] == date(2026, 11, 25)


def test_spy_has_dailies_and_stocks_only_weeklies_and_monthlies(market: MarketState) -> None:
    assert date(2026, 11, 25) in expiries(market, "SPY")
    aapl = expiries(market, "AAPL")
    assert date(2026, 11, 25) not in aapl
    near = [d for d in aapl if d <= TODAY + timedelta(days=42)]
    assert near == [
        date(2026, 11, 27), date(2026, 12, 4), date(2026, 12, 11), date(2026, 12, 18),
        date(2026, 12, 24), date(2026, 12, 31),
    ]  # fmt: skip
    assert [d for d in aapl if d > TODAY + timedelta(days=42)] == [
        monthly_expiry(2027, m) for m in range(1, 12)
    ]


def test_future_options_expire_no_later_than_their_future(market: MarketState) -> None:
    for root in ("/ES", "/MES", "ES"):
        listed = expiries(market, root, FOP)
        assert listed[-1] == date(2026, 12, 18)  # /ESZ6 and /MESZ6 expire on the third Friday
        assert listed[0] == TODAY
        assert date(2026, 12, 11) in listed


@pytest.mark.parametrize(
    ("underlying", "instrument"),
    [("TSLA", OPT), ("VIX", OPT), ("/NQ", FOP), ("SPX", FOP), ("AAPL", InstrumentType.STK)],
)
def test_what_has_no_options_here_is_not_listed(
    market: MarketState, underlying: str, instrument: InstrumentType
) -> None:
    with pytest.raises(NotListed) as caught:
        option_class(market, underlying, instrument)
    assert caught.value.code == "contract_not_listed"


def test_spx_strikes_are_five_points_near_the_money_and_wider_away(market: MarketState) -> None:
    grid = strikes(market, "SPX")  # SPX at 6000
    near = [s for s in grid if 5400 <= s <= 6600]
    assert near == [Decimal(n) for n in range(5400, 6605, 5)]
    middle = [s for s in grid if 4500 <= s < 5400]
    assert middle == [Decimal(n) for n in range(4500, 5400, 25)]
    far = [s for s in grid if s < 4500]
    assert far == [Decimal(n) for n in range(3600, 4500, 100)]
    assert grid[-1] == 8400


def test_spy_strikes_are_one_point_near_the_money(market: MarketState) -> None:
    grid = strikes(market, "SPY")  # SPY at 600
    assert [s for s in grid if 510 <= s <= 690] == [Decimal(n) for n in range(510, 691)]
    assert all(s % 5 == 0 for s in grid if s < 510 or s > 690)


@pytest.mark.parametrize(
    ("underlying", "near_step", "far_step"),
    [
        ("AAPL", Decimal("2.5"), Decimal(5)),
        ("NVDA", Decimal("2.5"), Decimal(5)),
        ("KO", Decimal(1), Decimal("2.5")),
    ],
)
def test_stock_strikes_step_by_price(
    market: MarketState, underlying: str, near_step: Decimal, far_step: Decimal
) -> None:
    grid = strikes(market, underlying)
    steps = {b - a for a, b in pairwise(grid)}
    assert steps == {near_step, far_step}
    price = Decimal(repr(spot(market, underlying)))
    near = [s for s in grid if abs(s - price) <= price / 5]
    assert all(s % near_step == 0 for s in near)
    assert all(s % far_step == 0 for s in grid if s not in near)
    assert str(grid[0]) == format(grid[0].normalize(), "f")  # 37.5, 40: never 4E+1


def test_every_contract_of_the_demo_book_is_listed_at_the_start(venue: Venue) -> None:
    for holding in venue.accounts[0].holdings:
        tradable(venue.market, describe(holding.contract))  # no open interest needed


def test_spx_monthlies_trade_as_spx_and_spxw_and_other_dates_only_as_spxw(market: MarketState) -> None:
    spx = option_class(market, "SPX", OPT)
    assert trading_classes(spx, date(2026, 12, 18)) == ("SPX", "SPXW")
    assert trading_classes(spx, date(2026, 12, 11)) == ("SPXW",)
    assert trading_classes(option_class(market, "AAPL", OPT), date(2026, 12, 18)) == ("AAPL",)
    assert trading_classes(option_class(market, "/ES", FOP), date(2026, 12, 18)) == ()


@given(st.floats(min_value=1000.0, max_value=12000.0))
def test_the_listed_grid_and_the_listing_check_agree(spx: float) -> None:
    from deltadesk.paper_venue.domain.demo import demo_market_config
    from deltadesk.paper_venue.domain.market import open_market

    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    market = replace(open_market(demo_market_config(start), start), spx=spx)
    cls = option_class(market, "SPX", OPT)
    grid = listed_strikes(market, cls)
    assert grid
    assert all(is_listed_strike(market, cls, s) for s in grid)
    assert not any(is_listed_strike(market, cls, s + 1) for s in grid)  # never off the 5-point grid
    assert is_listed_strike(market, cls, grid[0] - 100) is False
