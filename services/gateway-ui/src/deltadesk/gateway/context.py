"""What every route needs: the desk state, the clock, the page's thresholds, the login, the order path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie

from deltadesk.gateway.bridge import DeskLink
from deltadesk.gateway.domain.accounts import MAX_ACCOUNT_LENGTH
from deltadesk.gateway.domain.approval import ApprovalLedger
from deltadesk.gateway.errors import NotLoggedIn
from deltadesk.gateway.gatekeeper import SESSION_COOKIE, Access
from deltadesk.gateway.sessions import Session
from deltadesk.gateway.signer import ApprovalSigner
from deltadesk.gateway.state import DeskState
from deltadesk.shared.clock import Clock
from deltadesk.shared.errors import PeerUnavailable


@dataclass(frozen=True, slots=True)
class OrderPath:
    """The order path's tools: the bus link to execution and market-data, the signing key, and the
    ledger of orders this gateway approved."""

    link: DeskLink
    signer: ApprovalSigner
    approval_ttl: timedelta = timedelta(seconds=60)
    ledger: ApprovalLedger = field(default_factory=ApprovalLedger)


@dataclass(frozen=True, slots=True)
class GatewayContext:
    state: DeskState
    clock: Clock
    stale_after_s: float
    keepalive_s: float
    access: Access
    orders: OrderPath | None = None


def gateway_context(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.gateway
    return context


Gateway = Annotated[GatewayContext, Depends(gateway_context)]

_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The login session (POST /login sets it). State-changing calls also need `X-CSRF-Token`.",
)


def current_session(request: Request, cookie: str | None = Depends(_session_cookie)) -> Session:
    """The session the gatekeeper found; declared here so the OpenAPI document shows the cookie."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:  # only reachable if a route were mounted outside the gatekeeper
        raise NotLoggedIn("log in first: this needs a session (POST /login)")
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


def order_path(gateway: Gateway) -> OrderPath:
    if gateway.orders is None:
        raise PeerUnavailable("the gateway is not connected to the bus: the order path is unavailable")
    return gateway.orders


Orders = Annotated[OrderPath, Depends(order_path)]


def desk_link(gateway: Gateway) -> DeskLink:
    """The bus link alone, for what only reads from the desk's services (the journal, history)."""
    if gateway.orders is None:
        raise PeerUnavailable("the gateway is not connected to the bus: the journal is unavailable")
    return gateway.orders.link


Link = Annotated[DeskLink, Depends(desk_link)]

AccountQuery = Annotated[
    str,
    Query(
        max_length=MAX_ACCOUNT_LENGTH,
        description="An account id, or `total` for all accounts together.",
        examples=["total", "PAPER"],
    ),
]
