"""Strategy-based (Reg T, Cboe Rule 10.3 / FINRA Rule 4210) margin for any list of positions.

Legs are grouped per underlying book (what prices them: `SPX`, `AAPL`, `/ESZ6`) and then, in this
fixed order, into strategies; a position may be split between strategies:

1. verticals: each short option, riskiest first (puts from the highest strike, calls from the
   lowest), pairs with the long option of the same expiry and right that costs least: a credit
   vertical needs the lesser of its width and the short's naked requirement, a debit vertical its
   net debit, paid in full;
2. iron condors: a put credit vertical and a call credit vertical of the same expiry need only the
   larger side's requirement;
3. covered calls (and covered puts): long (short) shares cover short calls (puts), nearest expiry
   and riskiest strike first; the call needs nothing, the shares are margined as stock;
4. straddles and strangles: a naked short put and call of the same expiry need the larger side's
   naked requirement plus the other side's premium;
5. naked shorts: premium + 20% (equity) or 15% (broad-based index and index ETFs) of the
   underlying − the out-of-the-money amount, at least premium + 10% of the underlying (calls) or of
   the strike (puts);
6. long options: paid in full (the 75% loan value of options with more than nine months left is not
   applied);
7. shares: 50% initial and 25% maintenance long, 50% initial and 30% maintenance short;
8. futures: a configured per-contract margin by root (SPAN at a real broker).

Options on futures are SPAN-margined at a real broker; this model stands in with premium + the
option's intrinsic value after the future moves against it by its scan range (the future's
per-contract margin expressed in points), which never exceeds premium + the future's own margin.

Option requirements are the same for initial and maintenance. Amounts are per position total
(× quantity × multiplier), rounded half-up to cents per strategy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import groupby

from pydantic import BaseModel, ConfigDict

from deltadesk.shared.errors import DomainError
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.positions import Position

ZERO = Decimal(0)
CENT = Decimal("0.01")
BROAD_BASED = frozenset({"SPX", "XSP", "NDX", "RUT", "SPY", "QQQ", "IWM", "DIA"})


class MarginUnavailable(DomainError):
    """A position the model cannot margin: no price, or a future with no configured margin."""

    code = "margin_unavailable"


@dataclass(frozen=True, slots=True)
class MarginRates:
    futures: Mapping[str, Decimal] = field(default_factory=dict)  # per contract, by root: /ES, /MES
    equity_rate: Decimal = Decimal("0.20")
    index_rate: Decimal = Decimal("0.15")
    minimum_rate: Decimal = Decimal("0.10")
    stock_initial: Decimal = Decimal("0.50")
    stock_maintenance: Decimal = Decimal("0.25")
    short_stock_initial: Decimal = Decimal("0.50")
    short_stock_maintenance: Decimal = Decimal("0.30")
    broad_based: frozenset[str] = BROAD_BASED


class StrategyKind(StrEnum):
    NAKED_PUT = "naked_put"
    NAKED_CALL = "naked_call"
    STRADDLE = "straddle"
    STRANGLE = "strangle"
    CREDIT_SPREAD = "credit_spread"
    DEBIT_SPREAD = "debit_spread"
    IRON_CONDOR = "iron_condor"
    COVERED_CALL = "covered_call"
    COVERED_PUT = "covered_put"
    LONG_OPTION = "long_option"
    LONG_STOCK = "long_stock"
    SHORT_STOCK = "short_stock"
    FUTURE = "future"


class StrategyLeg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    quantity: Decimal  # signed: the part of the position this strategy uses


class StrategyMargin(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: StrategyKind
    underlying: str
    expiry: date | None
    legs: tuple[StrategyLeg, ...]
    initial: Decimal
    maintenance: Decimal
    basis: str  # how the number was reached, for a person checking it


class MarginRequirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    initial: Decimal
    maintenance: Decimal
    strategies: tuple[StrategyMargin, ...]


@dataclass(slots=True)
class _Lot:
    """The part of one option position not yet placed in a strategy (a local working copy)."""

    position: Position
    left: Decimal  # unsigned

    @property
    def strike(self) -> Decimal:
        assert self.position.strike is not None  # checked when the lot is made
        return self.position.strike

    @property
    def premium(self) -> Decimal:
        assert self.position.mark is not None  # checked when the lot is made
        return self.position.mark

    @property
    def is_short(self) -> bool:
        return self.position.quantity < 0


def margin_requirement(positions: Iterable[Position], rates: MarginRates) -> MarginRequirement:
    """The strategy-based requirement of `positions`, whatever their order (same legs, same result)."""
    merged = _merge(positions)
    strategies: list[StrategyMargin] = []
    for _, legs in groupby(merged, key=_book):  # merged is in canonical order: grouped by book
        strategies.extend(_book_strategies(list(legs), rates))
    return MarginRequirement(
        initial=sum((s.initial for s in strategies), ZERO),
        maintenance=sum((s.maintenance for s in strategies), ZERO),
        strategies=tuple(strategies),
    )


def naked_requirement(position: Position, rates: MarginRates) -> Decimal:
    """Per unit (before quantity and multiplier): what one naked short of this option needs."""
    strike, premium, underlying = _option_numbers(position)
    if position.instrument is InstrumentType.FOP:
        scan = _future_margin(position, rates) / position.multiplier
        if position.right is Right.PUT:
            stressed = max(strike - (underlying - scan), ZERO)
        else:
            stressed = max((underlying + scan) - strike, ZERO)
        return premium + stressed
    rate = rates.index_rate if position.underlying in rates.broad_based else rates.equity_rate
    if position.right is Right.CALL:
        out_of_money = max(strike - underlying, ZERO)
        minimum = premium + rates.minimum_rate * underlying
    else:
        out_of_money = max(underlying - strike, ZERO)
        minimum = premium + rates.minimum_rate * strike
    return max(premium + rate * underlying - out_of_money, minimum)


# ── grouping ────────────────────────────────────────────────────────────────────────────────────
def _book(position: Position) -> str:
    return position.underlying_contract or position.underlying


def _merge(positions: Iterable[Position]) -> list[Position]:
    """One position per symbol (quantities summed), flat ones dropped, in a canonical order."""
    by_symbol: dict[str, Position] = {}
    for position in positions:
        seen = by_symbol.get(position.symbol)
        if seen is None:
            by_symbol[position.symbol] = position
        else:
            by_symbol[position.symbol] = seen.model_copy(
                update={"quantity": seen.quantity + position.quantity}
            )
    return sorted((p for p in by_symbol.values() if p.quantity != 0), key=_canonical)


def _canonical(p: Position) -> tuple[str, date, str, Decimal, str]:
    return (_book(p), p.expiry or date.min, p.right.value if p.right else "", p.strike or ZERO, p.symbol)


def _book_strategies(legs: list[Position], rates: MarginRates) -> list[StrategyMargin]:
    """The strategies of one book (everything priced by one underlying), in the module's order."""
    options = [_lot(p) for p in legs if p.instrument.is_option]
    shares = [p for p in legs if p.instrument.is_share]
    futures = [p for p in legs if p.instrument is InstrumentType.FUT]
    found: list[StrategyMargin] = []

    verticals = _verticals(options, rates)
    found.extend(_iron_condors(verticals))
    share_left = sum((p.quantity for p in shares), ZERO)
    covered, share_left = _covered(options, shares, share_left, rates)
    found.extend(covered)
    found.extend(_straddles(options, rates))
    found.extend(_naked(options, rates))
    found.extend(_longs(options))
    if share_left != 0:
        found.append(_stock(shares, share_left, rates))
    found.extend(_future(p, rates) for p in futures)
    return found


