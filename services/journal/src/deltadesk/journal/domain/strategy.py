"""Recognise an order's strategy from its legs: short put, vertical, iron condor, strangle, …

The legs are first merged (the same contract twice is one leg) and reduced to their ratio (an iron
condor of 2 × 4 legs is one iron condor). Recognition looks at shape only: rights, strikes, expiries
and signs. It cannot know whether an order opens or closes a position, so buying back a short put
reads as a long put; the trader's own tag (and execution's FLATTEN) always wins over it.

Anything that fits no shape, or fits it only loosely (unequal sizes, several underlyings, mixed
expiries across rights), is `custom` rather than a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import reduce

from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Order

MAX_TAG_LENGTH = 64


class Strategy(StrEnum):
    STOCK = "stock"
    FUTURE = "future"
    SHORT_PUT = "short put"
    SHORT_CALL = "short call"
    LONG_PUT = "long put"
    LONG_CALL = "long call"
    PUT_CREDIT_SPREAD = "put credit spread"
    PUT_DEBIT_SPREAD = "put debit spread"
    CALL_CREDIT_SPREAD = "call credit spread"
    CALL_DEBIT_SPREAD = "call debit spread"
    RATIO_SPREAD = "ratio spread"
    SHORT_STRANGLE = "short strangle"
    LONG_STRANGLE = "long strangle"
    SHORT_STRADDLE = "short straddle"
    LONG_STRADDLE = "long straddle"
    RISK_REVERSAL = "risk reversal"
    SYNTHETIC = "synthetic"
    CALENDAR = "calendar"
    DIAGONAL = "diagonal"
    COVERED_CALL = "covered call"
    COVERED_PUT = "covered put"
    PROTECTIVE_PUT = "protective put"
    COLLAR = "collar"
    JADE_LIZARD = "jade lizard"
    BUTTERFLY = "butterfly"
    SHORT_BUTTERFLY = "short butterfly"
    BROKEN_WING_BUTTERFLY = "broken-wing butterfly"
    CONDOR = "condor"
    SHORT_CONDOR = "short condor"
    IRON_CONDOR = "iron condor"
    REVERSE_IRON_CONDOR = "reverse iron condor"
    IRON_BUTTERFLY = "iron butterfly"
    REVERSE_IRON_BUTTERFLY = "reverse iron butterfly"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class StrategyLeg:
    """One leg as recognition sees it. `quantity` is signed: a sale is negative."""

    underlying: str
    instrument: InstrumentType
    quantity: int
    right: Right | None = None
    strike: Decimal | None = None
    expiry: date | None = None

    @property
    def key(self) -> tuple[str, InstrumentType, Right | None, Decimal | None, date | None]:
        return (self.underlying, self.instrument, self.right, self.strike, self.expiry)


def legs_of(order: Order) -> tuple[StrategyLeg, ...]:
    return tuple(
        StrategyLeg(
            underlying=leg.contract.underlying.strip().upper(),
            instrument=leg.contract.instrument,
            quantity=leg.signed_quantity,
            right=leg.contract.right,
            strike=leg.contract.strike,
            expiry=leg.contract.expiry,
        )
        for leg in order.legs
    )


def strategy_tag(order: Order, user_tag: str | None) -> str:
    """The trader's own tag when there is one (trimmed), else the recognised strategy."""
    if user_tag is not None and user_tag.strip():
        return user_tag.strip()[:MAX_TAG_LENGTH]
    return recognise(legs_of(order)).value


def recognise(legs: Iterable[StrategyLeg]) -> Strategy:
    merged = _ratios(_merge(legs))
    if not merged:
        return Strategy.CUSTOM
    if len({leg.underlying for leg in merged}) > 1:
        return Strategy.CUSTOM
    options = [leg for leg in merged if leg.instrument.is_option]
    shares = [leg for leg in merged if leg.instrument.is_share]
    futures = [leg for leg in merged if leg.instrument is InstrumentType.FUT]
    if shares and futures:
        return Strategy.CUSTOM
    linear = shares or futures
    if not options:
        return _linear(linear)
    if linear:
        return _covered(linear, options)
    return _options(options)


