"""Pre-trade controls: the checks an approved order passes before it is transmitted.

Each control returns a `Denial` (a stable code and a reason naming the rule and the numbers, like
`NOTIONAL_EXCEEDS_MAX: max_notional=25000000, notional=31200000.00`) or None. `check_order` runs
them in a fixed order and returns the first denial: the kill switch first, then the trading state,
then the order's shape and size, then the market, then the history.

Definitions:
- **notional** of an order = Σ over legs of quantity × multiplier × underlying price, gross (legs
  never net against each other). For an option the underlying price is its underlying's; for a
  share or future, its own. A short SPX put of 1 at SPX 6000 is 1 × 100 × 6000 = 600,000.
- **combo mid** = Σ over legs of the leg's signed ratio (+ buy, − sell) × the leg's mid, in the
  order's own convention (per combo unit, + debit, − credit).
- **price collar**: a limit order's price may differ from the combo mid by at most
  max(collar_pct × |mid|, collar_floor), either way: a limit far from the market in either
  direction is a typo (a credit typed as a debit most of all).
- **reduces exposure** (the REDUCING state): the simulated post-trade |SPX delta| is strictly below
  the pre-trade one. REDUCING exists because the SPX-equivalent delta limit was breached, so the
  test measures that number; it lets a hedge through (a long put, a short /MES) that a
  "closes a position" rule would block, and it blocks closing a hedge, which a "closes a position"
  rule would let through. The numbers are the ones the trader reviewed, from a simulation that is
  still valid (simulations expire).

Controls are fail-closed: a number they need but cannot get denies the order (MARKET_DATA_UNAVAILABLE).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from deltadesk.shared.events import TradingState
from deltadesk.shared.orders import ContractQuote, Order, OrderLeg, OrderType, canonical_order
from deltadesk.shared.simulation import Simulation

PAPER_BROKER = "paper"
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Denial:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_legs: int
    max_contracts: int  # per option or future leg
    max_shares: int  # per share leg
    max_notional: Decimal
    collar_pct: Decimal  # 0.20 = 20 % of the combo mid
    collar_floor: Decimal  # per combo unit, for cheap options whose 20 % is cents
    duplicate_window: timedelta
    max_orders_per_minute: int  # per account


@dataclass(frozen=True, slots=True)
class Sent:
    """An order that passed the controls and was transmitted (or was about to be)."""

    account: str
    fingerprint: str
    at: datetime


def fingerprint(order: Order) -> str:
    """What makes two orders the same for the duplicate window: everything but the order id."""
    fields = canonical_order(order)
    del fields["order_id"]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ── the controls ────────────────────────────────────────────────────────────────────────────────
def check_live_trading(order: Order, *, live_trading: bool) -> Denial | None:
    if order.broker != PAPER_BROKER and not live_trading:
        return Denial(
            "LIVE_TRADING_DISABLED",
            f"LIVE_TRADING_DISABLED: broker={order.broker}, live_trading=false "
            "(set DELTADESK_LIVE_TRADING=true to send orders to a real broker)",
        )
    return None


def check_trading_state(order: Order, state: TradingState, simulation: Simulation | None) -> Denial | None:
    if state is TradingState.HALTED:
        return Denial("TRADING_HALTED", "TRADING_HALTED: the kill switch is on; nothing is transmitted")
    if state is TradingState.REDUCING:
        if simulation is None:
            return Denial(
                "REDUCE_ONLY", "REDUCE_ONLY: trading_state=REDUCING and no simulation to measure by"
            )
        pre = abs(simulation.risk.pre_trade.spx_delta)
        post = abs(simulation.risk.post_trade.spx_delta)
        if not post < pre:
            return Denial(
                "REDUCE_ONLY",
                f"REDUCE_ONLY: trading_state=REDUCING, |spx_delta| pre_trade={pre:.2f}, "
                f"post_trade={post:.2f}: the order does not reduce exposure",
            )
    return None


def check_legs(order: Order, limits: Limits) -> Denial | None:
    if len(order.legs) > limits.max_legs:
        return Denial(
            "MAX_LEGS_EXCEEDED", f"MAX_LEGS_EXCEEDED: max_legs={limits.max_legs}, legs={len(order.legs)}"
        )
    return None


def check_quantity(order: Order, limits: Limits) -> Denial | None:
    for number, leg in enumerate(order.legs, start=1):
        shares = leg.contract.instrument.is_share
        limit = limits.max_shares if shares else limits.max_contracts
        if leg.quantity > limit:
            name = "max_shares" if shares else "max_contracts"
            return Denial(
                "QUANTITY_EXCEEDS_MAX",
                f"QUANTITY_EXCEEDS_MAX: {name}={limit}, leg {number} ({leg.contract.symbol}) "
                f"quantity={leg.quantity}",
            )
    return None


def check_notional(order: Order, quotes: Mapping[str, ContractQuote], limits: Limits) -> Denial | None:
    total = Decimal(0)
    for number, leg in enumerate(order.legs, start=1):
        price = underlying_price(leg, quotes.get(leg.contract.symbol))
        if price is None:
            return _no_market(number, leg, "no underlying price to measure notional by")
        total += leg.quantity * leg.contract.multiplier * price
    if total > limits.max_notional:
        return Denial(
            "NOTIONAL_EXCEEDS_MAX",
            f"NOTIONAL_EXCEEDS_MAX: max_notional={_money(limits.max_notional)}, notional={_money(total)}",
        )
    return None


def check_collar(order: Order, quotes: Mapping[str, ContractQuote], limits: Limits) -> Denial | None:
    if order.order_type is not OrderType.LIMIT or order.limit_price is None:
        return None  # market orders take the market's price; there is no price to collar
    mid = Decimal(0)
    for number, leg in enumerate(order.legs, start=1):
        quote = quotes.get(leg.contract.symbol)
        leg_mid = quote.mid if quote is not None else None
        if leg_mid is None:
            return _no_market(number, leg, "no bid and ask to take the mid of")
        mid += order.ratio(leg) * leg_mid
    band = max(limits.collar_pct * abs(mid), limits.collar_floor)
    distance = abs(order.limit_price - mid)
    if distance > band:
        return Denial(
            "PRICE_OUTSIDE_COLLAR",
            f"PRICE_OUTSIDE_COLLAR: limit_price={_price(order.limit_price)}, mid={_price(mid)}, "
            f"distance={_price(distance)}, max_distance={_price(band)} "
            f"(collar {_pct(limits.collar_pct)} of mid, floor {_price(limits.collar_floor)})",
        )
    return None


def check_duplicate(order: Order, sent: Sequence[Sent], now: datetime, limits: Limits) -> Denial | None:
    mine = fingerprint(order)
    for earlier in sent:
        if earlier.account == order.account and earlier.fingerprint == mine:
            age = now - earlier.at
            if timedelta(0) <= age < limits.duplicate_window:
                return Denial(
                    "DUPLICATE_ORDER",
                    f"DUPLICATE_ORDER: the same order was sent {age.total_seconds():.1f} s ago, "
                    f"duplicate_window={limits.duplicate_window.total_seconds():g} s",
                )
    return None


def check_rate(order: Order, sent: Sequence[Sent], now: datetime, limits: Limits) -> Denial | None:
    recent = sum(1 for s in sent if s.account == order.account and timedelta(0) <= now - s.at < RATE_WINDOW)
    if recent >= limits.max_orders_per_minute:
        return Denial(
            "RATE_LIMIT_EXCEEDED",
            f"RATE_LIMIT_EXCEEDED: max_orders_per_minute={limits.max_orders_per_minute}, "
            f"orders in the last minute={recent}",
        )
    return None


def check_order(
    order: Order,
    *,
    limits: Limits,
    trading_state: TradingState,
    simulation: Simulation | None,
    quotes: Mapping[str, ContractQuote],
    sent: Sequence[Sent],
    now: datetime,
    live_trading: bool,
) -> Denial | None:
    """The first control that denies the order, or None when every one passes."""
    checks: tuple[Callable[[], Denial | None], ...] = (
        lambda: check_trading_state(order, trading_state, simulation),
        lambda: check_live_trading(order, live_trading=live_trading),
        lambda: check_legs(order, limits),
        lambda: check_quantity(order, limits),
        lambda: check_notional(order, quotes, limits),
        lambda: check_collar(order, quotes, limits),
        lambda: check_duplicate(order, sent, now, limits),
        lambda: check_rate(order, sent, now, limits),
    )
    for check in checks:
        denial = check()
        if denial is not None:
            return denial
    return None


# ── the numbers ─────────────────────────────────────────────────────────────────────────────────
def underlying_price(leg: OrderLeg, quote: ContractQuote | None) -> Decimal | None:
    """An option's underlying price; a share's or future's own (its mid, else its last)."""
    if quote is None:
        return None
    if quote.underlying_price is not None and quote.underlying_price > 0:
        return Decimal(str(quote.underlying_price))
    if leg.contract.instrument.is_option:
        return None
    own = quote.mid if quote.mid is not None else quote.last
    return own if own is not None and own > 0 else None


def _no_market(number: int, leg: OrderLeg, what: str) -> Denial:
    return Denial(
        "MARKET_DATA_UNAVAILABLE", f"MARKET_DATA_UNAVAILABLE: leg {number} ({leg.contract.symbol}): {what}"
    )


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _price(value: Decimal) -> str:
    normal = value.quantize(Decimal("0.0001")).normalize()
    return format(normal, "f") if normal != 0 else "0"


def _pct(value: Decimal) -> str:
    return f"{format((value * 100).normalize(), 'f')}%"
