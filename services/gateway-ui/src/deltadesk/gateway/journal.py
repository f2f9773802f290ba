"""The journal API: journaled fills a page at a time, and their CSV export, asked of the journal.

The export streams: it pages through the journal's CSV chunks (the header once) as the browser
downloads. A chunk that fails half-way ends the response without its last chunk, so the download
is marked failed, never saved as a CSV that looks complete and is not.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from deltadesk.gateway.bridge import DeskLink
from deltadesk.gateway.context import Gateway, Link
from deltadesk.gateway.domain.journal import (
    DEFAULT_PAGE,
    EXPORT_PAGE,
    JournalRows,
    export_filename,
    journal_query,
    journal_rows,
    next_export_offset,
)
from deltadesk.gateway.responses import ErrorBody, error_responses
from deltadesk.shared.commands import CsvChunk, CsvLayout, ExportJournal, JournalQuery
from deltadesk.shared.errors import DeskError
from deltadesk.shared.orders import OrderState

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["journal"])

JOURNAL_ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(401, 422, 502),
    503: {"model": ErrorBody, "description": "The journal (or the bus) did not answer in time."},
}

Start = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Fills at or after this instant (ISO 8601 with a UTC offset), or this date (UTC).",
        examples=["2026-03-02", "2026-03-02T00:00:00-05:00"],
    ),
]
End = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Fills before this instant; a date includes that whole day (UTC).",
        examples=["2026-03-06", "2026-03-07T00:00:00-05:00"],
    ),
]
Account = Annotated[
    str | None, Query(max_length=64, description="One account; `total` or none for every account.")
]
Underlying = Annotated[str | None, Query(max_length=32, description="e.g. SPX, SPY, /ES (any case).")]
Strategy = Annotated[
    str | None,
    Query(max_length=64, description="As recognised or tagged, e.g. `short put`, `iron condor` (any case)."),
]
Regime = Annotated[str | None, Query(max_length=32, description="The VIX regime at the fill, e.g. `normal`.")]
Status = Annotated[OrderState | None, Query(description="The order's latest state, e.g. FILLED or PARTIAL.")]


class CsvResponse(StreamingResponse):
    media_type = "text/csv"


@router.get("/journal", response_model=JournalRows, responses=JOURNAL_ERRORS, summary="Journal entries")
async def journal(
    link: Link,
    start: Start = None,
    end: End = None,
    account: Account = None,
    underlying: Underlying = None,
    strategy: Strategy = None,
    regime: Regime = None,
    status: Status = None,
    offset: Annotated[int, Query(ge=0, description="Entries to skip (newest first).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Entries per page.")] = DEFAULT_PAGE,
) -> JournalRows:
    """Every fill the journal holds that matches every filter given, newest first, with its context:
    legs and prices, net debit/credit, commission, VIX, SPX and regime at the fill, the Greeks
    before and after, and the rationale."""
    query = journal_query(
        start=start,
        end=end,
        account=account,
        underlying=underlying,
        strategy=strategy,
        regime=regime,
        status=status,
        offset=offset,
        limit=limit,
    )
    return journal_rows(await link.journal(query))


@router.get(
    "/journal/export.csv",
    response_class=CsvResponse,
    responses={
        200: {"description": "The CSV, as an attachment.", "content": {"text/csv": {}}},
        **JOURNAL_ERRORS,
    },
    summary="Export the journal as CSV",
)
async def export_journal(
    gateway: Gateway,
    link: Link,
    start: Start = None,
    end: End = None,
    account: Account = None,
    underlying: Underlying = None,
    strategy: Strategy = None,
    regime: Regime = None,
    status: Status = None,
    layout: Annotated[
        CsvLayout,
        Query(
            description="`full`: one row per fill, every field a column. `executions`: one row per leg "
            "execution (Date, Time, Symbol, Side, Quantity, Price, Commission) for trade-journal tools."
        ),
    ] = CsvLayout.FULL,
) -> CsvResponse:
    """Every fill matching the filters (the same filters as GET /api/journal, all pages), as CSV."""
    query = journal_query(
        start=start,
        end=end,
        account=account,
        underlying=underlying,
        strategy=strategy,
        regime=regime,
        status=status,
        limit=EXPORT_PAGE,
    )
    # The first chunk is asked before answering, so a silent journal is a 503, not an empty file.
    first = await link.export_chunk(ExportJournal(query=query, layout=layout, header=True))
    filename = export_filename(layout, gateway.clock.now())
    return CsvResponse(
        _chunks(link, query, layout, first),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


async def _chunks(
    link: DeskLink, query: JournalQuery, layout: CsvLayout, first: CsvChunk
) -> AsyncIterator[str]:
    chunk, offset, rows = first, 0, first.rows
    yield chunk.text
    try:
        while (following := next_export_offset(offset, chunk.next_offset)) is not None:
            offset = following
            request = ExportJournal(
                query=query.model_copy(update={"offset": offset}), layout=layout, header=False
            )
            chunk = await link.export_chunk(request)
            rows += chunk.rows
            yield chunk.text
    except DeskError as exc:
        logger.warning("journal export cut short", extra={"offset": offset, "rows": rows, "reason": str(exc)})
        raise
    logger.info("journal exported", extra={"layout": layout.value, "rows": rows})
