"""What every route needs: the desk state, the clock, the page's thresholds, and the account parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from deltadesk.gateway.domain.accounts import MAX_ACCOUNT_LENGTH
from deltadesk.gateway.state import DeskState
from deltadesk.shared.clock import Clock


@dataclass(frozen=True, slots=True)
class GatewayContext:
    state: DeskState
    clock: Clock
    stale_after_s: float
    keepalive_s: float


def gateway_context(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.gateway
    return context


Gateway = Annotated[GatewayContext, Depends(gateway_context)]

AccountQuery = Annotated[
    str,
    Query(
        max_length=MAX_ACCOUNT_LENGTH,
        description="An account id, or `total` for all accounts together.",
        examples=["total", "PAPER"],
    ),
]
