"""The blotter: every order as the page shows it, from execution's replies and its order events.

Both sources describe the same order at different moments and may arrive in any order (a reply can
overtake an event, a reconnect resends old state), so `merge_entry` keeps the newer description, and
a final state (FILLED, REJECTED, CANCELLED) is never replaced by a non-final one.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.gateway.domain.review import SimulationResult, simulation_result
from deltadesk.shared.commands import OrderView
from deltadesk.shared.events import OrderStateChanged
from deltadesk.shared.orders import Contract, LegFill, Order, OrderLeg, OrderState

UNKNOWN_NOTE = "Order status unknown — verify in broker platform"

CANCELLABLE = frozenset({OrderState.DRAFT, OrderState.SIMULATED, OrderState.SUBMITTED, OrderState.PARTIAL})
# Lifecycle order, to settle two descriptions stamped with the same instant.
_RANK = {
    OrderState.DRAFT: 0,
    OrderState.SIMULATED: 1,
    OrderState.APPROVED: 2,
    OrderState.SUBMITTED: 3,
    OrderState.UNKNOWN: 4,
    OrderState.PARTIAL: 5,
    OrderState.FILLED: 6,
    OrderState.REJECTED: 6,
    OrderState.CANCELLED: 6,
}


class OrderEntry(BaseModel):
    """An order with its state: the body of the order endpoints and of the blotter's live events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: UUID
    account: str
    broker: str = Field(description="`paper` for the paper broker; any other broker is live.")
    state: OrderState
    summary: str = Field(description="The legs in one line, e.g. `SELL 1 SPXW 2026-04-17 5600 P / …`.")
    order: Order
    simulation_id: UUID | None = None
    simulation: SimulationResult | None = None
    broker_order_id: str | None = None
    filled_quantity: Decimal = Field(default=Decimal(0), description="Combos filled so far.")
    legs: tuple[LegFill, ...] = Field(default=(), description="Fill progress per leg.")
    unfilled_legs: tuple[LegFill, ...] = Field(
        default=(), description="A PARTIAL order's legs not yet filled."
    )
    code: str | None = Field(default=None, description="Why it was denied or rejected: a stable code.")
    reason: str | None = Field(default=None, description="The denial's or the broker's own words.")
    note: str | None = Field(default=None, description="What the trader must do, e.g. for UNKNOWN.")
    confirmations: tuple[str, ...] = Field(
        default=(), description="The broker's warnings confirmed when the order was placed, word for word."
    )
    cancellable: bool = Field(description="A draft, a simulation or a working order can be cancelled.")
    draft: bool = Field(description="Never approved: a draft, a simulation, or one discarded before sending.")
    updated_at: AwareDatetime


def describe_contract(contract: Contract) -> str:
    if contract.instrument.is_option and contract.expiry and contract.strike is not None and contract.right:
        root = contract.trading_class or contract.underlying
        strike = format(contract.strike.normalize(), "f")
        return f"{root} {contract.expiry.isoformat()} {strike} {contract.right.value}"
    return contract.symbol


def describe_leg(leg: OrderLeg) -> str:
    return f"{leg.action.value} {leg.quantity} {describe_contract(leg.contract)}"


def describe_order(order: Order) -> str:
    return " / ".join(describe_leg(leg) for leg in order.legs)


def is_draft(state: OrderState, broker_order_id: str | None, code: str | None) -> bool:
    """Drafts and simulations, and those cancelled before they were ever sent or denied."""
    if state in (OrderState.DRAFT, OrderState.SIMULATED):
        return True
    return state is OrderState.CANCELLED and broker_order_id is None and code is None


def unfilled_legs(order: Order, state: OrderState, legs: tuple[LegFill, ...]) -> tuple[LegFill, ...]:
    """The legs of a PARTIAL order still short of their quantity (every leg when none was reported)."""
    if state is not OrderState.PARTIAL:
        return ()
    progress = legs or tuple(
        LegFill(
            symbol=leg.contract.symbol, action=leg.action, quantity=Decimal(0), ordered=Decimal(leg.quantity)
        )
        for leg in order.legs
    )
    return tuple(leg for leg in progress if leg.quantity < leg.ordered)


def _entry(
    order: Order,
    state: OrderState,
    *,
    simulation_id: UUID | None,
    simulation: SimulationResult | None,
    broker_order_id: str | None,
    filled_quantity: Decimal,
    legs: tuple[LegFill, ...],
    code: str | None,
    reason: str | None,
    updated_at: AwareDatetime,
    confirmations: tuple[str, ...] = (),
) -> OrderEntry:
    return OrderEntry(
        order_id=order.order_id,
        account=order.account,
        broker=order.broker,
        state=state,
        summary=describe_order(order),
        order=order,
        simulation_id=simulation_id,
        simulation=simulation,
        broker_order_id=broker_order_id,
        filled_quantity=filled_quantity,
        legs=legs,
        unfilled_legs=unfilled_legs(order, state, legs),
        code=code,
        reason=reason,
        note=UNKNOWN_NOTE if state is OrderState.UNKNOWN else None,
        confirmations=confirmations,
        cancellable=state in CANCELLABLE,
        draft=is_draft(state, broker_order_id, code),
        updated_at=updated_at,
    )


def entry_from_view(view: OrderView) -> OrderEntry:
    simulation = None if view.simulation is None else simulation_result(view.simulation)
    return _entry(
        view.order,
        view.state,
        simulation_id=None if simulation is None else simulation.simulation_id,
        simulation=simulation,
        broker_order_id=view.broker_order_id,
        filled_quantity=view.filled_quantity,
        legs=view.legs,
        code=view.code,
        reason=view.reason,
        updated_at=view.updated_at,
        confirmations=view.confirmations,
    )


def entry_from_event(event: OrderStateChanged) -> OrderEntry:
    return _entry(
        event.order,
        event.state,
        simulation_id=event.simulation_id,
        simulation=None,
        broker_order_id=event.broker_order_id,
        filled_quantity=event.filled_quantity,
        legs=event.legs,
        code=event.code,
        reason=event.reason,
        updated_at=event.occurred_at,
        confirmations=event.confirmations,
    )


def with_simulation(entry: OrderEntry, simulation: SimulationResult) -> OrderEntry:
    """The entry once execution answered a simulation of it: SIMULATED, with that simulation."""
    if entry.order_id != simulation.order_id or entry.state not in (OrderState.DRAFT, OrderState.SIMULATED):
        return entry
    return _entry(
        entry.order,
        OrderState.SIMULATED,
        simulation_id=simulation.simulation_id,
        simulation=simulation,
        broker_order_id=entry.broker_order_id,
        filled_quantity=entry.filled_quantity,
        legs=entry.legs,
        code=entry.code,
        reason=entry.reason,
        updated_at=max(entry.updated_at, simulation.simulated_at),
        confirmations=entry.confirmations,
    )


def merge_entry(held: OrderEntry | None, incoming: OrderEntry) -> OrderEntry | None:
    """What the blotter should hold after `incoming` arrives; None when `held` stays as it is."""
    if held is None:
        return incoming
    if held.state.is_final and incoming.state is not held.state:
        return None
    newer = incoming.updated_at > held.updated_at or (
        incoming.updated_at == held.updated_at and _RANK[incoming.state] >= _RANK[held.state]
    )
    if not newer:
        return None
    if incoming == held:
        return None
    if incoming.simulation is None and held.simulation is not None:
        same = incoming.simulation_id in (None, held.simulation.simulation_id)
        if same:
            return incoming.model_copy(
                update={"simulation": held.simulation, "simulation_id": held.simulation.simulation_id}
            )
    return incoming
