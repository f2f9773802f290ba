"""The combo's price from its legs' quotes: natural and mid, per combo unit, + debit and − credit.

A combo unit is the legs' quantities divided by their greatest common divisor (orders.py), so an
iron condor of 2 × 4 legs prices as one condor. The natural price crosses every spread (buys at the
ask, sells at the bid): what the trader pays, or receives, for a fill now. The mid prices each leg
at its mid. Both follow orders.py's sign: positive is a debit, negative a credit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from pydantic import BaseModel, ConfigDict, Field

from deltadesk.shared.orders import Action


@dataclass(frozen=True, slots=True)
class PricedLeg:
    """One leg as the builder holds it, with its market (None where the broker gave no price)."""

    action: Action
    quantity: int
    bid: Decimal | None
    ask: Decimal | None


class ComboPrices(BaseModel):
    """The combo's prices; a price is None when a quote it needs is missing or crossed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    combo_quantity: int = Field(description="How many combos: the greatest common divisor of the legs.")
    ratios: tuple[int, ...] = Field(description="Each leg's signed quantity in one combo (+ buy, − sell).")
    natural: Decimal | None = Field(description="Per combo, crossing every spread: + debit, − credit.")
    mid: Decimal | None = Field(description="Per combo, each leg at its mid: + debit, − credit.")

    @property
    def is_credit(self) -> bool | None:
        reference = self.mid if self.mid is not None else self.natural
        return None if reference is None else reference < 0


def combo_quantity(quantities: Sequence[int]) -> int:
    if not quantities or any(q <= 0 for q in quantities):
        raise ValueError(f"every leg needs a positive quantity, got {list(quantities)}")
    return reduce(math.gcd, quantities)


def leg_ratios(legs: Sequence[PricedLeg]) -> tuple[int, ...]:
    unit = combo_quantity([leg.quantity for leg in legs])
    return tuple(leg.action.sign * leg.quantity // unit for leg in legs)


def combo_prices(legs: Sequence[PricedLeg]) -> ComboPrices:
    ratios = leg_ratios(legs)
    natural: Decimal | None = Decimal(0)
    mid: Decimal | None = Decimal(0)
    for leg, ratio in zip(legs, ratios, strict=True):
        bid, ask = _usable(leg.bid), _usable(leg.ask)
        crossing = ask if ratio > 0 else bid
        natural = None if natural is None or crossing is None else natural + ratio * crossing
        if mid is None or bid is None or ask is None or ask < bid:
            mid = None
        else:
            mid += ratio * (bid + ask) / 2
    return ComboPrices(
        combo_quantity=combo_quantity([leg.quantity for leg in legs]),
        ratios=ratios,
        natural=natural,
        mid=mid,
    )


def _usable(price: Decimal | None) -> Decimal | None:
    """A price that can enter a sum: finite and not negative (brokers send −1 for "no quote")."""
    if price is None or not price.is_finite() or price < 0:
        return None
    return price