def _lot(position: Position) -> _Lot:
    _option_numbers(position)  # fail early when a price is missing
    return _Lot(position, abs(position.quantity))


# ── 1–2: verticals and iron condors ─────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class _Vertical:
    short: Position
    long: Position
    quantity: Decimal
    per_unit: Decimal
    credit: bool
    basis: str


def _verticals(lots: list[_Lot], rates: MarginRates) -> list[_Vertical]:
    found: list[_Vertical] = []
    for (_, right), group in groupby(lots, key=lambda lot: (lot.position.expiry, lot.position.right)):
        series = list(group)
        shorts = [lot for lot in series if lot.is_short]
        longs = [lot for lot in series if not lot.is_short]
        # Riskiest short first: the highest put strike, the lowest call strike.
        shorts.sort(key=lambda lot: -lot.strike if right is Right.PUT else lot.strike)
        for short in shorts:
            while short.left > 0:
                candidates = [lot for lot in longs if lot.left > 0]
                if not candidates:
                    break
                long = min(candidates, key=lambda lot: _pairing_cost(short, lot, rates))
                quantity = min(short.left, long.left)
                per_unit, credit, basis = _vertical_cost(short, long, rates)
                found.append(_Vertical(short.position, long.position, quantity, per_unit, credit, basis))
                short.left -= quantity
                long.left -= quantity
    return found


