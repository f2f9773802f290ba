"""Approval verification: the one place an `ApprovedOrder` can be built.

An approval passes only if its signature verifies with the gateway's public key, it names the order
and the simulation execution stored, the hash it carries equals both the stored simulation's and the
order's own, it is within its short validity window, and its nonce was consumed for the first time
(the shell does the atomic KV create and passes the outcome in). Each refusal has a stable code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import Approval, ApprovedOrder, Order, order_hash, register_approval_authority
from deltadesk.shared.signing import signature_valid
from deltadesk.shared.simulation import Simulation

_AUTHORITY = object()
register_approval_authority(_AUTHORITY)

MAX_APPROVAL_TTL = timedelta(minutes=5)  # an approval that claims to live longer is not trusted
CLOCK_SKEW = timedelta(seconds=5)


class ApprovalRejected(DomainError):
    code: ClassVar[str] = "APPROVAL_REJECTED"


class SignatureInvalid(ApprovalRejected):
    code = "SIGNATURE_INVALID"


class ApprovalMismatch(ApprovalRejected):
    code = "APPROVAL_MISMATCH"


class OrderChanged(ApprovalRejected):
    code = "ORDER_CHANGED_AFTER_SIMULATION"


class ApprovalExpired(ApprovalRejected):
    code = "APPROVAL_EXPIRED"


class NonceReused(ApprovalRejected):
    code = "NONCE_REUSED"


def verify_approval(
    approval: Approval,
    *,
    order: Order,
    simulation: Simulation | None,
    public_key: Ed25519PublicKey,
    now: datetime,
    nonce_first_use: bool,
) -> ApprovedOrder:
    """The approved order, or an `ApprovalRejected` naming the rule that said no."""
    if not signature_valid(approval, public_key):
        raise SignatureInvalid(f"approval {approval.approval_id}: the signature does not verify")
    if approval.order_id != order.order_id:
        raise ApprovalMismatch(
            f"approval {approval.approval_id} is for order {approval.order_id}, not {order.order_id}"
        )
    if simulation is None:
        raise ApprovalMismatch(f"order {order.order_id} has no stored simulation to approve")
    if approval.simulation_id != simulation.simulation_id:
        raise ApprovalMismatch(
            f"approval is for simulation {approval.simulation_id}; the latest is {simulation.simulation_id}"
        )
    current = order_hash(order)
    if approval.order_hash != simulation.order_hash or current != simulation.order_hash:
        raise OrderChanged(f"order {order.order_id} differs from what was simulated and approved")
    if approval.expires_at - approval.issued_at > MAX_APPROVAL_TTL:
        raise ApprovalExpired(
            f"approval validity {approval.expires_at - approval.issued_at} exceeds {MAX_APPROVAL_TTL}"
        )
    if now < approval.issued_at - CLOCK_SKEW:
        raise ApprovalExpired(f"approval issued in the future ({approval.issued_at.isoformat()})")
    if now >= approval.expires_at:
        raise ApprovalExpired(f"approval expired at {approval.expires_at.isoformat()}")
    if now >= simulation.expires_at:
        raise ApprovalExpired(
            f"simulation {simulation.simulation_id} expired at {simulation.expires_at.isoformat()}"
        )
    if not nonce_first_use:
        raise NonceReused(f"approval nonce of {approval.approval_id} was already used")
    return ApprovedOrder(order, approval, authority=_AUTHORITY)
