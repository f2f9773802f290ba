"""The order lifecycle as one table: (state, trigger) → next state. Anything not in it is illegal.

    DRAFT ─simulate─▶ SIMULATED ─approve─▶ APPROVED ─accept─▶ SUBMITTED ─fill─▶ FILLED
      │               ↺ simulate  │            │ lose, broker_reject  │ fill_part, broker_cancel,
      │ discard       deny, discard            ▼                      ▼ broker_reject
      ▼                           ▼          UNKNOWN ─reconciled─▶ PARTIAL ↺ ─fill─▶ FILLED
    CANCELLED                REJECTED | CANCELLED                     └─broker_cancel─▶ CANCELLED

A final state (FILLED, REJECTED, CANCELLED) has no way out. UNKNOWN is left only by reconciliation
with the broker (it is never re-sent), or by the trader discarding an order the broker never saw.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import OrderState


class Trigger(StrEnum):
    """What happened to an order."""

    SIMULATE = "simulate"  # a simulation was stored
    APPROVE = "approve"  # a verified approval passed the pre-trade controls: about to transmit
    DENY = "deny"  # the approval was refused or a pre-trade control denied the order
    DISCARD = "discard"  # the trader cancelled an order no broker is working
    ACCEPT = "accept"  # the broker holds the order (working)
    FILL_PART = "fill_part"  # some of it filled
    FILL = "fill"  # all of it filled
    BROKER_CANCEL = "broker_cancel"  # the broker reports it cancelled (by the trader or itself)
    BROKER_REJECT = "broker_reject"  # the broker refused it
    LOSE = "lose"  # the broker's answer to the transmission was lost


class IllegalTransition(DomainError):
    code: ClassVar[str] = "ILLEGAL_TRANSITION"


S, T = OrderState, Trigger

TRANSITIONS: MappingProxyType[tuple[OrderState, Trigger], OrderState] = MappingProxyType(
    {
        (S.DRAFT, T.SIMULATE): S.SIMULATED,
        (S.DRAFT, T.DISCARD): S.CANCELLED,
        (S.SIMULATED, T.SIMULATE): S.SIMULATED,
        (S.SIMULATED, T.APPROVE): S.APPROVED,
        (S.SIMULATED, T.DENY): S.REJECTED,
        (S.SIMULATED, T.DISCARD): S.CANCELLED,
        (S.APPROVED, T.ACCEPT): S.SUBMITTED,
        (S.APPROVED, T.BROKER_REJECT): S.REJECTED,
        (S.APPROVED, T.LOSE): S.UNKNOWN,
        (S.SUBMITTED, T.FILL_PART): S.PARTIAL,
        (S.SUBMITTED, T.FILL): S.FILLED,
        (S.SUBMITTED, T.BROKER_CANCEL): S.CANCELLED,
        (S.SUBMITTED, T.BROKER_REJECT): S.REJECTED,
        (S.PARTIAL, T.FILL_PART): S.PARTIAL,
        (S.PARTIAL, T.FILL): S.FILLED,
        (S.PARTIAL, T.BROKER_CANCEL): S.CANCELLED,
        (S.UNKNOWN, T.ACCEPT): S.SUBMITTED,
        (S.UNKNOWN, T.FILL_PART): S.PARTIAL,
        (S.UNKNOWN, T.FILL): S.FILLED,
        (S.UNKNOWN, T.BROKER_CANCEL): S.CANCELLED,
        (S.UNKNOWN, T.BROKER_REJECT): S.REJECTED,
        (S.UNKNOWN, T.DISCARD): S.CANCELLED,
    }
)

# The states a broker may be working an order in: tracked until final.
WORKING = frozenset({S.APPROVED, S.SUBMITTED, S.PARTIAL, S.UNKNOWN})

# Which trigger brings an order into a state the broker reported.
TRIGGER_INTO: MappingProxyType[OrderState, Trigger] = MappingProxyType(
    {
        S.SUBMITTED: T.ACCEPT,
        S.PARTIAL: T.FILL_PART,
        S.FILLED: T.FILL,
        S.CANCELLED: T.BROKER_CANCEL,
        S.REJECTED: T.BROKER_REJECT,
        S.UNKNOWN: T.LOSE,
    }
)


def next_state(state: OrderState, trigger: Trigger) -> OrderState:
    """The state after `trigger`, or `IllegalTransition` naming both."""
    found = TRANSITIONS.get((state, trigger))
    if found is None:
        if state.is_final:
            raise IllegalTransition(f"order is {state.value}, a final state: {trigger.value} is not possible")
        raise IllegalTransition(f"an order in {state.value} cannot {trigger.value}")
    return found


def can(state: OrderState, trigger: Trigger) -> bool:
    return (state, trigger) in TRANSITIONS


def path_to(state: OrderState, target: OrderState) -> tuple[Trigger, ...]:
    """The triggers that take an order from `state` to a state its broker reported.

    Usually one; an APPROVED order the broker already filled passes through SUBMITTED first.
    Empty when it is there already (or cannot get there: the caller keeps its state).
    """
    if state is target:
        return ()
    trigger = TRIGGER_INTO.get(target)
    if trigger is None:
        return ()
    if can(state, trigger):
        return (trigger,)
    if can(state, T.ACCEPT) and can(next_state(state, T.ACCEPT), trigger):
        return (T.ACCEPT, trigger)
    return ()