def _pairing_cost(short: _Lot, long: _Lot, rates: MarginRates) -> tuple[Decimal, Decimal, Decimal]:
    per_unit, _, _ = _vertical_cost(short, long, rates)
    return per_unit, abs(short.strike - long.strike), long.strike


def _vertical_cost(short: _Lot, long: _Lot, rates: MarginRates) -> tuple[Decimal, bool, str]:
    """Per unit: (requirement, is it a credit vertical, basis)."""
    put = short.position.right is Right.PUT
    width = short.strike - long.strike if put else long.strike - short.strike
    if width > 0:  # the long protects beyond the short: a credit vertical, at most its width
        naked = naked_requirement(short.position, rates)
        if width <= naked:
            return width, True, f"width {_text(width)}"
        return naked, True, f"naked requirement {_text(naked)} (below the width {_text(width)})"
    debit = max(long.premium - short.premium, ZERO)
    return debit, False, f"net debit {_text(debit)} paid in full"


@dataclass(slots=True)
class _OpenVertical:
    vertical: _Vertical
    left: Decimal


def _iron_condors(verticals: list[_Vertical]) -> list[StrategyMargin]:
    """Pair put and call credit verticals of one expiry; what stays unpaired is a plain vertical."""
    found: list[StrategyMargin] = []
    for expiry, group in groupby(verticals, key=lambda v: v.short.expiry):
        series = [_OpenVertical(v, v.quantity) for v in group]
        puts = [o for o in series if o.vertical.credit and o.vertical.short.right is Right.PUT]
        calls = [o for o in series if o.vertical.credit and o.vertical.short.right is Right.CALL]
        for put in puts:
            for call in calls:
                quantity = min(put.left, call.left)
                if quantity > 0:
                    found.append(_iron_condor(expiry, put.vertical, call.vertical, quantity))
                    put.left -= quantity
                    call.left -= quantity
        found.extend(_vertical_margin(o.vertical, o.left) for o in series if o.left > 0)
    return found


def _iron_condor(expiry: date | None, put: _Vertical, call: _Vertical, quantity: Decimal) -> StrategyMargin:
    wider = put if put.per_unit >= call.per_unit else call
    multiplier = put.short.multiplier
    amount = _money(wider.per_unit * multiplier * quantity)
    side = "put" if wider is put else "call"
    return StrategyMargin(
        kind=StrategyKind.IRON_CONDOR,
        underlying=put.short.underlying,
        expiry=expiry,
        legs=_legs(
            (put.long, quantity), (put.short, -quantity), (call.short, -quantity), (call.long, quantity)
        ),
        initial=amount,
        maintenance=amount,
        basis=f"one side, the {side}: {wider.basis} × {_text(multiplier)} × {_text(quantity)}",
    )


def _vertical_margin(vertical: _Vertical, quantity: Decimal) -> StrategyMargin:
    amount = _money(vertical.per_unit * vertical.short.multiplier * quantity)
    return StrategyMargin(
        kind=StrategyKind.CREDIT_SPREAD if vertical.credit else StrategyKind.DEBIT_SPREAD,
        underlying=vertical.short.underlying,
        expiry=vertical.short.expiry,
        legs=_legs((vertical.long, quantity), (vertical.short, -quantity)),
        initial=amount,
        maintenance=amount,
        basis=f"{vertical.basis} × {_text(vertical.short.multiplier)} × {_text(quantity)}",
    )


