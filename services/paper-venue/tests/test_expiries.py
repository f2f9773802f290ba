"""Expiry dates: third Fridays, weekly Fridays, the futures front month, exchange holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.expiries import (
    exchange_holidays,
    expiry_instant,
    front_quarter,
    futures_symbol,
    is_trading_day,
    monthly_expiry,
    nearest_friday,
    nearest_monthly,
    third_friday,
)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))
FRIDAY, THURSDAY = 4, 3


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2026, 12, date(2026, 12, 18)), (2027, 1, date(2027, 1, 15)), (2026, 5, date(2026, 5, 15))],
)
def test_the_third_friday(year: int, month: int, expected: date) -> None:
    assert third_friday(year, month) == expected


def test_a_good_friday_monthly_expiry_moves_to_the_thursday() -> None:
    # April 2022 and March 2008: the third Friday was Good Friday; options expired the day before.
    assert monthly_expiry(2022, 4) == date(2022, 4, 14)
    assert monthly_expiry(2008, 3) == date(2008, 3, 20)


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 4, 3),  # Good Friday
        date(2026, 7, 3),  # Independence Day on a Saturday, observed on the Friday
        date(2026, 12, 25),  # Christmas
        date(2027, 6, 18),  # Juneteenth on a Saturday, observed on the Friday
        date(2026, 11, 26),  # Thanksgiving
        date(2027, 1, 18),  # Martin Luther King Jr. Day
    ],
)
def test_exchange_holidays_are_not_trading_days(holiday: date) -> None:
    assert holiday in exchange_holidays(holiday.year)
    assert not is_trading_day(holiday)


def test_a_saturday_new_year_is_not_observed_on_the_friday_before() -> None:
    assert is_trading_day(date(2021, 12, 31))  # 2022-01-01 was a Saturday


def test_a_weekly_expiry_on_christmas_moves_to_the_thursday() -> None:
    assert nearest_friday(date(2026, 12, 25), after=date(2026, 11, 24)) == date(2026, 12, 24)


@given(days, st.integers(min_value=0, max_value=120))
def test_the_nearest_weekly_expiry_is_a_trading_friday_or_the_day_before_a_holiday(
    today: date, dte: int
) -> None:
    target = today + timedelta(days=dte)
    expiry = nearest_friday(target, after=today)
    assert expiry > today
    assert is_trading_day(expiry)
    assert expiry.weekday() == FRIDAY or not is_trading_day(expiry + timedelta(days=1))
    assert abs((expiry - target).days) <= 4 or expiry - today <= timedelta(days=8)


@given(days, st.integers(min_value=0, max_value=120))
def test_the_nearest_monthly_expiry_is_a_listed_third_friday(today: date, dte: int) -> None:
    target = today + timedelta(days=dte)
    expiry = nearest_monthly(target, after=today)
    assert expiry > today
    assert expiry == monthly_expiry(expiry.year, expiry.month)
    assert abs((expiry - target).days) <= 22 or expiry - today <= timedelta(days=36)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 24), date(2026, 12, 18)),  # /ESZ6 with more than a week left
        (date(2026, 12, 12), date(2027, 3, 19)),  # rolled to /ESH7 in expiry week
        (date(2026, 12, 19), date(2027, 3, 19)),
    ],
)
def test_the_front_quarterly_future_rolls_a_week_before_expiry(today: date, expected: date) -> None:
    assert front_quarter(today) == expected


def test_futures_symbols_use_the_month_code_and_the_years_last_digit() -> None:
    assert futures_symbol("/ES", date(2026, 12, 18)) == "/ESZ6"
    assert futures_symbol("/MES", date(2027, 3, 19)) == "/MESH7"


def test_an_expiry_ends_at_four_in_new_york() -> None:
    assert expiry_instant(date(2026, 12, 18)).isoformat() == "2026-12-18T16:00:00-05:00"
    assert expiry_instant(date(2026, 6, 18)).isoformat() == "2026-06-18T16:00:00-04:00"
