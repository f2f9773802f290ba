"""How the desk's numbers read on the page: signs, decimals, grouping, times.

Rounding is half away from zero on the float's shortest decimal form (`repr`: 1.15, not the binary
1.1499999…), which is what Chromium's Intl.NumberFormat does, so a number rendered here and
re-rendered by static/js/format.js agrees digit for digit.
A value that rounds to zero shows no sign (never "-0.0"); a missing value shows an em dash.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

MISSING = "—"
_WIDE = Context(prec=400)  # wide enough for any finite float, so quantize never raises


def _rounded(value: float | Decimal | None, places: int) -> Decimal | None:
    """The value rounded half away from zero, with -0 made 0; None when there is nothing to show."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        exact = value
    elif math.isfinite(value):
        exact = Decimal(repr(value))
    else:
        return None
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)
    return abs(rounded) if rounded == 0 else rounded


def signed(value: float | Decimal | None, places: int = 1) -> str:
    """`+1,234.5`, `-0.3`, `0.0`: for deltas and other figures whose direction matters."""
    rounded = _rounded(value, places)
    if rounded is None:
        return MISSING
    if rounded == 0:
        return f"{rounded:,.{places}f}"
    return f"{rounded:+,.{places}f}"


def fixed(value: float | Decimal | None, places: int = 2) -> str:
    """`1,234.50`, `-0.30`: a plain number with grouping."""
    rounded = _rounded(value, places)
    return MISSING if rounded is None else f"{rounded:,.{places}f}"


def money(value: float | Decimal | None, places: int = 0) -> str:
    """`$1,234,567`, `-$1,234`: an amount in the account's currency (USD)."""
    rounded = _rounded(value, places)
    if rounded is None:
        return MISSING
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.{places}f}"


def net_price(value: Decimal | None) -> str:
    """`8.60 cr`, `1.25 db`: a combo's signed price (+ debit, − credit) as a trader reads it."""
    rounded = _rounded(value, 2)
    if rounded is None:
        return MISSING
    if rounded == 0:
        return "0.00"
    return f"{abs(rounded):,.2f} {'cr' if rounded < 0 else 'db'}"


def quantity(value: Decimal) -> str:
    """`-2`, `100`, `0.5`: a position size exactly as held, with no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def clock_time(moment: datetime | None) -> str:
    """`14:03:07 UTC`: the page's JavaScript re-renders it in the browser's time zone."""
    if moment is None:
        return MISSING
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC")


def hms(moment: datetime | None) -> str:
    """`14:03:07`: a time of day, in UTC here; the page's JavaScript shows it in the browser's zone."""
    if moment is None:
        return MISSING
    return moment.astimezone(UTC).strftime("%H:%M:%S")


def age(seconds: float | None) -> str:
    """`12 s`, `3 min`, `2 h`: how long ago something happened, as a person reads it."""
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    whole = max(0, int(seconds))
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    return f"{whole // 3600} h"