# ── 3: covered calls and puts ───────────────────────────────────────────────────────────────────
def _covered(
    lots: list[_Lot], shares: list[Position], share_left: Decimal, rates: MarginRates
) -> tuple[list[StrategyMargin], Decimal]:
    if not shares or share_left == 0:
        return [], share_left
    stock = shares[0]
    right = Right.CALL if share_left > 0 else Right.PUT
    # Nearest expiry first, then the riskiest strike (lowest call, highest put).
    candidates = sorted(
        (lot for lot in lots if lot.is_short and lot.position.right is right and lot.left > 0),
        key=lambda lot: (lot.position.expiry, lot.strike if right is Right.CALL else -lot.strike),
    )
    found: list[StrategyMargin] = []
    for lot in candidates:
        per_contract = lot.position.multiplier
        contracts = min(lot.left, Decimal(math.floor(abs(share_left) / per_contract)))
        if contracts <= 0:
            break
        covered_shares = contracts * per_contract * (1 if share_left > 0 else -1)
        stock_margin = _stock_amounts(stock, covered_shares, rates)
        found.append(
            StrategyMargin(
                kind=StrategyKind.COVERED_CALL if right is Right.CALL else StrategyKind.COVERED_PUT,
                underlying=lot.position.underlying,
                expiry=lot.position.expiry,
                legs=_legs((stock, covered_shares), (lot.position, -contracts)),
                initial=stock_margin[0],
                maintenance=stock_margin[1],
                basis=f"the option needs nothing; the shares: {stock_margin[2]}",
            )
        )
        lot.left -= contracts
        share_left -= covered_shares
    return found, share_left


# ── 4–6: straddles, naked shorts, longs ─────────────────────────────────────────────────────────
def _straddles(lots: list[_Lot], rates: MarginRates) -> list[StrategyMargin]:
    found: list[StrategyMargin] = []
    for expiry, group in groupby(lots, key=lambda lot: lot.position.expiry):
        shorts = [lot for lot in group if lot.is_short]
        puts = sorted((s for s in shorts if s.position.right is Right.PUT), key=lambda s: -s.strike)
        calls = sorted((s for s in shorts if s.position.right is Right.CALL), key=lambda s: s.strike)
        for put in puts:
            for call in calls:
                quantity = min(put.left, call.left)
                if quantity > 0:
                    found.append(_straddle(expiry, put, call, quantity, rates))
                    put.left -= quantity
                    call.left -= quantity
    return found


def _straddle(
    expiry: date | None, put: _Lot, call: _Lot, quantity: Decimal, rates: MarginRates
) -> StrategyMargin:
    put_naked = naked_requirement(put.position, rates)
    call_naked = naked_requirement(call.position, rates)
    if put_naked >= call_naked:
        per_unit, basis = put_naked + call.premium, "put naked + call premium"
    else:
        per_unit, basis = call_naked + put.premium, "call naked + put premium"
    multiplier = put.position.multiplier
    amount = _money(per_unit * multiplier * quantity)
    return StrategyMargin(
        kind=StrategyKind.STRADDLE if put.strike == call.strike else StrategyKind.STRANGLE,
        underlying=put.position.underlying,
        expiry=expiry,
        legs=_legs((put.position, -quantity), (call.position, -quantity)),
        initial=amount,
        maintenance=amount,
        basis=f"{basis}: {_text(per_unit)} × {_text(multiplier)} × {_text(quantity)}",
    )


def _naked(lots: list[_Lot], rates: MarginRates) -> list[StrategyMargin]:
    found = []
    for lot in lots:
        if not lot.is_short or lot.left <= 0:
            continue
        per_unit = naked_requirement(lot.position, rates)
        amount = _money(per_unit * lot.position.multiplier * lot.left)
        found.append(
            StrategyMargin(
                kind=StrategyKind.NAKED_PUT if lot.position.right is Right.PUT else StrategyKind.NAKED_CALL,
                underlying=lot.position.underlying,
                expiry=lot.position.expiry,
                legs=_legs((lot.position, -lot.left)),
                initial=amount,
                maintenance=amount,
                basis=f"naked {_text(per_unit)} × {_text(lot.position.multiplier)} × {_text(lot.left)}",
            )
        )
        lot.left = ZERO
    return found


