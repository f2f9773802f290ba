"""Orders: what the trader asks for (up to four legs), what a broker resolves it to, and its states.

Prices of an order are per unit of the combo and signed from the trader's side: positive is a debit
(the trader pays), negative a credit (the trader receives). A combo unit is the legs' quantities
divided by their greatest common divisor, so an iron condor of 2 × 4 legs is 2 combos of ratio 1.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import reduce
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.positions import Greeks

MAX_LEGS = 4
MOC_OPTIONS_WARNING = "MOC not supported for options — switch to Limit or Market"


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        return 1 if self is Action.BUY else -1


class OrderType(StrEnum):
    LIMIT = "LMT"
    MARKET = "MKT"
    MOC = "MOC"  # market on close: shares and funds only


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"


class OrderState(StrEnum):
    DRAFT = "DRAFT"
    SIMULATED = "SIMULATED"
    APPROVED = "APPROVED"
    SUBMITTED = "SUBMITTED"
    PARTIAL = "PARTIAL"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"  # sent, but the broker's answer was lost: verify in the broker platform

    @property
    def is_final(self) -> bool:
        return self in (OrderState.FILLED, OrderState.REJECTED, OrderState.CANCELLED)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LegSpec(_Frozen):
    """One leg as the trader specifies it. A broker resolves it to a `Contract`.

    For a future, `expiry` may be left out: it resolves to the front month. For an index option,
    `trading_class` tells SPX (AM monthly) from SPXW (PM weeklies and dailies).
    """

    action: Action
    instrument: InstrumentType
    underlying: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=100_000)
    expiry: date | None = None
    strike: Decimal | None = Field(default=None, gt=0)
    right: Right | None = None
    trading_class: str | None = Field(default=None, max_length=16)

    @model_validator(mode="after")
    def _check_shape(self) -> LegSpec:
        if self.instrument.is_option:
            missing = [n for n in ("expiry", "strike", "right") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"an {self.instrument} leg needs {', '.join(missing)}")
        elif self.strike is not None or self.right is not None:
            raise ValueError(f"a {self.instrument} leg has no strike or right")
        elif self.instrument.is_share and self.expiry is not None:
            raise ValueError(f"a {self.instrument} leg has no expiry")
        return self


class Contract(_Frozen):
    """An instrument exactly as a broker trades it.

    `symbol` is the desk's name for it (OCC for options, `/ESZ6` for futures); `broker_id` is what the
    broker needs (an IBKR conid, a Tastytrade symbol). `multiplier` converts per-unit prices to dollars.
    """

    symbol: str
    underlying: str
    instrument: InstrumentType
    multiplier: Decimal = Field(gt=0)
    expiry: date | None = None
    strike: Decimal | None = None
    right: Right | None = None
    trading_class: str | None = None
    underlying_contract: str | None = None
    broker_id: str | None = None


class OrderLeg(_Frozen):
    action: Action
    quantity: int = Field(gt=0)
    contract: Contract

    @property
    def signed_quantity(self) -> int:
        return self.action.sign * self.quantity


class OrderRequest(_Frozen):
    """What the trader submits: the body of `POST /api/orders`."""

    account: str = Field(min_length=1, max_length=64)
    legs: tuple[LegSpec, ...] = Field(min_length=1)
    order_type: OrderType = OrderType.LIMIT
    limit_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    rationale: str = Field(default="", max_length=4000)
    suggestion_id: UUID | None = None

    @model_validator(mode="after")
    def _check_order(self) -> OrderRequest:
        check_order_shape(self.legs, self.order_type, self.limit_price)
        return self


def check_order_shape(
    legs: tuple[LegSpec, ...] | tuple[OrderLeg, ...], order_type: OrderType, limit_price: Decimal | None
) -> None:
    """The rules every order obeys whatever the broker: leg count, MOC, and the price its type needs."""
    if len(legs) > MAX_LEGS:
        raise ValueError(f"legs: an order has at most {MAX_LEGS} legs, this one has {len(legs)}")
    instruments = [leg.instrument if isinstance(leg, LegSpec) else leg.contract.instrument for leg in legs]
    if order_type is OrderType.MOC and not all(i.is_share for i in instruments):
        raise ValueError(f"order_type: {MOC_OPTIONS_WARNING}")
    if order_type is OrderType.LIMIT:
        if limit_price is None:
            raise ValueError("limit_price: a limit order needs a limit price")
        if not limit_price.is_finite():
            raise ValueError("limit_price: must be a finite number")
    elif limit_price is not None:
        raise ValueError(f"limit_price: a {order_type.name.lower()} order takes no limit price")


class Order(_Frozen):
    """An order as execution holds it: every leg resolved to a contract at one broker and account."""

    order_id: UUID
    account: str
    broker: str
    legs: tuple[OrderLeg, ...] = Field(min_length=1)
    order_type: OrderType
    limit_price: Decimal | None
    tif: TimeInForce
    rationale: str = ""
    suggestion_id: UUID | None = None
    created_at: AwareDatetime

    @model_validator(mode="after")
    def _check_order(self) -> Order:
        check_order_shape(self.legs, self.order_type, self.limit_price)
        return self

    @property
    def client_order_id(self) -> str:
        """Sent to the broker (IBKR cOID, Tastytrade external id) to find the order after a lost answer."""
        return "dd-" + self.order_id.hex[:24]

    @property
    def combo_quantity(self) -> int:
        """How many combos: the greatest common divisor of the legs' quantities."""
        return reduce(math.gcd, (leg.quantity for leg in self.legs))

    def ratio(self, leg: OrderLeg) -> int:
        """A leg's signed ratio in one combo (+ buy, − sell)."""
        return leg.signed_quantity // self.combo_quantity

    @property
    def is_combo(self) -> bool:
        return len(self.legs) > 1


