"""An order record: everything execution knows about one order, and the pure steps that change it.

A record holds the order, its state, its latest simulation, the transmit marker (set, with the
approval, before the order is handed to a broker), the broker's order id, every execution already
counted, its history, and an outbox: the events a step produced that are not yet on the bus. The
shell saves a record (compare-and-set) before it publishes, and removes what it published after,
so a crash between the two publishes the same events (same ids) again instead of losing them.

Every step returns a new record; none touches the clock, the bus or a broker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.execution.domain.controls import Denial, Sent, fingerprint
from deltadesk.execution.domain.fills import (
    any_filled,
    build_fill,
    combos_filled,
    is_complete,
    leg_progress,
    new_executions,
)
from deltadesk.execution.domain.states import Trigger, next_state, path_to
from deltadesk.shared.commands import OrderView
from deltadesk.shared.events import FillReceived, OrderDenied, OrderStateChanged
from deltadesk.shared.orders import (
    Approval,
    BrokerOrderStatus,
    Execution,
    LegFill,
    Order,
    OrderState,
)
from deltadesk.shared.simulation import Simulation

UNKNOWN_REASON = "Order status unknown — verify in broker platform"
BROKER_REJECTED = "BROKER_REJECTED"
ORDER_STATE_UNKNOWN = "ORDER_STATE_UNKNOWN"
BROKER_UNAVAILABLE = "BROKER_UNAVAILABLE"

NewId = Callable[[], UUID]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TransmitMarker(_Frozen):
    """Saved before `broker.place`: from here on the order may be at the broker, so it is never
    sent again, only looked up by its client order id."""

    approval_id: UUID
    simulation_id: UUID
    user: str
    at: AwareDatetime


class Transition(_Frozen):
    at: AwareDatetime
    previous: OrderState | None
    state: OrderState
    trigger: Trigger | None  # None for the record's creation
    code: str | None = None
    reason: str | None = None


class PendingState(_Frozen):
    kind: Literal["state"] = "state"
    event: OrderStateChanged


class PendingFill(_Frozen):
    kind: Literal["fill"] = "fill"
    event: FillReceived


class PendingDenial(_Frozen):
    kind: Literal["denial"] = "denial"
    event: OrderDenied


Pending = Annotated[PendingState | PendingFill | PendingDenial, Field(discriminator="kind")]


class OrderRecord(_Frozen):
    version: Literal[1] = 1
    order: Order
    state: OrderState
    simulation: Simulation | None = None
    transmit: TransmitMarker | None = None
    broker_order_id: str | None = None
    confirmations: tuple[str, ...] = ()  # the broker's warnings `place` confirmed, word for word
    executions: tuple[Execution, ...] = ()  # every execution counted, oldest first
    legs: tuple[LegFill, ...] = ()
    code: str | None = None
    reason: str | None = None
    history: tuple[Transition, ...] = ()
    outbox: tuple[Pending, ...] = ()
    updated_at: AwareDatetime

    @property
    def order_id(self) -> UUID:
        return self.order.order_id

    @property
    def account(self) -> str:
        return self.order.account

    @property
    def filled_quantity(self) -> Decimal:
        return combos_filled(self.order, self.legs) if self.legs else Decimal(0)

    @property
    def working(self) -> bool:
        """At a broker, or possibly so: tracked until it reaches a final state."""
        return self.transmit is not None and not self.state.is_final


# ── steps ───────────────────────────────────────────────────────────────────────────────────────
def draft(order: Order, *, now: datetime, event_id: UUID) -> OrderRecord:
    record = OrderRecord(
        order=order,
        state=OrderState.DRAFT,
        legs=leg_progress(order, ()),
        history=(Transition(at=now, previous=None, state=OrderState.DRAFT, trigger=None),),
        updated_at=now,
    )
    return _with(record, _state_event(record, None, event_id, now))


def move(
    record: OrderRecord,
    trigger: Trigger,
    *,
    now: datetime,
    event_id: UUID,
    code: str | None = None,
    reason: str | None = None,
) -> OrderRecord:
    """One transition of the lifecycle table (an illegal one raises), with its state event."""
    state = next_state(record.state, trigger)
    moved = record.model_copy(
        update={
            "state": state,
            "code": code,
            "reason": reason,
            "updated_at": now,
            "history": (
                *record.history,
                Transition(
                    at=now, previous=record.state, state=state, trigger=trigger, code=code, reason=reason
                ),
            ),
        }
    )
    return _with(moved, _state_event(moved, record.state, event_id, now))


def simulated(record: OrderRecord, simulation: Simulation, *, now: datetime, event_id: UUID) -> OrderRecord:
    if simulation.order_id != record.order_id:
        raise ValueError(f"simulation {simulation.simulation_id} is of another order")
    with_simulation = record.model_copy(update={"simulation": simulation})
    return move(with_simulation, Trigger.SIMULATE, now=now, event_id=event_id)


def approved(record: OrderRecord, approval: Approval, *, now: datetime, event_id: UUID) -> OrderRecord:
    """APPROVED with the transmit marker: saved before the broker sees anything."""
    if record.transmit is not None:
        raise ValueError(f"order {record.order_id} was transmitted already")
    marker = TransmitMarker(
        approval_id=approval.approval_id, simulation_id=approval.simulation_id, user=approval.user, at=now
    )
    return move(record.model_copy(update={"transmit": marker}), Trigger.APPROVE, now=now, event_id=event_id)


def audited(record: OrderRecord, denial: Denial, *, stage: str, now: datetime, event_id: UUID) -> OrderRecord:
    """The refusal goes on the audit stream; the order itself is left as it is."""
    return _with(record, _denial_event(record, denial, stage, event_id, now))


def denied(record: OrderRecord, denial: Denial, *, stage: str, now: datetime, new_id: NewId) -> OrderRecord:
    """Audited always; a simulated order waiting for this approval becomes REJECTED with the reason.
    An order in any other state (already approved, sent, final) is left as it is."""
    refused = audited(record, denial, stage=stage, now=now, event_id=new_id())
    if record.state is not OrderState.SIMULATED:
        return refused
    return move(refused, Trigger.DENY, now=now, event_id=new_id(), code=denial.code, reason=denial.reason)


def confirmed(record: OrderRecord, confirmations: Sequence[str]) -> OrderRecord:
    """Keep what the broker asked to confirm while placing; every later state event carries it."""
    if not confirmations:
        return record
    return record.model_copy(update={"confirmations": tuple(confirmations)})


def submitted(record: OrderRecord, broker_order_id: str, *, now: datetime, event_id: UUID) -> OrderRecord:
    with_id = record.model_copy(update={"broker_order_id": broker_order_id})
    return move(with_id, Trigger.ACCEPT, now=now, event_id=event_id)


def broker_rejected(record: OrderRecord, reason: str, *, now: datetime, event_id: UUID) -> OrderRecord:
    return move(
        record, Trigger.BROKER_REJECT, now=now, event_id=event_id, code=BROKER_REJECTED, reason=reason
    )


def not_sent(record: OrderRecord, reason: str, *, now: datetime, event_id: UUID) -> OrderRecord:
    """The broker was unavailable and does not know the order: it never reached the market."""
    return move(
        record, Trigger.BROKER_REJECT, now=now, event_id=event_id, code=BROKER_UNAVAILABLE, reason=reason
    )


def lost(record: OrderRecord, *, now: datetime, event_id: UUID, detail: str | None = None) -> OrderRecord:
    reason = UNKNOWN_REASON if not detail else f"{UNKNOWN_REASON} ({detail})"
    return move(record, Trigger.LOSE, now=now, event_id=event_id, code=ORDER_STATE_UNKNOWN, reason=reason)


def discarded(record: OrderRecord, reason: str, *, now: datetime, event_id: UUID) -> OrderRecord:
    return move(record, Trigger.DISCARD, now=now, event_id=event_id, code="CANCELLED_BY_USER", reason=reason)


def reported_state(
    record: OrderRecord, status: BrokerOrderStatus | None, progress: Sequence[LegFill]
) -> OrderState | None:
    """Where the broker's word puts the order. Fills decide FILLED: a status that says FILLED
    before its executions are listed leaves the order working until they are, so no fill is missed."""
    if is_complete(progress):
        return OrderState.FILLED
    if status is None:  # the broker does not know the client order id
        return OrderState.UNKNOWN if record.state is OrderState.APPROVED else None
    if status.state is OrderState.REJECTED:
        return OrderState.CANCELLED if any_filled(progress) else OrderState.REJECTED
    if status.state is OrderState.CANCELLED:
        return OrderState.CANCELLED
    if any_filled(progress):
        return OrderState.PARTIAL
    return OrderState.SUBMITTED


def tracked(
    record: OrderRecord,
    status: BrokerOrderStatus | None,
    executions: Iterable[Execution],
    *,
    now: datetime,
    new_id: NewId,
) -> OrderRecord:
    """The record after one look at the broker: new fills (each once), then the state it reports."""
    broker_id = record.broker_order_id or (status.broker_order_id if status is not None else None)
    known = {e.execution_id for e in record.executions}
    fresh = new_executions(record.order, broker_id, known, executions)
    if broker_id is None and fresh:
        broker_id = fresh[0].broker_order_id
    counted = (*record.executions, *fresh)
    progress = leg_progress(record.order, counted)
    target = reported_state(record, status, progress)
    steps = path_to(record.state, target) if target is not None else ()
    if not steps and fresh and record.state is OrderState.PARTIAL:
        steps = (Trigger.FILL_PART,)  # more of it filled: progress is news too

    updated = record.model_copy(
        update={"broker_order_id": broker_id, "executions": counted, "legs": progress}
    )
    state_after = record.state
    for trigger in steps:
        state_after = next_state(state_after, trigger)
    if fresh and broker_id is not None:
        fill = build_fill(
            record.order,
            simulation=record.simulation,
            broker_order_id=broker_id,
            executions=fresh,
            before=record.executions,
            order_state=state_after,
            event_id=new_id(),
            now=now,
        )
        updated = _with(updated, PendingFill(event=fill))
    for trigger in steps:
        code, reason = _broker_words(trigger, status)
        if trigger is Trigger.LOSE:
            updated = lost(updated, now=now, event_id=new_id(), detail="not found at the broker")
        else:
            updated = move(updated, trigger, now=now, event_id=new_id(), code=code, reason=reason)
    if not fresh and not steps and broker_id == record.broker_order_id:
        return record  # nothing new: the same record, so the shell saves nothing
    return updated.model_copy(update={"updated_at": now})


def published(record: OrderRecord, event_ids: Iterable[UUID]) -> OrderRecord:
    """The record without the outbox entries now on the bus."""
    done = set(event_ids)
    return record.model_copy(
        update={"outbox": tuple(p for p in record.outbox if p.event.event_id not in done)}
    )


# ── views ───────────────────────────────────────────────────────────────────────────────────────
def view(record: OrderRecord) -> OrderView:
    return OrderView(
        order=record.order,
        state=record.state,
        simulation=record.simulation,
        broker_order_id=record.broker_order_id,
        filled_quantity=record.filled_quantity,
        legs=record.legs,
        code=record.code,
        reason=record.reason,
        confirmations=record.confirmations,
        updated_at=record.updated_at,
    )


def transmissions(records: Iterable[OrderRecord]) -> list[Sent]:
    """Every order that passed the controls, for the duplicate window and the rate limit."""
    return [
        Sent(account=r.account, fingerprint=fingerprint(r.order), at=r.transmit.at)
        for r in records
        if r.transmit is not None
    ]


def audit_event(
    account: str, order_id: UUID | None, denial: Denial, *, stage: str, event_id: UUID, now: datetime
) -> OrderDenied:
    return OrderDenied(
        event_id=event_id,
        occurred_at=now,
        account=account,
        order_id=order_id,
        stage=stage,
        code=denial.code,
        reason=denial.reason,
    )


# ── inside ──────────────────────────────────────────────────────────────────────────────────────
def _with(record: OrderRecord, pending: PendingState | PendingFill | PendingDenial) -> OrderRecord:
    return record.model_copy(update={"outbox": (*record.outbox, pending)})


def _state_event(
    record: OrderRecord, previous: OrderState | None, event_id: UUID, now: datetime
) -> PendingState:
    return PendingState(
        event=OrderStateChanged(
            event_id=event_id,
            occurred_at=now,
            account=record.account,
            order=record.order,
            state=record.state,
            previous_state=previous,
            simulation_id=record.simulation.simulation_id if record.simulation is not None else None,
            broker_order_id=record.broker_order_id,
            filled_quantity=record.filled_quantity,
            legs=record.legs,
            code=record.code,
            reason=record.reason,
            confirmations=record.confirmations,
        )
    )


def _denial_event(
    record: OrderRecord, denial: Denial, stage: str, event_id: UUID, now: datetime
) -> PendingDenial:
    return PendingDenial(
        event=audit_event(record.account, record.order_id, denial, stage=stage, event_id=event_id, now=now)
    )


def _broker_words(trigger: Trigger, status: BrokerOrderStatus | None) -> tuple[str | None, str | None]:
    if status is None or trigger not in (Trigger.BROKER_REJECT, Trigger.BROKER_CANCEL):
        return None, None
    if trigger is Trigger.BROKER_REJECT:
        return BROKER_REJECTED, status.reason or "rejected by the broker"
    return None, status.reason
