"""A paper order as the venue keeps it: the approved order, its state, its executions.

States follow one table (`TRANSITIONS`): a working order is SUBMITTED (nothing filled) or PARTIAL;
a fill takes it to PARTIAL or FILLED; a cancel (by the trader, at the end of its DAY, when a leg
expires) to CANCELLED, keeping what was filled. An order refused at acceptance is REJECTED from the
start. FILLED, CANCELLED and REJECTED are final: any event on them is an `IllegalTransition`.

Times: `accepted_at`, `fill_after` and `updated_at` are wall-clock times (what the desk's clocks
show); `closes_at` is simulated market time (when a DAY order expires, when a MOC order fills).
Execution ids are `{broker order id}-{fill number}-{leg number}`, unique as the order id is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.paper_venue.domain.account import AVERAGE_COST_STEP, Trade
from deltadesk.paper_venue.domain.prices import plain
from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import BrokerOrderStatus, Execution, LegFill, Order, OrderState


class IllegalTransition(DomainError):
    code = "illegal_order_transition"


class OrderEvent(StrEnum):
    PARTIAL_FILL = "partial_fill"
    FULL_FILL = "full_fill"
    CANCEL = "cancel"


TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    (OrderState.SUBMITTED, OrderEvent.PARTIAL_FILL): OrderState.PARTIAL,
    (OrderState.SUBMITTED, OrderEvent.FULL_FILL): OrderState.FILLED,
    (OrderState.SUBMITTED, OrderEvent.CANCEL): OrderState.CANCELLED,
    (OrderState.PARTIAL, OrderEvent.PARTIAL_FILL): OrderState.PARTIAL,
    (OrderState.PARTIAL, OrderEvent.FULL_FILL): OrderState.FILLED,
    (OrderState.PARTIAL, OrderEvent.CANCEL): OrderState.CANCELLED,
}
WORKING = frozenset({OrderState.SUBMITTED, OrderState.PARTIAL})


class PaperOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    broker_order_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    order: Order
    state: OrderState
    filled: int = Field(default=0, ge=0)  # combos
    fills: int = Field(default=0, ge=0)  # fill events so far (numbers the executions)
    executions: tuple[Execution, ...] = ()
    reason: str | None = None
    accepted_at: AwareDatetime
    fill_after: AwareDatetime
    closes_at: AwareDatetime | None = None
    updated_at: AwareDatetime

    @property
    def account(self) -> str:
        return self.order.account

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    @property
    def is_working(self) -> bool:
        return self.state in WORKING

    @property
    def remaining(self) -> int:
        return self.order.combo_quantity - self.filled if self.is_working else 0


def transition(state: OrderState, event: OrderEvent) -> OrderState:
    found = TRANSITIONS.get((state, event))
    if found is None:
        raise IllegalTransition(f"an order in state {state} cannot take a {event.value.replace('_', ' ')}")
    return found


def record_fill(
    order: PaperOrder, combos: int, executed: Sequence[Trade], now: datetime
) -> tuple[PaperOrder, tuple[Execution, ...]]:
    """The order after a fill of `combos` combos whose leg executions are `executed` (in leg order)."""
    if combos <= 0 or combos > order.remaining:
        raise IllegalTransition(
            f"order {order.broker_order_id}: cannot fill {combos} of {order.remaining} remaining combos"
        )
    filled = order.filled + combos
    event = OrderEvent.FULL_FILL if filled == order.order.combo_quantity else OrderEvent.PARTIAL_FILL
    state = transition(order.state, event)
    number = order.fills + 1
    executions = tuple(
        Execution(
            execution_id=f"{order.broker_order_id}-{number}-{index}",
            broker_order_id=order.broker_order_id,
            client_order_id=order.client_order_id,
            symbol=trade.contract.symbol,
            action=leg.action,
            quantity=abs(trade.quantity),
            price=trade.price,
            commission=trade.commission,
            executed_at=now,
        )
        for index, (leg, trade) in enumerate(zip(order.order.legs, executed, strict=True), start=1)
    )
    updated = order.model_copy(
        update={
            "state": state,
            "filled": filled,
            "fills": number,
            "executions": order.executions + executions,
            "updated_at": now,
        }
    )
    return updated, executions


def cancel(order: PaperOrder, reason: str, now: datetime) -> PaperOrder:
    state = transition(order.state, OrderEvent.CANCEL)
    return order.model_copy(update={"state": state, "reason": reason, "updated_at": now})


def order_status(order: PaperOrder) -> BrokerOrderStatus:
    """The order as a broker reports it: state, combos filled and left, per-leg progress, and the
    average net price per combo (+ debit, − credit)."""
    legs = []
    average: Decimal | None = Decimal(0) if order.filled else None
    for leg in order.order.legs:
        mine = [e for e in order.executions if e.symbol == leg.contract.symbol]
        units = sum((e.quantity for e in mine), Decimal(0))
        price = _average(sum((e.quantity * e.price for e in mine), Decimal(0)) / units) if units else None
        legs.append(
            LegFill(
                symbol=leg.contract.symbol,
                action=leg.action,
                quantity=units,
                ordered=Decimal(leg.quantity),
                price=price,
            )
        )
        if average is not None and price is not None:
            average += order.order.ratio(leg) * price
    return BrokerOrderStatus(
        broker_order_id=order.broker_order_id,
        client_order_id=order.client_order_id,
        state=order.state,
        filled_quantity=Decimal(order.filled),
        remaining_quantity=Decimal(order.remaining),
        average_price=average,
        reason=order.reason,
        legs=tuple(legs),
        updated_at=order.updated_at,
    )


def _average(value: Decimal) -> Decimal:
    """An average price kept to a millionth (an average of cents over units may not end)."""
    return plain(value.quantize(AVERAGE_COST_STEP))
