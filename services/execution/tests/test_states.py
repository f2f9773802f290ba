"""The order lifecycle table: every legal move, every illegal one raising, and final states staying final."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.execution.domain.states import (
    TRANSITIONS,
    IllegalTransition,
    Trigger,
    next_state,
    path_to,
)
from deltadesk.shared.orders import OrderState

S, T = OrderState, Trigger
FINAL = [s for s in OrderState if s.is_final]

LEGAL = [
    (S.DRAFT, T.SIMULATE, S.SIMULATED),
    (S.DRAFT, T.DISCARD, S.CANCELLED),
    (S.SIMULATED, T.SIMULATE, S.SIMULATED),
    (S.SIMULATED, T.APPROVE, S.APPROVED),
    (S.SIMULATED, T.DENY, S.REJECTED),
    (S.SIMULATED, T.DISCARD, S.CANCELLED),
    (S.APPROVED, T.ACCEPT, S.SUBMITTED),
    (S.APPROVED, T.BROKER_REJECT, S.REJECTED),
    (S.APPROVED, T.LOSE, S.UNKNOWN),
    (S.SUBMITTED, T.FILL, S.FILLED),
    (S.SUBMITTED, T.FILL_PART, S.PARTIAL),
    (S.SUBMITTED, T.BROKER_REJECT, S.REJECTED),
    (S.SUBMITTED, T.BROKER_CANCEL, S.CANCELLED),
    (S.PARTIAL, T.FILL_PART, S.PARTIAL),
    (S.PARTIAL, T.FILL, S.FILLED),
    (S.PARTIAL, T.BROKER_CANCEL, S.CANCELLED),
    (S.UNKNOWN, T.ACCEPT, S.SUBMITTED),
    (S.UNKNOWN, T.FILL_PART, S.PARTIAL),
    (S.UNKNOWN, T.FILL, S.FILLED),
    (S.UNKNOWN, T.BROKER_CANCEL, S.CANCELLED),
    (S.UNKNOWN, T.BROKER_REJECT, S.REJECTED),
    (S.UNKNOWN, T.DISCARD, S.CANCELLED),
]


@pytest.mark.parametrize(("state", "trigger", "expected"), LEGAL, ids=lambda v: str(v))
def test_each_legal_transition_lands_where_the_lifecycle_says(
    state: OrderState, trigger: Trigger, expected: OrderState
) -> None:
    assert next_state(state, trigger) is expected


def test_the_table_holds_exactly_the_legal_transitions() -> None:
    assert {(s, t): e for s, t, e in LEGAL} == dict(TRANSITIONS)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.DRAFT, T.APPROVE),  # no approval without a simulation
        (S.DRAFT, T.ACCEPT),
        (S.SIMULATED, T.ACCEPT),  # nothing reaches a broker without APPROVED
        (S.APPROVED, T.SIMULATE),  # an approved order cannot be re-simulated under its approval
        (S.APPROVED, T.DISCARD),  # it may be at the broker already
        (S.SUBMITTED, T.LOSE),
        (S.SUBMITTED, T.DISCARD),  # a working order is cancelled at the broker, not discarded
        (S.PARTIAL, T.BROKER_REJECT),
        (S.UNKNOWN, T.APPROVE),  # never re-sent
    ],
)
def test_an_illegal_transition_raises_naming_the_state(state: OrderState, trigger: Trigger) -> None:
    with pytest.raises(IllegalTransition, match=state.value):
        next_state(state, trigger)


@pytest.mark.parametrize("state", FINAL)
@pytest.mark.parametrize("trigger", list(Trigger))
def test_nothing_leaves_a_final_state(state: OrderState, trigger: Trigger) -> None:
    with pytest.raises(IllegalTransition, match="final"):
        next_state(state, trigger)


def test_every_state_is_reachable_from_draft() -> None:
    seen, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(OrderState)


@given(st.lists(st.sampled_from(list(Trigger)), max_size=40))
def test_a_final_state_is_final_whatever_happens_next(triggers: list[Trigger]) -> None:
    state, reached_final = S.DRAFT, None
    for trigger in triggers:
        try:
            state = next_state(state, trigger)
        except IllegalTransition:
            continue
        if reached_final is not None:
            raise AssertionError(f"left final state {reached_final} by {trigger}")
        if state.is_final:
            reached_final = state
    if reached_final is not None:
        assert state is reached_final


@given(st.sampled_from(list(OrderState)), st.sampled_from([S.SUBMITTED, S.PARTIAL, S.FILLED]))
def test_a_path_to_a_reported_state_is_made_of_legal_steps(state: OrderState, target: OrderState) -> None:
    current = state
    for trigger in path_to(state, target):
        current = next_state(current, trigger)
    assert current is target or path_to(state, target) == ()


def test_an_approved_order_the_broker_filled_passes_through_submitted() -> None:
    assert path_to(S.APPROVED, S.FILLED) == (T.ACCEPT, T.FILL)
    assert path_to(S.APPROVED, S.PARTIAL) == (T.ACCEPT, T.FILL_PART)
    assert path_to(S.UNKNOWN, S.FILLED) == (T.FILL,)
    assert path_to(S.SUBMITTED, S.SUBMITTED) == ()
    assert path_to(S.FILLED, S.CANCELLED) == ()
