"""verify_approval: the only door to an ApprovedOrder, and every way it stays shut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from deltadesk.execution.domain.approval import (
    ApprovalExpired,
    ApprovalMismatch,
    NonceReused,
    OrderChanged,
    SignatureInvalid,
    verify_approval,
)
from deltadesk.execution.testing import simulate_for_test
from deltadesk.shared.orders import (
    Action,
    Approval,
    ApprovedOrder,
    Contract,
    Order,
    OrderLeg,
    OrderType,
    TimeInForce,
    order_hash,
)
from deltadesk.shared.signing import ensure_keypair, load_signing_key, load_verify_key, sign_approval
from deltadesk.shared.simulation import Simulation

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def spy_put_order(limit: str = "-2.35") -> Order:
    contract = Contract(
        symbol="SPY   261218P00580000",
        underlying="SPY",
        instrument="OPT",
        multiplier=Decimal(100),
        expiry=datetime(2026, 12, 18).date(),
        strike=Decimal(580),
        right="P",
    )
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.SELL, quantity=1, contract=contract),),
        order_type=OrderType.LIMIT,
        limit_price=Decimal(limit),
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return ensure_keypair(tmp_path / "keys")


def approval_for(order: Order, simulation: Simulation, private: Path, **changes: object) -> Approval:
    approval = Approval(
        approval_id=uuid4(),
        order_id=order.order_id,
        simulation_id=simulation.simulation_id,
        order_hash=simulation.order_hash,
        nonce=uuid4().hex,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
        user="trader",
    ).model_copy(update=changes)
    return sign_approval(approval, load_signing_key(private))


def verify(
    approval: Approval, order: Order, simulation: Simulation | None, public: Path, **kw: object
) -> ApprovedOrder:
    options: dict[str, object] = {"now": NOW + timedelta(seconds=5), "nonce_first_use": True}
    options.update(kw)
    return verify_approval(
        approval,
        order=order,
        simulation=simulation,
        public_key=load_verify_key(public),
        **options,  # type: ignore[arg-type]
    )


def test_a_valid_approval_of_the_simulated_order_builds_the_approved_order(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    approved = verify(approval_for(order, simulation, keys[0]), order, simulation, keys[1])
    assert approved.order == order
    assert approved.approval.simulation_id == simulation.simulation_id


def test_nobody_else_can_build_an_approved_order(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    approval = approval_for(order, simulation, keys[0])
    with pytest.raises(PermissionError):
        ApprovedOrder(order, approval, authority=object())


def test_a_forged_signature_is_refused(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    forger, _ = ensure_keypair(tmp_path / "forger")
    with pytest.raises(SignatureInvalid):
        verify(approval_for(order, simulation, forger), order, simulation, keys[1])


def test_an_unsigned_approval_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    unsigned = approval_for(order, simulation, keys[0]).model_copy(update={"signature": ""})
    with pytest.raises(SignatureInvalid):
        verify(unsigned, order, simulation, keys[1])


def test_approve_without_a_simulation_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    with pytest.raises(ApprovalMismatch, match="no stored simulation"):
        verify(approval_for(order, simulation, keys[0]), order, None, keys[1])


def test_an_approval_of_an_older_simulation_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    old, latest = simulate_for_test(order, NOW), simulate_for_test(order, NOW)
    with pytest.raises(ApprovalMismatch, match="latest"):
        verify(approval_for(order, old, keys[0]), order, latest, keys[1])


def test_an_order_changed_after_simulation_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    approval = approval_for(order, simulation, keys[0])
    changed = order.model_copy(update={"limit_price": Decimal("-0.05")})
    assert order_hash(changed) != order_hash(order)
    with pytest.raises(OrderChanged):
        verify(approval, changed, simulation, keys[1])


def test_a_different_hash_is_refused_even_when_signed(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    with pytest.raises(OrderChanged):
        verify(approval_for(order, simulation, keys[0], order_hash="0" * 64), order, simulation, keys[1])


@pytest.mark.parametrize("after", [timedelta(seconds=60), timedelta(seconds=61), timedelta(hours=1)])
def test_an_expired_approval_is_refused(keys: tuple[Path, Path], after: timedelta) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    with pytest.raises(ApprovalExpired):
        verify(approval_for(order, simulation, keys[0]), order, simulation, keys[1], now=NOW + after)


def test_an_approval_claiming_a_long_life_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    long_lived = approval_for(order, simulation, keys[0], expires_at=NOW + timedelta(days=1))
    with pytest.raises(ApprovalExpired, match="exceeds"):
        verify(long_lived, order, simulation, keys[1])


def test_a_reused_nonce_is_refused(keys: tuple[Path, Path]) -> None:
    order = spy_put_order()
    simulation = simulate_for_test(order, NOW)
    with pytest.raises(NonceReused):
        verify(approval_for(order, simulation, keys[0]), order, simulation, keys[1], nonce_first_use=False)


def test_every_refusal_has_a_stable_code() -> None:
    codes = {
        cls.code for cls in (SignatureInvalid, ApprovalMismatch, OrderChanged, ApprovalExpired, NonceReused)
    }
    assert codes == {
        "SIGNATURE_INVALID",
        "APPROVAL_MISMATCH",
        "ORDER_CHANGED_AFTER_SIMULATION",
        "APPROVAL_EXPIRED",
        "NONCE_REUSED",
    }
