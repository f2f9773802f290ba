"""For tests of code that takes an `ApprovedOrder` (broker adapters): one built the only way there is,
by signing an approval with a real key and passing it through `verify_approval`.

Nothing here skips a check: a test that wants an approved order gets exactly what execution would
hand an adapter after a human approved a simulated order.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

from deltadesk.execution.domain.approval import verify_approval
from deltadesk.shared.orders import Approval, ApprovedOrder, Order, WhatIf, order_hash
from deltadesk.shared.portfolio import PortfolioGreeks
from deltadesk.shared.signing import ensure_keypair, load_signing_key, load_verify_key, sign_approval
from deltadesk.shared.simulation import RiskWhatIf, Simulation

FLAT = PortfolioGreeks(spx_delta=0.0, gamma=0.0, theta=0.0, vega=0.0)


def simulate_for_test(order: Order, now: datetime) -> Simulation:
    """A stored simulation of the order as execution would keep it (margin and Greeks left flat)."""
    return Simulation(
        simulation_id=uuid4(),
        order_id=order.order_id,
        order_hash=order_hash(order),
        whatif=WhatIf(),
        risk=RiskWhatIf(
            account=order.account,
            pre_trade=FLAT,
            post_trade=FLAT,
            order=FLAT,
            checks=(),
            spx_price=6000.0,
            vix=None,
            regime=None,
        ),
        simulated_at=now,
        expires_at=now + timedelta(minutes=5),
    )


def approve_for_test(
    order: Order, key_dir: Path, now: datetime, *, user: str = "test-trader"
) -> ApprovedOrder:
    """Simulate, sign an approval with the key pair in `key_dir` (made if missing) and verify it."""
    private, public = ensure_keypair(key_dir)
    simulation = simulate_for_test(order, now)
    approval = Approval(
        approval_id=uuid4(),
        order_id=order.order_id,
        simulation_id=simulation.simulation_id,
        order_hash=simulation.order_hash,
        nonce=secrets.token_hex(16),
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
        user=user,
    )
    signed = sign_approval(approval, load_signing_key(private))
    return verify_approval(
        signed,
        order=order,
        simulation=simulation,
        public_key=load_verify_key(public),
        now=now,
        nonce_first_use=True,
    )