# ── normalising ─────────────────────────────────────────────────────────────────────────────────
def _merge(legs: Iterable[StrategyLeg]) -> list[StrategyLeg]:
    """One leg per contract, quantities summed; legs that cancel out are gone."""
    totals: dict[tuple[object, ...], StrategyLeg] = {}
    for leg in legs:
        held = totals.get(leg.key)
        totals[leg.key] = leg if held is None else _with_quantity(held, held.quantity + leg.quantity)
    return [leg for leg in totals.values() if leg.quantity != 0]


def _ratios(legs: list[StrategyLeg]) -> list[StrategyLeg]:
    if not legs:
        return []
    divisor = reduce(math.gcd, (abs(leg.quantity) for leg in legs))
    return [_with_quantity(leg, leg.quantity // divisor) for leg in legs]


def _with_quantity(leg: StrategyLeg, quantity: int) -> StrategyLeg:
    return StrategyLeg(leg.underlying, leg.instrument, quantity, leg.right, leg.strike, leg.expiry)


def _strike(leg: StrategyLeg) -> Decimal:
    if leg.strike is None:  # an option leg always has one (LegSpec and Contract check it)
        raise ValueError(f"an option leg on {leg.underlying} has no strike")
    return leg.strike


def _same(values: Iterable[object]) -> bool:
    return len(set(values)) == 1


# ── shapes ──────────────────────────────────────────────────────────────────────────────────────
def _linear(legs: Sequence[StrategyLeg]) -> Strategy:
    if len(legs) == 1:
        return Strategy.STOCK if legs[0].instrument.is_share else Strategy.FUTURE
    if (
        len(legs) == 2
        and all(leg.instrument is InstrumentType.FUT for leg in legs)
        and legs[0].quantity == -legs[1].quantity
    ):
        return Strategy.CALENDAR  # a futures calendar spread: two months, one long, one short
    return Strategy.CUSTOM


def _covered(linear: Sequence[StrategyLeg], options: Sequence[StrategyLeg]) -> Strategy:
    if len(linear) != 1:
        return Strategy.CUSTOM
    long_underlying = linear[0].quantity > 0
    rights = {(leg.right, leg.quantity > 0) for leg in options}
    if len(options) == 1:
        if long_underlying and rights == {(Right.CALL, False)}:
            return Strategy.COVERED_CALL
        if long_underlying and rights == {(Right.PUT, True)}:
            return Strategy.PROTECTIVE_PUT
        if not long_underlying and rights == {(Right.PUT, False)}:
            return Strategy.COVERED_PUT
        return Strategy.CUSTOM
    if len(options) == 2 and long_underlying and rights == {(Right.CALL, False), (Right.PUT, True)}:
        return Strategy.COLLAR
    return Strategy.CUSTOM


def _options(legs: Sequence[StrategyLeg]) -> Strategy:
    if len(legs) == 1:
        return _single(legs[0])
    if len(legs) == 2:
        return _two(legs[0], legs[1])
    if len(legs) == 3:
        return _three(legs)
    if len(legs) == 4:
        return _four(legs)
    return Strategy.CUSTOM


def _single(leg: StrategyLeg) -> Strategy:
    if leg.right is Right.PUT:
        return Strategy.SHORT_PUT if leg.quantity < 0 else Strategy.LONG_PUT
    return Strategy.SHORT_CALL if leg.quantity < 0 else Strategy.LONG_CALL


def _two(a: StrategyLeg, b: StrategyLeg) -> Strategy:
    same_expiry = a.expiry == b.expiry
    opposite = (a.quantity > 0) != (b.quantity > 0)
    equal = abs(a.quantity) == abs(b.quantity)
    if a.right is b.right:
        if not opposite:
            return Strategy.CUSTOM
        if same_expiry:
            return _vertical(a, b) if equal else Strategy.RATIO_SPREAD
        if not equal:
            return Strategy.CUSTOM
        return Strategy.CALENDAR if a.strike == b.strike else Strategy.DIAGONAL
    if not (same_expiry and equal):
        return Strategy.CUSTOM
    put, call = (a, b) if a.right is Right.PUT else (b, a)
    if opposite:
        return Strategy.SYNTHETIC if put.strike == call.strike else Strategy.RISK_REVERSAL
    short = a.quantity < 0
    if put.strike == call.strike:
        return Strategy.SHORT_STRADDLE if short else Strategy.LONG_STRADDLE
    return Strategy.SHORT_STRANGLE if short else Strategy.LONG_STRANGLE


def _vertical(a: StrategyLeg, b: StrategyLeg) -> Strategy:
    short, long = (a, b) if a.quantity < 0 else (b, a)
    if a.right is Right.PUT:  # selling the higher put takes in more than the lower one costs
        return Strategy.PUT_CREDIT_SPREAD if _strike(short) > _strike(long) else Strategy.PUT_DEBIT_SPREAD
    return Strategy.CALL_CREDIT_SPREAD if _strike(short) < _strike(long) else Strategy.CALL_DEBIT_SPREAD


def _three(legs: Sequence[StrategyLeg]) -> Strategy:
    if not _same(leg.expiry for leg in legs):
        return Strategy.CUSTOM
    ordered = sorted(legs, key=_strike)
    if _same(leg.right for leg in legs):
        low, mid, high = ordered
        if not (low.quantity == high.quantity and mid.quantity == -2 * low.quantity):
            return Strategy.CUSTOM
        if low.quantity < 0:
            return Strategy.SHORT_BUTTERFLY
        wings_equal = _strike(mid) - _strike(low) == _strike(high) - _strike(mid)
        return Strategy.BUTTERFLY if wings_equal else Strategy.BROKEN_WING_BUTTERFLY
    puts = [leg for leg in ordered if leg.right is Right.PUT]
    calls = [leg for leg in ordered if leg.right is Right.CALL]
    if len(puts) == 1 and len(calls) == 2 and _same(abs(leg.quantity) for leg in legs):
        put, low_call, high_call = puts[0], calls[0], calls[1]
        if (
            put.quantity < 0
            and low_call.quantity < 0 < high_call.quantity
            and _strike(put) < _strike(low_call)
        ):
            return Strategy.JADE_LIZARD  # a short put plus a call credit spread above it
    return Strategy.CUSTOM


def _four(legs: Sequence[StrategyLeg]) -> Strategy:
    if not _same(leg.expiry for leg in legs) or not _same(abs(leg.quantity) for leg in legs):
        return Strategy.CUSTOM
    ordered = sorted(legs, key=_strike)
    signs = tuple(1 if leg.quantity > 0 else -1 for leg in ordered)
    if _same(leg.right for leg in legs):
        if signs == (1, -1, -1, 1):
            return Strategy.CONDOR
        if signs == (-1, 1, 1, -1):
            return Strategy.SHORT_CONDOR
        return Strategy.CUSTOM
    puts = [leg for leg in ordered if leg.right is Right.PUT]
    calls = [leg for leg in ordered if leg.right is Right.CALL]
    if len(puts) != 2 or len(calls) != 2:
        return Strategy.CUSTOM
    low_put, high_put = puts
    low_call, high_call = calls
    if _strike(high_put) > _strike(low_call):
        return Strategy.CUSTOM
    inner_touch = _strike(high_put) == _strike(low_call)
    put_signs = (low_put.quantity > 0, high_put.quantity > 0)
    call_signs = (low_call.quantity > 0, high_call.quantity > 0)
    if put_signs == (True, False) and call_signs == (False, True):
        return Strategy.IRON_BUTTERFLY if inner_touch else Strategy.IRON_CONDOR
    if put_signs == (False, True) and call_signs == (True, False):
        return Strategy.REVERSE_IRON_BUTTERFLY if inner_touch else Strategy.REVERSE_IRON_CONDOR
    return Strategy.CUSTOM
