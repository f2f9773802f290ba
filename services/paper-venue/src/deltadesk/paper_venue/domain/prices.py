"""From model floats to Decimal prices: cents for marks, tick grids for quotes.

The model computes in floats; money leaves it as Decimal, rounded once, here, explicitly.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from deltadesk.shared.errors import InvalidMarketData

CENT = Decimal("0.01")


def to_decimal(value: float) -> Decimal:
    """The float's shortest decimal form (`repr`), never its binary expansion."""
    if not math.isfinite(value):
        raise InvalidMarketData(f"a price must be a finite number, was {value}")
    return Decimal(repr(value))


def to_cents(value: float) -> Decimal:
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def floor_to_tick(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def ceil_to_tick(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_CEILING) * tick


def round_to_tick(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick


def plain(value: Decimal) -> Decimal:
    """A number without trailing zeros and never in exponent form: 6000, 232.5, 0.65."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