def _longs(lots: list[_Lot]) -> list[StrategyMargin]:
    found = []
    for lot in lots:
        if lot.is_short or lot.left <= 0:
            continue
        multiplier = lot.position.multiplier
        amount = _money(lot.premium * multiplier * lot.left)
        found.append(
            StrategyMargin(
                kind=StrategyKind.LONG_OPTION,
                underlying=lot.position.underlying,
                expiry=lot.position.expiry,
                legs=_legs((lot.position, lot.left)),
                initial=amount,
                maintenance=amount,
                basis=f"paid in full: {_text(lot.premium)} × {_text(multiplier)} × {_text(lot.left)}",
            )
        )
        lot.left = ZERO
    return found


# ── 7–8: shares and futures ─────────────────────────────────────────────────────────────────────
def _stock(shares: list[Position], quantity: Decimal, rates: MarginRates) -> StrategyMargin:
    stock = shares[0]
    initial, maintenance, basis = _stock_amounts(stock, quantity, rates)
    return StrategyMargin(
        kind=StrategyKind.LONG_STOCK if quantity > 0 else StrategyKind.SHORT_STOCK,
        underlying=stock.underlying,
        expiry=None,
        legs=_legs((stock, quantity)),
        initial=initial,
        maintenance=maintenance,
        basis=basis,
    )


def _stock_amounts(stock: Position, quantity: Decimal, rates: MarginRates) -> tuple[Decimal, Decimal, str]:
    price = _share_price(stock)
    value = abs(quantity) * price
    if quantity > 0:
        initial_rate, maintenance_rate = rates.stock_initial, rates.stock_maintenance
    else:
        initial_rate, maintenance_rate = rates.short_stock_initial, rates.short_stock_maintenance
    basis = (
        f"{_text(abs(quantity))} × {_text(price)} at {_text(initial_rate * 100)}% initial, "
        f"{_text(maintenance_rate * 100)}% maintenance"
    )
    return _money(value * initial_rate), _money(value * maintenance_rate), basis


def _future(position: Position, rates: MarginRates) -> StrategyMargin:
    per_contract = _future_margin(position, rates)
    amount = _money(per_contract * abs(position.quantity))
    return StrategyMargin(
        kind=StrategyKind.FUTURE,
        underlying=position.underlying,
        expiry=None,
        legs=_legs((position, position.quantity)),
        initial=amount,
        maintenance=amount,
        basis=f"{_text(per_contract)} per contract × {_text(abs(position.quantity))}",
    )


def _future_margin(position: Position, rates: MarginRates) -> Decimal:
    margin = rates.futures.get(position.underlying)
    if margin is None:
        raise MarginUnavailable(
            f"no per-contract margin configured for {position.underlying} futures ({position.symbol})"
        )
    return margin


# ── numbers ─────────────────────────────────────────────────────────────────────────────────────
def _option_numbers(position: Position) -> tuple[Decimal, Decimal, Decimal]:
    """(strike, premium per unit, underlying price) of an option, or MarginUnavailable."""
    if position.strike is None or position.right is None:
        raise MarginUnavailable(f"{position.symbol} is not an option")
    if position.mark is None:
        raise MarginUnavailable(f"{position.symbol} has no mark to margin it with")
    if position.underlying_price is None:
        raise MarginUnavailable(f"{position.symbol} has no underlying price to margin it with")
    return position.strike, position.mark, Decimal(repr(position.underlying_price))


def _share_price(stock: Position) -> Decimal:
    if stock.mark is not None:
        return stock.mark
    if stock.underlying_price is not None:
        return Decimal(repr(stock.underlying_price))
    raise MarginUnavailable(f"{stock.symbol} has no price to margin it with")


def _legs(*parts: tuple[Position, Decimal]) -> tuple[StrategyLeg, ...]:
    return tuple(StrategyLeg(symbol=p.symbol, quantity=q) for p, q in parts)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(number: Decimal) -> str:
    """A number for the basis line: at most two decimals, no trailing zeros."""
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    return format(number.normalize(), "f")