def canonical_order(order: Order) -> dict[str, Any]:
    """The fields an approval covers: account, broker, legs, quantities, prices, type and time in force.

    The rationale is not part of it: it does not change what reaches the market.
    """
    return {
        "order_id": str(order.order_id),
        "account": order.account,
        "broker": order.broker,
        "order_type": order.order_type.value,
        "tif": order.tif.value,
        "limit_price": _decimal(order.limit_price),
        "legs": [
            {
                "action": leg.action.value,
                "quantity": leg.quantity,
                "symbol": leg.contract.symbol,
                "instrument": leg.contract.instrument.value,
                "underlying": leg.contract.underlying,
                "multiplier": _decimal(leg.contract.multiplier),
                "expiry": leg.contract.expiry.isoformat() if leg.contract.expiry else None,
                "strike": _decimal(leg.contract.strike),
                "right": leg.contract.right.value if leg.contract.right else None,
                "trading_class": leg.contract.trading_class,
                "broker_id": leg.contract.broker_id,
            }
            for leg in order.legs
        ],
    }


def order_hash(order: Order) -> str:
    """SHA-256 of the canonical order as compact, key-sorted JSON: equal orders hash equal, any
    change to what would reach the market changes the hash."""
    text = json.dumps(canonical_order(order), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


# ── what a broker answers about orders and contracts ───────────────────────────────────────────
class ContractQuote(_Frozen):
    """A resolved contract's market: bid/ask/last, and for options per-unit Greeks and IV."""

    contract: Contract
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    greeks: Greeks | None = None
    iv: float | None = None
    underlying_price: float | None = None
    as_of: AwareDatetime

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None or self.bid < 0 or self.ask < self.bid:
            return None
        return (self.bid + self.ask) / 2


class ChainRow(_Frozen):
    strike: Decimal
    call: ContractQuote | None = None
    put: ContractQuote | None = None


class OptionChain(_Frozen):
    """One expiry of an underlying's options, both rights per strike, sorted by strike."""

    underlying: str
    instrument: InstrumentType  # OPT or FOP
    expiry: date
    underlying_price: float | None
    rows: tuple[ChainRow, ...]
    as_of: AwareDatetime


class WhatIf(_Frozen):
    """A broker's answer to "what would this order do to my margin": it never places anything.

    Changes are signed (an increase of the requirement is positive). Any field a broker does not
    report stays None; `warnings` keeps the broker's own words.
    """

    initial_margin_before: Decimal | None = None
    initial_margin_change: Decimal | None = None
    initial_margin_after: Decimal | None = None
    maintenance_margin_before: Decimal | None = None
    maintenance_margin_change: Decimal | None = None
    maintenance_margin_after: Decimal | None = None
    equity_with_loan_after: Decimal | None = None
    buying_power_change: Decimal | None = None
    commission: Decimal | None = None
    warnings: tuple[str, ...] = ()


class LegFill(_Frozen):
    """How much of one leg is filled, at what average per-unit price."""

    symbol: str
    action: Action
    quantity: Decimal  # filled so far, in units of the leg (not combos)
    ordered: Decimal  # the leg's whole quantity
    price: Decimal | None = None


class BrokerOrderStatus(_Frozen):
    """Where an order stands at the broker. `state` is one of SUBMITTED, PARTIAL, FILLED, CANCELLED,
    REJECTED; `reason` carries the broker's words for a rejection or cancellation."""

    broker_order_id: str
    client_order_id: str | None = None
    state: OrderState
    filled_quantity: Decimal = Decimal(0)  # combos
    remaining_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None  # per combo, signed: + debit, − credit
    reason: str | None = None
    legs: tuple[LegFill, ...] = ()
    updated_at: AwareDatetime


class Execution(_Frozen):
    """One fill report of one leg, as the broker numbers it (`execution_id` is unique per broker)."""

    execution_id: str
    broker_order_id: str
    client_order_id: str | None = None
    symbol: str
    action: Action
    quantity: Decimal
    price: Decimal
    commission: Decimal | None = None
    executed_at: AwareDatetime


# ── approval: the only way an order reaches a broker ───────────────────────────────────────────
class Approval(_Frozen):
    """A human's approval of exactly one simulated order, signed by the gateway.

    Execution verifies the signature, the hash against its stored simulation and the expiry, and
    consumes the nonce once; only then does it build an `ApprovedOrder`.
    """

    approval_id: UUID
    order_id: UUID
    simulation_id: UUID
    order_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    nonce: str = Field(min_length=16, max_length=128)
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    user: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, as canonical JSON."""
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


_AUTHORITY: list[object] = []


def register_approval_authority(token: object) -> None:
    """Called once, by execution's approval check, with a token only it holds."""
    if _AUTHORITY:
        raise RuntimeError("an approval authority is already registered")
    _AUTHORITY.append(token)


class ApprovedOrder:
    """An order that passed execution's approval check: the only thing `Broker.place` accepts.

    Nothing but that check can build one: the constructor demands the token it registered.
    """

    __slots__ = ("approval", "order")

    order: Order
    approval: Approval

    def __init__(self, order: Order, approval: Approval, *, authority: object) -> None:
        if not _AUTHORITY or authority is not _AUTHORITY[0]:
            raise PermissionError("only execution's approval check can build an ApprovedOrder")
        if approval.order_id != order.order_id or approval.order_hash != order_hash(order):
            raise PermissionError("the approval is not for this order")
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "approval", approval)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("an ApprovedOrder cannot change")

    def __repr__(self) -> str:
        return f"ApprovedOrder(order_id={self.order.order_id}, approval_id={self.approval.approval_id})"
