"""The gateway's approval rules: exactly the reviewed simulation, confirmed, valid, once, not halted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.gateway.domain.approval import ApprovalLedger, check_approvable, issue_approval
from deltadesk.gateway.errors import (
    AlreadyApproved,
    ApprovalRefused,
    ConfirmationMissing,
    HashMismatch,
    NotSimulated,
    OrderChangedAfterSimulation,
    OrderClosed,
    SimulationExpired,
    StaleSimulation,
    TradingHalted,
)
from deltadesk.shared.events import TradingState
from deltadesk.shared.orders import OrderState


@pytest.fixture
def simulated(tickets: Any) -> Any:
    order = tickets.resolve(tickets.iron_condor())
    simulation = tickets.simulate(order)
    return tickets.view(order, OrderState.SIMULATED, simulation)


def check(view: Any, now: Any, **overrides: Any) -> Any:
    assert view.simulation is not None
    args: dict[str, Any] = {
        "simulation_id": view.simulation.simulation_id,
        "order_hash_seen": view.simulation.order_hash,
        "confirm": True,
        "now": now,
        "trading": TradingState.ACTIVE,
    }
    args.update(overrides)
    return check_approvable(view, **args)


def test_the_reviewed_simulation_is_approvable(simulated: Any, tickets: Any) -> None:
    assert check(simulated, tickets.now) == simulated.simulation


def test_without_the_confirmation_nothing_is_approved(simulated: Any, tickets: Any) -> None:
    with pytest.raises(ConfirmationMissing, match=r"^confirm:"):
        check(simulated, tickets.now, confirm=False)


def test_a_draft_without_a_simulation_cannot_be_approved(tickets: Any) -> None:
    draft = tickets.view(tickets.resolve(tickets.iron_condor()))
    with pytest.raises(NotSimulated, match=r"^simulation_id: .* simulate it first"):
        check_approvable(
            draft,
            simulation_id=uuid4(),
            order_hash_seen="0" * 64,
            confirm=True,
            now=tickets.now,
            trading=None,
        )


def test_an_older_simulation_than_the_latest_is_refused(simulated: Any, tickets: Any) -> None:
    with pytest.raises(StaleSimulation, match=r"^simulation_id: .* not the order's latest simulation"):
        check(simulated, tickets.now, simulation_id=uuid4())


def test_a_different_hash_is_refused(simulated: Any, tickets: Any) -> None:
    with pytest.raises(HashMismatch, match=r"^order_hash:"):
        check(simulated, tickets.now, order_hash_seen="f" * 64)


def test_an_order_changed_after_its_simulation_is_refused(simulated: Any, tickets: Any) -> None:
    changed = simulated.order.model_copy(update={"limit_price": simulated.order.limit_price + 1})
    view = simulated.model_copy(update={"order": changed})
    with pytest.raises(OrderChangedAfterSimulation, match=r"^order_hash: .* changed after it was simulated"):
        check(view, tickets.now)


def test_an_expired_simulation_is_refused_at_its_expiry(simulated: Any, tickets: Any) -> None:
    expiry = simulated.simulation.expires_at
    assert check(simulated, expiry - timedelta(microseconds=1))
    with pytest.raises(SimulationExpired, match=r"^simulation_id: the simulation expired"):
        check(simulated, expiry)


@pytest.mark.parametrize(
    "state",
    [OrderState.APPROVED, OrderState.SUBMITTED, OrderState.PARTIAL, OrderState.FILLED, OrderState.UNKNOWN],
)
def test_an_order_already_approved_is_not_approved_again(
    simulated: Any, tickets: Any, state: OrderState
) -> None:
    with pytest.raises(AlreadyApproved, match="approved once"):
        check(simulated.model_copy(update={"state": state}), tickets.now)


@pytest.mark.parametrize("state", [OrderState.CANCELLED, OrderState.REJECTED])
def test_a_closed_order_has_nothing_to_approve(simulated: Any, tickets: Any, state: OrderState) -> None:
    with pytest.raises(OrderClosed):
        check(simulated.model_copy(update={"state": state}), tickets.now)


def test_nothing_is_approved_while_trading_is_halted(simulated: Any, tickets: Any) -> None:
    with pytest.raises(TradingHalted, match="HALTED"):
        check(simulated, tickets.now, trading=TradingState.HALTED)
    assert check(simulated, tickets.now, trading=TradingState.REDUCING)  # execution judges REDUCING
    assert check(simulated, tickets.now, trading=None)


def test_every_refusal_is_an_approval_refusal_with_its_own_code() -> None:
    codes = {
        cls.code
        for cls in (
            ConfirmationMissing,
            NotSimulated,
            StaleSimulation,
            HashMismatch,
            OrderChangedAfterSimulation,
            SimulationExpired,
            AlreadyApproved,
            OrderClosed,
            TradingHalted,
        )
        if issubclass(cls, ApprovalRefused)
    }
    assert len(codes) == 9


def test_the_approval_covers_exactly_the_simulation_for_a_short_time(simulated: Any, tickets: Any) -> None:
    approval_id = uuid4()
    approval = issue_approval(
        simulated,
        simulated.simulation,
        approval_id=approval_id,
        nonce="n" * 32,
        user="trader",
        now=tickets.now,
        ttl=timedelta(seconds=60),
    )
    assert approval.approval_id == approval_id
    assert approval.order_id == simulated.order.order_id
    assert approval.simulation_id == simulated.simulation.simulation_id
    assert approval.order_hash == simulated.simulation.order_hash
    assert (approval.issued_at, approval.expires_at) == (tickets.now, tickets.now + timedelta(seconds=60))
    assert (approval.user, approval.signature) == ("trader", "")


def test_an_approval_never_outlives_its_simulation(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    simulation = tickets.simulate(order, valid_s=20)
    view = tickets.view(order, OrderState.SIMULATED, simulation)
    approval = issue_approval(
        view, simulation, approval_id=uuid4(), nonce="n" * 32, user="t", now=tickets.now, ttl=timedelta(60)
    )
    assert approval.expires_at == simulation.expires_at


def test_the_ledger_refuses_a_second_approval_of_one_simulation() -> None:
    ledger, order_id, simulation_id = ApprovalLedger(), uuid4(), uuid4()
    ledger.claim(order_id, simulation_id)
    with pytest.raises(AlreadyApproved, match=r"^simulation_id: .* already approved"):
        ledger.claim(order_id, simulation_id)
    ledger.claim(order_id, uuid4())  # simulated again: execution refuses approvals of the older one


def test_the_ledger_is_bounded() -> None:
    ledger = ApprovalLedger(capacity=2)
    keys = [(uuid4(), uuid4()) for _ in range(3)]
    for key in keys:
        ledger.claim(*key)
    assert keys[0] not in ledger
    assert keys[2] in ledger
