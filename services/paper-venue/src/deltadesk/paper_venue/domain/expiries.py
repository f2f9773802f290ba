"""Expiry dates of listed contracts: weekly Fridays, monthly third Fridays, quarterly futures months,
moved to the trading day before when the Friday is an exchange holiday (Good Friday, Christmas, …).

Holidays are the NYSE/Cboe full-day closures: New Year's Day, Martin Luther King Jr. Day,
Washington's Birthday, Good Friday, Memorial Day, Juneteenth (from 2022), Independence Day, Labor
Day, Thanksgiving and Christmas; a Saturday holiday is observed on the Friday before (except New
Year's Day), a Sunday one on the Monday after. One-off closures (national days of mourning) are not
known here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
# Options here stop trading and settle at the 16:00 New York close of their expiry date (SPXW and
# equity options are PM-settled; AM-settled monthly SPX and the /ES quarterly open settlement are
# simplified to the close).
EXPIRY_CLOSE = time(16, 0)
MONDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = 0, 3, 4, 5, 6
QUARTERLY_MONTHS = (3, 6, 9, 12)
MONTH_CODES = {
    1: "F", 2: "G", 3: "H", 4: "J", 5: "K", 6: "M", 7: "N", 8: "Q", 9: "U", 10: "V", 11: "X", 12: "Z",
}  # fmt: skip


def expiry_instant(expiry: date) -> datetime:
    """The moment a contract expiring on `expiry` stops: 16:00 New York time (aware)."""
    return datetime.combine(expiry, EXPIRY_CLOSE, tzinfo=NEW_YORK)


def session_close(moment: datetime) -> datetime:
    """The 16:00 New York close of the session a moment belongs to: today's when it is a trading day
    and the close is still ahead, else the next trading day's (where a DAY order entered then works)."""
    day = moment.astimezone(NEW_YORK).date()
    while not is_trading_day(day) or expiry_instant(day) <= moment:
        day += timedelta(days=1)
    return expiry_instant(day)


def is_trading_day(day: date) -> bool:
    return day.weekday() < SATURDAY and day not in exchange_holidays(day.year)


def listed_expiry(day: date) -> date:
    """The expiry listed for a nominal expiry day: that day, or the last trading day before it."""
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def third_friday(year: int, month: int) -> date:
    """The nominal monthly expiry: the third Friday of the month (before any holiday move)."""
    return _nth_weekday(year, month, FRIDAY, 3)


def monthly_expiry(year: int, month: int) -> date:
    return listed_expiry(third_friday(year, month))


def nearest_friday(target: date, *, after: date) -> date:
    """The weekly (Friday) expiry closest to `target`, the later one on a tie, strictly after `after`."""
    friday = target - timedelta(days=(target.weekday() - FRIDAY) % 7)  # the Friday on or before target
    candidates = [listed_expiry(friday + timedelta(weeks=n)) for n in (-1, 0, 1)]
    return _nearest(candidates, target, after, _next_weekly)


def nearest_monthly(target: date, *, after: date) -> date:
    """The monthly (third-Friday) expiry closest to `target`, the later one on a tie, strictly after
    `after`."""
    candidates = []
    for offset in (-1, 0, 1):
        index = target.year * 12 + target.month - 1 + offset
        candidates.append(monthly_expiry(index // 12, index % 12 + 1))
    return _nearest(candidates, target, after, _next_monthly)


def front_quarter(today: date, *, roll_days: int = 7) -> date:
    """The expiry of the front quarterly futures contract (H, M, U, Z: third Friday of Mar, Jun, Sep,
    Dec), rolling to the next one when fewer than `roll_days` days are left, as traders do."""
    year = today.year
    while True:
        for month in QUARTERLY_MONTHS:
            expiry = monthly_expiry(year, month)
            if (expiry - today).days >= roll_days:
                return expiry
        year += 1


def futures_symbol(root: str, expiry: date) -> str:
    """`/ES` expiring in December 2026 is `/ESZ6`: root, month code, last digit of the year."""
    return f"{root}{MONTH_CODES[expiry.month]}{expiry.year % 10}"


@cache
def exchange_holidays(year: int) -> frozenset[date]:
    def observed(day: date) -> date:
        if day.weekday() == SATURDAY:
            return day - timedelta(days=1)
        if day.weekday() == SUNDAY:
            return day + timedelta(days=1)
        return day

    new_year = date(year, 1, 1)
    days = {
        new_year + timedelta(days=1) if new_year.weekday() == SUNDAY else new_year,
        _nth_weekday(year, 1, MONDAY, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, MONDAY, 3),  # Washington's Birthday
        _easter(year) - timedelta(days=2),  # Good Friday
        _last_weekday(year, 5, MONDAY),  # Memorial Day
        observed(date(year, 7, 4)),
        _nth_weekday(year, 9, MONDAY, 1),  # Labor Day
        _nth_weekday(year, 11, THURSDAY, 4),  # Thanksgiving
        observed(date(year, 12, 25)),
    }
    if year >= 2022:
        days.add(observed(date(year, 6, 19)))
    # A Saturday New Year's Day of next year is not observed on this year's December 31.
    return frozenset(d for d in days if d.year == year and d.weekday() < SATURDAY)


def _nearest(candidates: list[date], target: date, after: date, following: Callable[[date], date]) -> date:
    ordered = sorted(set(candidates))
    eligible = [d for d in ordered if d > after]
    if eligible:
        # Closest to the target; on a tie the later date.
        return min(eligible, key=lambda d: (abs((d - target).days), -d.toordinal()))
    day = following(ordered[-1])
    while day <= after:
        day = following(day)
    return day


def _next_weekly(day: date) -> date:
    friday = day + timedelta(days=(FRIDAY - day.weekday()) % 7 or 7)
    while listed_expiry(friday) <= day:  # `day` may be the Thursday a holiday Friday moved to
        friday += timedelta(weeks=1)
    return listed_expiry(friday)


def _next_monthly(day: date) -> date:
    index = day.year * 12 + day.month  # the month after `day`'s, zero-based
    return monthly_expiry(index // 12, index % 12 + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    following_month = date(year + month // 12, month % 12 + 1, 1)
    last = following_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)
