"""Expiry dates of listed contracts: Fridays, monthly third Fridays, quarterly futures months.

No exchange holiday calendar is applied: an expiry that falls on a market holiday (Good Friday, say)
keeps its Friday here, where a real exchange would move it to the Thursday before.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
# Options here stop trading and settle at the 16:00 New York close of their expiry date (SPXW and
# equity options are PM-settled; AM-settled monthly SPX and the /ES quarterly open settlement are
# simplified to the close).
EXPIRY_CLOSE = time(16, 0)
FRIDAY = 4
QUARTERLY_MONTHS = (3, 6, 9, 12)
MONTH_CODES = {1: "F", 2: "G", 3: "H", 4: "J", 5: "K", 6: "M", 7: "N", 8: "Q", 9: "U", 10: "V", 11: "X", 12: "Z"}


def expiry_instant(expiry: date) -> datetime:
    """The moment a contract expiring on `expiry` stops: 16:00 New York time (aware)."""
    return datetime.combine(expiry, EXPIRY_CLOSE, tzinfo=NEW_YORK)


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    first_friday = first + timedelta(days=(FRIDAY - first.weekday()) % 7)
    return first_friday + timedelta(days=14)


def nearest_friday(target: date, *, after: date) -> date:
    """The Friday closest to `target` (the later one on a tie) that is strictly after `after`."""
    before = target - timedelta(days=(target.weekday() - FRIDAY) % 7)
    later = before + timedelta(days=7) if before != target else before
    best = later if (later - target) <= (target - before) else before
    while best <= after:
        best += timedelta(days=7)
    return best


def nearest_monthly(target: date, *, after: date) -> date:
    """The monthly (third-Friday) expiry closest to `target` that is strictly after `after`."""
    candidates = []
    year, month = target.year, target.month
    for offset in (-1, 0, 1):
        m = month + offset
        y = year + (m - 1) // 12
        m = (m - 1) % 12 + 1
        candidates.append(third_friday(y, m))
    best = min((d for d in candidates if d > after), key=lambda d: (abs((d - target).days), d), default=None)
    if best is None:  # every nearby monthly is already past `after`: take the next one
        y, m = after.year, after.month
        best = third_friday(y, m)
        while best <= after:
            m = m % 12 + 1
            y += 1 if m == 1 else 0
            best = third_friday(y, m)
    return best


def front_quarter(today: date, *, roll_days: int = 7) -> date:
    """The expiry of the front quarterly futures contract (H, M, U, Z: third Friday of Mar, Jun, Sep,
    Dec), rolling to the next one when fewer than `roll_days` days are left, as traders do."""
    year = today.year
    while True:
        for month in QUARTERLY_MONTHS:
            expiry = third_friday(year, month)
            if (expiry - today).days >= roll_days:
                return expiry
        year += 1


def futures_symbol(root: str, expiry: date) -> str:
    """`/ES` expiring in December 2026 is `/ESZ6`: root, month code, last digit of the year."""
    return f"{root}{MONTH_CODES[expiry.month]}{expiry.year % 10}"
