"""The kill switch: engage (HALTED: nothing is transmitted) or release (ACTIVE), and the current state."""

from __future__ import annotations

from fastapi import APIRouter

from deltadesk.gateway.context import CurrentSession, Gateway, Orders
from deltadesk.gateway.responses import KillSwitchBody, TradingStatus, error_responses
from deltadesk.shared.events import TradingState

router = APIRouter(prefix="/api", tags=["trading"])


@router.get(
    "/kill-switch", response_model=TradingStatus, responses=error_responses(401), summary="The trading state"
)
async def trading_state(gateway: Gateway) -> TradingStatus:
    """ACTIVE, REDUCING or HALTED, as execution last published it (null before it has)."""
    return TradingStatus.from_event(gateway.state.trading)


@router.post(
    "/kill-switch",
    response_model=TradingStatus,
    responses=error_responses(401, 403, 422, 502, 503),
    summary="Engage or release the kill switch",
)
async def kill_switch(body: KillSwitchBody, orders: Orders, session: CurrentSession) -> TradingStatus:
    """Engaged, execution transmits nothing (cancels still go) until it is released."""
    state = TradingState.HALTED if body.engaged else TradingState.ACTIVE
    reason = body.reason or (
        "kill switch engaged from the desk page"
        if body.engaged
        else "kill switch released from the desk page"
    )
    view = await orders.link.set_trading(state, reason, session.user)
    return TradingStatus.from_view(view)
