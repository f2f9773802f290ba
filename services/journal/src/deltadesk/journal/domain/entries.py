"""A fill as the journal keeps it: one entry with its context, and the order's status it follows.

An entry's id is derived from the broker's own numbering (broker, broker order id, fill id), so
the same fill always has the same id, however often it is delivered or republished. The status of
an entry is its order's latest state: order events and fills arrive on two consumers in any order,
so a final state wins, then the newest event, and at the same instant the further state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from deltadesk.journal.domain.strategy import strategy_tag
from deltadesk.shared.commands import JournalEntry
from deltadesk.shared.errors import DomainError
from deltadesk.shared.events import FillReceived, OrderStateChanged
from deltadesk.shared.orders import Order, OrderState

# A fixed namespace: entry ids must stay the same across versions and machines.
ENTRY_NAMESPACE = UUID("6f4c8f0e-3d0a-5b8e-9c41-0d2a4e7b9f10")

# How far an order has got, for two events at the same instant. Final states rank highest.
_PROGRESS: dict[OrderState, int] = {
    OrderState.DRAFT: 0,
    OrderState.SIMULATED: 1,
    OrderState.APPROVED: 2,
    OrderState.SUBMITTED: 3,
    OrderState.UNKNOWN: 4,
    OrderState.PARTIAL: 5,
    OrderState.REJECTED: 6,
    OrderState.CANCELLED: 7,
    OrderState.FILLED: 8,
}


class InvalidFill(DomainError):
    code = "invalid_fill"


class InvalidOrderEvent(DomainError):
    code = "invalid_order_event"


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order as the journal tracks it: who, what, and its latest state."""

    order_id: UUID
    account: str
    broker: str
    broker_order_id: str | None
    underlying: str
    state: OrderState
    state_at: datetime
    order: Order


def entry_id(broker: str, broker_order_id: str, fill_id: str) -> UUID:
    return uuid5(ENTRY_NAMESPACE, "\x1f".join((broker, broker_order_id, fill_id)))


def check_fill(fill: FillReceived) -> None:
    """What the schema cannot say: the fill belongs to its order, and its numbers are usable."""
    order = fill.order
    problems = []
    if fill.order_id != order.order_id:
        problems.append(f"order_id {fill.order_id} is not the order's {order.order_id}")
    if fill.account != order.account:
        problems.append(f"account {fill.account!r} is not the order's {order.account!r}")
    if fill.broker != order.broker:
        problems.append(f"broker {fill.broker!r} is not the order's {order.broker!r}")
    if not fill.broker_order_id.strip() or not fill.fill_id.strip():
        problems.append("broker_order_id and fill_id must not be empty")
    if fill.order_state not in (OrderState.PARTIAL, OrderState.FILLED):
        problems.append(f"order_state of a fill is PARTIAL or FILLED, not {fill.order_state}")
    # A combo's legs may execute apart: a fill of one leg completes no combo (quantity 0) yet is a fill.
    if not fill.quantity.is_finite() or fill.quantity < 0:
        problems.append(f"quantity must not be negative, was {fill.quantity}")
    if not any(leg.quantity > 0 for leg in fill.legs):
        problems.append("no leg was filled")
    for leg in fill.legs:
        if leg.quantity > 0 and (leg.price is None or not leg.price.is_finite()):
            problems.append(f"filled leg {leg.symbol} has no price")
    if not fill.net_debit_credit.is_finite():
        problems.append("net_debit_credit must be a finite number")
    if fill.commission is not None and not fill.commission.is_finite():
        problems.append("commission must be a finite number")
    symbols = {leg.contract.symbol for leg in order.legs}
    strangers = sorted(leg.symbol for leg in fill.legs if leg.symbol not in symbols)
    if strangers:
        problems.append(f"legs not in the order: {', '.join(strangers)}")
    for name in ("vix", "spx_price"):
        value = getattr(fill, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            problems.append(f"{name} must be a positive number, was {value}")
    if problems:
        raise InvalidFill("; ".join(problems))


def journal_entry(fill: FillReceived) -> JournalEntry:
    """The entry of a checked fill. Its status is the fill's view of the order (PARTIAL or FILLED)."""
    check_fill(fill)
    return JournalEntry(
        entry_id=entry_id(fill.broker, fill.broker_order_id, fill.fill_id),
        filled_at=fill.filled_at,
        broker=fill.broker,
        account=fill.account,
        order_id=fill.order_id,
        broker_order_id=fill.broker_order_id,
        fill_id=fill.fill_id,
        underlying=fill.underlying.strip().upper(),
        strategy=strategy_tag(fill.order, fill.strategy_tag),
        status=fill.order_state,
        legs=fill.legs,
        quantity=fill.quantity,
        net_price=fill.net_price,
        net_debit_credit=fill.net_debit_credit,
        commission=fill.commission,
        vix=fill.vix,
        spx_price=fill.spx_price,
        regime=fill.regime,
        pre_trade=fill.pre_trade,
        post_trade=fill.post_trade,
        rationale=fill.rationale,
        ai_rationale=fill.ai_rationale,
        suggestion_id=fill.suggestion_id if fill.suggestion_id is not None else fill.order.suggestion_id,
    )


def order_status_of_fill(fill: FillReceived, entry: JournalEntry) -> OrderStatus:
    return OrderStatus(
        order_id=fill.order_id,
        account=fill.account,
        broker=fill.broker,
        broker_order_id=fill.broker_order_id,
        underlying=entry.underlying,
        state=fill.order_state,
        state_at=fill.occurred_at,
        order=fill.order,
    )


def order_status_of_event(event: OrderStateChanged) -> OrderStatus:
    order = event.order
    if event.account != order.account:
        raise InvalidOrderEvent(f"account {event.account!r} is not the order's {order.account!r}")
    return OrderStatus(
        order_id=order.order_id,
        account=order.account,
        broker=order.broker,
        broker_order_id=event.broker_order_id,
        underlying=order.legs[0].contract.underlying.strip().upper(),
        state=event.state,
        state_at=event.occurred_at,
        order=order,
    )


def supersedes(incoming: OrderState, incoming_at: datetime, held: OrderState, held_at: datetime) -> bool:
    """Whether an incoming state replaces the held one. A final state (FILLED, CANCELLED, REJECTED)
    beats any working state, whatever the clocks say; otherwise the newer event wins, and at the
    same instant the further state. The latest status is thus the same in any arrival order."""
    if incoming.is_final != held.is_final:
        return incoming.is_final
    if incoming_at != held_at:
        return incoming_at > held_at
    return _PROGRESS[incoming] > _PROGRESS[held]
