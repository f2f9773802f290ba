"""Fills: which of a broker's executions are new for an order, how far each leg is filled, and the
`FillReceived` a batch of new executions becomes, with its money and the order's context.

An execution belongs to an order when it carries the order's broker id (or client order id) and
matches one of its legs by symbol and side. It is counted once: the record keeps every execution
it counted, and only executions with an id it has not seen make a new fill.

Money, per the journal: net debit/credit = Σ price × signed quantity × multiplier over the fill's
executions, positive when the trader paid, negative when the trader received.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from deltadesk.shared.events import FillReceived
from deltadesk.shared.orders import Execution, LegFill, Order, OrderLeg, OrderState
from deltadesk.shared.simulation import Simulation


def leg_of(order: Order, execution: Execution) -> int | None:
    """The index of the leg an execution fills, or None when it matches none."""
    for index, leg in enumerate(order.legs):
        if leg.contract.symbol == execution.symbol and leg.action is execution.action:
            return index
    return None


def belongs(order: Order, broker_order_id: str | None, execution: Execution) -> bool:
    ours = (broker_order_id is not None and execution.broker_order_id == broker_order_id) or (
        execution.client_order_id is not None and execution.client_order_id == order.client_order_id
    )
    return ours and leg_of(order, execution) is not None


def new_executions(
    order: Order, broker_order_id: str | None, known: Collection[str], executions: Iterable[Execution]
) -> list[Execution]:
    """The order's executions not counted yet, each once, oldest first."""
    found: dict[str, Execution] = {}
    for execution in executions:
        if execution.execution_id in known or execution.execution_id in found:
            continue
        if belongs(order, broker_order_id, execution):
            found[execution.execution_id] = execution
    return sorted(found.values(), key=lambda e: (e.executed_at, e.execution_id))


def leg_progress(order: Order, executions: Iterable[Execution]) -> tuple[LegFill, ...]:
    """Each leg: quantity filled by these executions, the leg's whole quantity, average price."""
    quantity = [Decimal(0)] * len(order.legs)
    cost = [Decimal(0)] * len(order.legs)
    for execution in executions:
        index = leg_of(order, execution)
        if index is None:
            continue
        quantity[index] += execution.quantity
        cost[index] += execution.quantity * execution.price
    return tuple(
        LegFill(
            symbol=leg.contract.symbol,
            action=leg.action,
            quantity=quantity[i],
            ordered=Decimal(leg.quantity),
            price=cost[i] / quantity[i] if quantity[i] else None,
        )
        for i, leg in enumerate(order.legs)
    )


def combos_filled(order: Order, progress: Sequence[LegFill]) -> Decimal:
    """Whole combos filled: the least-filled leg in units of its ratio."""
    return min(
        (fill.quantity / abs(order.ratio(leg)) for leg, fill in zip(order.legs, progress, strict=True)),
        default=Decimal(0),
    )


def is_complete(progress: Sequence[LegFill]) -> bool:
    return bool(progress) and all(fill.quantity >= fill.ordered for fill in progress)


def any_filled(progress: Sequence[LegFill]) -> bool:
    return any(fill.quantity > 0 for fill in progress)


def net_debit_credit(order: Order, executions: Iterable[Execution]) -> Decimal:
    """Σ price × signed quantity × multiplier: + paid, − received."""
    total = Decimal(0)
    for execution in executions:
        index = leg_of(order, execution)
        if index is None:
            continue
        leg: OrderLeg = order.legs[index]
        total += execution.price * execution.action.sign * execution.quantity * leg.contract.multiplier
    return total


def net_price(order: Order, fill_legs: Sequence[LegFill]) -> Decimal | None:
    """Per combo, signed (+ debit, − credit), when the fill is whole combos of every leg."""
    if not fill_legs or any(leg.price is None or leg.quantity <= 0 for leg in fill_legs):
        return None
    units = {leg.quantity / abs(order.ratio(o)) for o, leg in zip(order.legs, fill_legs, strict=True)}
    if len(units) != 1:
        return None
    return sum(
        (order.ratio(o) * (leg.price or Decimal(0)) for o, leg in zip(order.legs, fill_legs, strict=True)),
        Decimal(0),
    )


def fill_id(executions: Sequence[Execution]) -> str:
    """A fill is named by its first execution: unique per broker, and the same after a restart
    because the record keeps which executions made which fill."""
    first = min(executions, key=lambda e: (e.executed_at, e.execution_id))
    return first.execution_id


def build_fill(
    order: Order,
    *,
    simulation: Simulation | None,
    broker_order_id: str,
    executions: Sequence[Execution],
    before: Sequence[Execution],
    order_state: OrderState,
    event_id: UUID,
    now: datetime,
) -> FillReceived:
    """The fill made of `executions` (new), counted after `before` (already published)."""
    if not executions:
        raise ValueError("a fill needs at least one execution")
    this_fill = leg_progress(order, executions)
    filled_before = combos_filled(order, leg_progress(order, before))
    filled_after = combos_filled(order, leg_progress(order, [*before, *executions]))
    commissions = [e.commission for e in executions if e.commission is not None]
    risk = simulation.risk if simulation is not None else None
    return FillReceived(
        event_id=event_id,
        occurred_at=now,
        account=order.account,
        broker=order.broker,
        order_id=order.order_id,
        broker_order_id=broker_order_id,
        fill_id=fill_id(executions),
        order_state=order_state,
        order=order,
        legs=this_fill,
        quantity=filled_after - filled_before,
        net_price=net_price(order, this_fill),
        net_debit_credit=net_debit_credit(order, executions),
        commission=sum(commissions, Decimal(0)) if commissions else None,
        filled_at=max(e.executed_at for e in executions),
        underlying=order.legs[0].contract.underlying,
        rationale=order.rationale,
        suggestion_id=order.suggestion_id,
        pre_trade=risk.pre_trade if risk is not None else None,
        post_trade=risk.post_trade if risk is not None else None,
        vix=risk.vix if risk is not None else None,
        spx_price=risk.spx_price if risk is not None else None,
        regime=risk.regime if risk is not None else None,
    )
