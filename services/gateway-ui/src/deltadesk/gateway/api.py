"""The JSON API under /api: the portfolio's risk, the live stream, and health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from deltadesk.gateway.context import AccountQuery, CurrentSession, Gateway
from deltadesk.gateway.domain.accounts import TOTAL, parse_account
from deltadesk.gateway.responses import ErrorBody, Health, Portfolio
from deltadesk.gateway.stream import server_sent_events

router = APIRouter(prefix="/api")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not logged in."},
    404: {"model": ErrorBody, "description": "The account is unknown, or risk has no Greeks for it yet."},
    422: {"model": ErrorBody, "description": "The account token or another query parameter is invalid."},
}


@router.get("/portfolio", response_model=Portfolio, responses=ERRORS, summary="Current Greeks and positions")
async def portfolio(gateway: Gateway, account: AccountQuery = TOTAL) -> Portfolio:
    """The latest risk for `account`: SPX-equivalent delta and other Greeks, and the positions behind them."""
    risk = gateway.state.risk_for(parse_account(account))
    return Portfolio.from_risk(risk, now=gateway.clock.now(), stale_after_s=gateway.stale_after_s)


@router.get("/health", response_model=Health, summary="Liveness (no login needed)")
async def health(gateway: Gateway) -> Health:
    state = gateway.state
    return Health(
        accounts=state.accounts(), accounts_with_risk=len(state.risks), stream_clients=state.clients
    )


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={401: ERRORS[401]},
    summary="Live updates (Server-Sent Events)",
)
async def stream(gateway: Gateway, session: CurrentSession) -> AsyncIterator[ServerSentEvent]:
    """Event `risk`: a RiskUpdated for one account; event `status`: a BrokerStatusChanged; event
    `order`: an order's blotter entry (as GET /api/orders/{id}); event `trading`: a TradingStateChanged;
    event `snapshot`: a SnapshotTaken (the journal's snapshot logger ran for an account, `ok` or not).

    The current state is sent on connect, then every update; an idle stream gets keep-alive comments.
    A slow client receives only the latest update per account or order, never a growing backlog.
    The stream ends when the login does.
    """
    sessions, clock = gateway.access.sessions, gateway.clock

    def alive() -> bool:
        return sessions.alive(session.key, clock.now())

    async for event in server_sent_events(gateway.state, gateway.keepalive_s, alive):
        yield event
