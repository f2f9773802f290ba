"""The history API: an account's snapshots over a chart range, down-sampled by the journal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from deltadesk.gateway.context import AccountQuery, Gateway, Link
from deltadesk.gateway.domain.accounts import TOTAL
from deltadesk.gateway.domain.history import DEFAULT_POINTS, History, history, history_query
from deltadesk.gateway.journal import JOURNAL_ERRORS
from deltadesk.shared.commands import SnapshotRange

router = APIRouter(prefix="/api", tags=["journal"])


@router.get("/history", response_model=History, responses=JOURNAL_ERRORS, summary="Account history (charts)")
async def account_history(
    gateway: Gateway,
    link: Link,
    account: AccountQuery = TOTAL,
    span: Annotated[
        SnapshotRange,
        Query(alias="range", description="The last day, week or month, all of it, or `custom` (start, end)."),
    ] = SnapshotRange.WEEK,
    start: Annotated[
        str | None,
        Query(max_length=40, description="range=custom only: an ISO 8601 instant with offset, or a date."),
    ] = None,
    end: Annotated[
        str | None,
        Query(max_length=40, description="range=custom only (default: now); a date includes that day."),
    ] = None,
    max_points: Annotated[int, Query(ge=10, le=5000, description="Most points per series.")] = DEFAULT_POINTS,
) -> History:
    """Net liquidation, SPX delta, the Greeks, the Θ/Δ and Sebastian (|Θ|/|V|) ratios, VIX, SPX and
    regime over time, one point per time bucket. A ratio is null where it is undefined (a gap in the
    chart); `paper` marks seeded or simulated history."""
    query = history_query(account=account, range=span, start=start, end=end, max_points=max_points)
    series = await link.snapshots(query)
    return history(series, query, gateway.clock.now())
