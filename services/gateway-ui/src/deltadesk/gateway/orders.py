"""The order API: draft, simulate, approve, cancel and read orders; a bridge to execution over the bus.

Approving is the gateway's own step of the order-safety protocol: it checks that the trader approves
exactly the order's latest simulation, signs an approval with its private key and publishes it on
EXEC_APPROVAL. Execution verifies everything again before anything reaches a broker.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Path, Query, status

from deltadesk.gateway.context import CurrentSession, Gateway, Orders
from deltadesk.gateway.domain.accounts import MAX_ACCOUNT_LENGTH, parse_account_field
from deltadesk.gateway.domain.approval import check_approvable, issue_approval
from deltadesk.gateway.domain.blotter import OrderEntry, entry_from_view, with_simulation
from deltadesk.gateway.domain.review import SimulationResult, simulation_result
from deltadesk.gateway.responses import ApprovalSent, ApproveBody, OrderList, error_responses
from deltadesk.shared.events import ApprovalIssued
from deltadesk.shared.orders import OrderRequest

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["orders"])

NONCE_BYTES = 24


OrderId = Annotated[UUID, Path(description="The order's id, as POST /api/orders returned it.")]


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderEntry,
    responses=error_responses(401, 403, 409, 422, 502, 503),
    summary="Draft an order",
)
async def create_order(
    body: OrderRequest, gateway: Gateway, orders: Orders, session: CurrentSession
) -> OrderEntry:
    """Execution resolves every leg at the account's broker (futures: the front month) and keeps the
    order as a DRAFT. At most 4 legs; quantities above 0; MOC only for shares and funds; a limit
    order needs its limit price (per combo: + debit, − credit)."""
    parse_account_field(body.account)
    entry = entry_from_view(await orders.link.create_order(body, session.user))
    gateway.state.apply_order(entry)
    return entry


@router.get(
    "/orders", response_model=OrderList, responses=error_responses(401, 422, 502, 503), summary="The blotter"
)
async def list_orders(
    gateway: Gateway,
    orders: Orders,
    account: Annotated[
        str | None, Query(max_length=MAX_ACCOUNT_LENGTH, description="One account only.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> OrderList:
    """Every order execution holds, newest first, with its state."""
    if account is not None:
        parse_account_field(account)
    reply = await orders.link.orders(account, limit)
    entries = tuple(entry_from_view(view) for view in reply.orders)
    for entry in entries:
        gateway.state.apply_order(entry)
    return OrderList(orders=entries)


@router.get(
    "/orders/{order_id}", response_model=OrderEntry, responses=error_responses(401, 404, 422, 502, 503)
)
async def get_order(order_id: OrderId, gateway: Gateway, orders: Orders) -> OrderEntry:
    """One order with its state, its latest simulation and its fills."""
    entry = entry_from_view(await orders.link.order(order_id))
    gateway.state.apply_order(entry)
    return entry


@router.post(
    "/orders/{order_id}/simulate",
    response_model=SimulationResult,
    responses=error_responses(401, 403, 404, 409, 422, 502, 503),
    summary="Simulate an order",
)
async def simulate_order(
    order_id: OrderId, gateway: Gateway, orders: Orders, session: CurrentSession
) -> SimulationResult:
    """The broker's what-if (margin, commission) and risk's post-trade Greeks with every limit the
    order would breach. Nothing is sent. Approve with the returned `simulation_id` and `order_hash`."""
    result = simulation_result(await orders.link.simulate(order_id, session.user))
    held = gateway.state.order(order_id)
    if held is not None:
        gateway.state.apply_order(with_simulation(held, result))
    return result


@router.post(
    "/orders/{order_id}/approve",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ApprovalSent,
    responses=error_responses(401, 403, 404, 409, 422, 502, 503),
    summary="Approve a simulated order (sends it)",
)
async def approve_order(
    order_id: OrderId, body: ApproveBody, gateway: Gateway, orders: Orders, session: CurrentSession
) -> ApprovalSent:
    """The second step of the two-step approval: `confirm` must be true, and `simulation_id` and
    `order_hash` those of the order's latest, unexpired simulation. The gateway signs a short-lived
    approval and hands it to execution, which transmits the order after its own checks."""
    view = await orders.link.order(order_id)
    now = gateway.clock.now()
    trading = gateway.state.trading
    simulation = check_approvable(
        view,
        simulation_id=body.simulation_id,
        order_hash_seen=body.order_hash,
        confirm=body.confirm,
        now=now,
        trading=None if trading is None else trading.state,
    )
    approval = issue_approval(
        view,
        simulation,
        approval_id=uuid4(),
        nonce=secrets.token_urlsafe(NONCE_BYTES),
        user=session.user,
        now=now,
        ttl=orders.approval_ttl,
    )
    signed = orders.signer.sign(approval)
    # Claimed with no await since the order was read: a second request for it is refused here.
    orders.ledger.claim(order_id, approval.simulation_id)
    event = ApprovalIssued(event_id=uuid4(), occurred_at=now, account=view.order.account, approval=signed)
    await orders.link.publish_approval(event)
    logger.info(
        "approval issued",
        extra={
            "order_id": str(order_id),
            "approval_id": str(approval.approval_id),
            "simulation_id": str(approval.simulation_id),
            "user": session.user,
        },
    )
    return ApprovalSent(
        approval_id=approval.approval_id,
        order_id=order_id,
        simulation_id=approval.simulation_id,
        order_hash=approval.order_hash,
        user=approval.user,
        issued_at=approval.issued_at,
        expires_at=approval.expires_at,
    )


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderEntry,
    responses=error_responses(401, 403, 404, 409, 422, 502, 503),
    summary="Cancel an order",
)
async def cancel_order(
    order_id: OrderId, gateway: Gateway, orders: Orders, session: CurrentSession
) -> OrderEntry:
    """A draft or simulation is discarded; a working order is cancelled at its broker (follow its
    state: the broker may still fill it first)."""
    entry = entry_from_view(await orders.link.cancel(order_id, session.user))
    gateway.state.apply_order(entry)
    return entry
