"""The gateway's half of the approval protocol: whether a reviewed order may be approved, and the
approval it then signs (ARCHITECTURE.md, "Order safety", step 3).

An approval is issued only for an order execution holds as SIMULATED, for exactly the simulation the
trader reviewed (its id and its order hash), while that simulation is valid, with the trader's
explicit confirmation, once per order, and not while trading is halted. Execution checks all of it
again; the gateway refuses early so the trader sees why. Each refusal names the field it concerns.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from uuid import UUID

from deltadesk.gateway.errors import (
    AlreadyApproved,
    ConfirmationMissing,
    HashMismatch,
    NotSimulated,
    OrderChangedAfterSimulation,
    OrderClosed,
    SimulationExpired,
    StaleSimulation,
    TradingHalted,
)
from deltadesk.shared.commands import OrderView
from deltadesk.shared.events import TradingState
from deltadesk.shared.orders import Approval, OrderState, order_hash
from deltadesk.shared.simulation import Simulation

APPROVED_OR_LATER = frozenset(
    {OrderState.APPROVED, OrderState.SUBMITTED, OrderState.PARTIAL, OrderState.FILLED, OrderState.UNKNOWN}
)


def check_approvable(
    view: OrderView,
    *,
    simulation_id: UUID,
    order_hash_seen: str,
    confirm: bool,
    now: datetime,
    trading: TradingState | None,
) -> Simulation:
    """The simulation the approval will cover, or the refusal that says why not."""
    order_id = view.order.order_id
    if not confirm:
        raise ConfirmationMissing('confirm: tick "I confirm this order" to approve it')
    if view.state in APPROVED_OR_LATER:
        raise AlreadyApproved(f"order {order_id} is {view.state.value}: an order is approved once")
    if view.state.is_final:
        raise OrderClosed(f"order {order_id} is {view.state.value}: there is nothing to approve")
    simulation = view.simulation
    if view.state is not OrderState.SIMULATED or simulation is None:
        raise NotSimulated(f"simulation_id: order {order_id} has no simulation; simulate it first")
    if simulation_id != simulation.simulation_id:
        raise StaleSimulation(
            f"simulation_id: {simulation_id} is not the order's latest simulation "
            f"({simulation.simulation_id}); review the latest one"
        )
    if order_hash_seen != simulation.order_hash:
        raise HashMismatch(
            "order_hash: it differs from the simulated order's hash; review the order as simulated"
        )
    if order_hash(view.order) != simulation.order_hash:
        raise OrderChangedAfterSimulation(
            f"order_hash: order {order_id} changed after it was simulated; simulate it again"
        )
    if now >= simulation.expires_at:
        raise SimulationExpired(
            f"simulation_id: the simulation expired at {simulation.expires_at.isoformat()}; simulate again"
        )
    if trading is TradingState.HALTED:
        raise TradingHalted("trading is HALTED by the kill switch: release it before approving orders")
    return simulation


def issue_approval(
    view: OrderView,
    simulation: Simulation,
    *,
    approval_id: UUID,
    nonce: str,
    user: str,
    now: datetime,
    ttl: timedelta,
) -> Approval:
    """The unsigned approval: valid for `ttl`, and never beyond the simulation it covers."""
    return Approval(
        approval_id=approval_id,
        order_id=view.order.order_id,
        simulation_id=simulation.simulation_id,
        order_hash=simulation.order_hash,
        nonce=nonce,
        issued_at=now,
        expires_at=min(now + ttl, simulation.expires_at),
        user=user,
    )


class ApprovalLedger:
    """The simulations this gateway already approved: a second approval of one is refused at once,
    even before execution reports the first (two clicks, two tabs, a retry after a timeout).

    Never forgotten on a failed publish: a timed-out approval may still have been stored. Simulating
    the order again makes a new simulation, and execution refuses any approval of an older one.
    Bounded: the oldest are forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._approved: OrderedDict[tuple[UUID, UUID], None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, key: object) -> bool:
        return key in self._approved

    def claim(self, order_id: UUID, simulation_id: UUID) -> None:
        key = (order_id, simulation_id)
        if key in self._approved:
            raise AlreadyApproved(
                f"simulation_id: simulation {simulation_id} of order {order_id} was already approved; "
                "an approval is issued once (simulate again for a new one)"
            )
        self._approved[key] = None
        while len(self._approved) > self._capacity:
            self._approved.popitem(last=False)
