"""The journal and history API through the running gateway, against the hand-written FakeJournal on
real NATS: what the gateway asks the journal for each filter, what it answers, every refusal (422
naming the field), a silent or absent journal (503 with a reason), and the CSV export's streaming.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import uuid4

import httpx
import pytest

from deltadesk.journal.domain.entries import journal_entry
from deltadesk.journal.domain.export import EXECUTION_COLUMNS, FULL_COLUMNS
from deltadesk.journal.testing import future, leg, make_fill, make_order, option
from deltadesk.shared.commands import (
    CsvLayout,
    JournalEntry,
    JournalQuery,
    QuerySnapshots,
    SnapshotPoint,
    SnapshotRange,
    SnapshotSeries,
)
from deltadesk.shared.errors import DomainError
from deltadesk.shared.events import SnapshotTaken
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, OrderState
from deltadesk.shared.subjects import JOURNAL, JOURNAL_SNAPSHOT

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def entry(
    *legs: Any,
    at: datetime,
    account: str = "PAPER",
    regime: str = "normal",
    rationale: str = "",
    prices: tuple[str, ...] | None = None,
    state: OrderState = OrderState.FILLED,
) -> JournalEntry:
    order = make_order(*legs, account=account, created_at=at, rationale=rationale)
    fill = make_fill(
        order, filled_at=at, regime=regime, prices=prices, state=state, broker_order_id=f"P-{uuid4().hex[:8]}"
    )
    return journal_entry(fill)


def book() -> list[JournalEntry]:
    """Six fills over a week: SPY short puts, an SPX put spread, an /ES future; two accounts, two regimes."""
    spy_put = leg(Action.SELL, 1, option("SPY", Right.PUT, 550))
    return [
        entry(spy_put, at=MONDAY, rationale='Sold "support", 10% of BP', prices=("1.25",)),
        entry(
            leg(Action.SELL, 2, option("SPX", Right.PUT, 5800, root="SPXW")),
            leg(Action.BUY, 2, option("SPX", Right.PUT, 5750, root="SPXW")),
            at=MONDAY + timedelta(days=1),
            prices=("12.50", "9.00"),
        ),
        entry(spy_put, at=MONDAY + timedelta(days=2), regime="elevated", prices=("2.10",)),
        entry(leg(Action.BUY, 1, future("/ES")), at=MONDAY + timedelta(days=3), prices=("6025.25",)),
        entry(spy_put, at=MONDAY + timedelta(days=4), account="U1234567", prices=("1.40",)),
        entry(spy_put, at=MONDAY + timedelta(days=4, hours=1), prices=("1.30",), state=OrderState.PARTIAL),
    ]


@pytest.fixture
async def api(start_gateway: Any, fake_journal: Any) -> AsyncIterator[httpx.AsyncClient]:
    fake_journal.entries = book()
    async with start_gateway(gateway_request_timeout_s=0.5) as gateway, gateway.session() as client:
        yield client


def refusal(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code, body
    reason: str = body["reason"]
    return reason


# ── the journal ─────────────────────────────────────────────────────────────────────────────────
async def test_the_journal_is_listed_newest_first_with_each_fills_context(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    answer = await api.get("/api/journal")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 6
    assert page["next_offset"] is None
    times = [row["filled_at"] for row in page["entries"]]
    assert times == sorted(times, reverse=True)
    oldest = page["entries"][-1]
    held = fake_journal.entries[0]
    assert oldest["entry_id"] == str(held.entry_id)
    assert (oldest["underlying"], oldest["strategy"], oldest["status"]) == ("SPY", "short put", "FILLED")
    assert (oldest["side"], Decimal(oldest["net_debit_credit"])) == ("credit", Decimal("-125.00"))
    assert oldest["summary"] == "SELL 1 SPY 261218P00550000 @ 1.25"
    assert oldest["rationale"] == 'Sold "support", 10% of BP'
    assert oldest["pre_trade"]["spx_delta"] == held.pre_trade.spx_delta  # type: ignore[union-attr]
    assert oldest["paper"] is True
    assert fake_journal.queries == [JournalQuery(limit=50)]


async def test_every_filter_reaches_the_journal_as_asked(api: httpx.AsyncClient, fake_journal: Any) -> None:
    params = {
        "start": "2026-03-02T00:00:00-05:00",
        "end": "2026-03-06",
        "account": "PAPER",
        "underlying": "spy",
        "strategy": "Short Put",
        "regime": "normal",
        "status": "FILLED",
        "offset": "0",
        "limit": "10",
    }
    answer = await api.get("/api/journal", params=params)
    assert answer.status_code == 200, answer.text
    assert fake_journal.queries[-1] == JournalQuery(
        start=datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
        end=datetime(2026, 3, 7, tzinfo=UTC),
        account="PAPER",
        underlying="SPY",
        strategy="Short Put",
        regime="normal",
        status=OrderState.FILLED,
        offset=0,
        limit=10,
    )
    rows = answer.json()["entries"]
    assert [row["entry_id"] for row in rows] == [str(fake_journal.entries[0].entry_id)]


async def test_the_filters_narrow_the_journal(api: httpx.AsyncClient) -> None:
    async def count(**params: str) -> int:
        answer = await api.get("/api/journal", params=params)
        assert answer.status_code == 200, answer.text
        total: int = answer.json()["total"]
        return total

    assert await count(underlying="SPY") == 4
    assert await count(underlying="SPY", account="U1234567") == 1
    assert await count(regime="elevated") == 1
    assert await count(strategy="put credit spread") == 1
    assert await count(status="PARTIAL") == 1
    assert await count(start="2026-03-03", end="2026-03-04") == 2
    assert await count(account="total") == 6


async def test_paging_by_next_offset_visits_every_entry_once(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = (await api.get("/api/journal", params={"limit": "4", "offset": str(offset)})).json()
        seen += [row["entry_id"] for row in page["entries"]]
        offset = page["next_offset"]
    assert sorted(seen) == sorted(str(e.entry_id) for e in fake_journal.entries)
    assert len(seen) == len(set(seen)) == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-02T09:30:00"}, "start"),
        ({"start": "last monday"}, "start"),
        ({"start": "2026-03-06", "end": "2026-03-02"}, "end"),
        ({"status": "DONE"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"account": "PAPER.*"}, "account"),
        ({"underlying": "X" * 33}, "underlying"),
        ({"regime": "r" * 33}, "regime"),
    ],
)
async def test_an_invalid_filter_is_a_422_naming_the_field(
    api: httpx.AsyncClient, fake_journal: Any, params: dict[str, str], field: str
) -> None:
    answer = await api.get("/api/journal", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["reason"].startswith(f"{field}:"), answer.json()
    assert fake_journal.queries == []  # refused before the journal is asked


async def test_a_silent_journal_is_a_503_that_says_so(api: httpx.AsyncClient, fake_journal: Any) -> None:
    fake_journal.silent = True
    reason = refusal(await api.get("/api/journal"), 503, "peer_unavailable")
    assert "dd.journal.fills.list" in reason


async def test_no_journal_running_is_a_503(start_gateway: Any) -> None:
    async with start_gateway() as gateway, gateway.session() as client:
        reason = refusal(await client.get("/api/journal"), 503, "peer_unavailable")
        assert "dd.journal.fills.list" in reason
        refusal(await client.get("/api/history"), 503, "peer_unavailable")
        refusal(await client.get("/api/journal/export.csv"), 503, "peer_unavailable")


async def test_the_journal_needs_a_login(start_gateway: Any, fake_journal: Any) -> None:
    async with start_gateway() as gateway, gateway.client() as client:
        for path in ("/api/journal", "/api/journal/export.csv", "/api/history"):
            refusal(await client.get(path), 401, "not_logged_in")
    assert fake_journal.queries == fake_journal.exports == fake_journal.snapshot_queries == []


# ── the export ──────────────────────────────────────────────────────────────────────────────────
def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def test_the_export_streams_every_matching_entry_with_one_header(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    fake_journal.chunk_rows = 1  # four matching entries: four chunks
    answer = await api.get("/api/journal/export.csv", params={"underlying": "spy", "end": "2026-03-06"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="deltadesk-journal-\d{8}-\d{6}\.csv"', disposition), (
        disposition
    )
    rows = rows_of(answer.text)
    assert rows[0] == list(FULL_COLUMNS)
    assert rows.count(list(FULL_COLUMNS)) == 1
    expected = [e for e in fake_journal.entries if e.underlying == "SPY"]
    expected.sort(key=lambda e: e.filled_at, reverse=True)
    ids = [row[FULL_COLUMNS.index("entry_id")] for row in rows[1:]]
    assert ids == [str(e.entry_id) for e in expected]
    assert rows[-1][FULL_COLUMNS.index("rationale")] == 'Sold "support", 10% of BP'
    offsets = [(e.query.offset, e.header, e.layout) for e in fake_journal.exports]
    assert offsets == [(0, True, CsvLayout.FULL)] + [(n, False, CsvLayout.FULL) for n in (1, 2, 3)]
    assert {e.query.model_copy(update={"offset": 0}) for e in fake_journal.exports} == {
        JournalQuery(underlying="SPY", end=datetime(2026, 3, 7, tzinfo=UTC), limit=1000)
    }


async def test_the_executions_layout_has_one_row_per_leg_execution(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    answer = await api.get("/api/journal/export.csv", params={"layout": "executions"})
    assert answer.status_code == 200, answer.text
    assert "journal-executions-" in answer.headers["content-disposition"]
    rows = rows_of(answer.text)
    assert rows[0] == list(EXECUTION_COLUMNS)
    legs = sum(1 for e in fake_journal.entries for leg_fill in e.legs if leg_fill.quantity > 0)
    assert len(rows) - 1 == legs == 7
    spread = [row for row in rows[1:] if row[2].startswith("SPXW")]
    assert sorted((row[3], row[4], row[5]) for row in spread) == [
        ("BUY", "2", "9.00"),
        ("SELL", "2", "12.50"),
    ]


async def test_an_export_the_journal_cannot_finish_is_cut_short_never_complete(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    fake_journal.chunk_rows = 2
    fake_journal.fail_export_at = 1
    async with api.stream("GET", "/api/journal/export.csv") as answer:
        assert answer.status_code == 200  # the first chunk came: the download had begun
        with pytest.raises(httpx.RemoteProtocolError):
            await answer.aread()
    assert len(fake_journal.exports) == 2


async def test_an_export_a_silent_journal_cannot_start_is_a_503(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    fake_journal.silent = True
    refusal(await api.get("/api/journal/export.csv"), 503, "peer_unavailable")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"layout": "xlsx"}, "layout"), ({"end": "2026-02-30"}, "end"), ({"limit": "5"}, None)],
)
async def test_an_invalid_export_is_a_422_naming_the_field(
    api: httpx.AsyncClient, fake_journal: Any, params: dict[str, str], field: str | None
) -> None:
    answer = await api.get("/api/journal/export.csv", params=params)
    if field is None:  # paging is the export's own business: a stray parameter changes nothing
        assert answer.status_code == 200
        assert len(rows_of(answer.text)) == 7
        return
    assert answer.status_code == 422, answer.text
    assert answer.json()["reason"].startswith(f"{field}:")
    assert fake_journal.exports == []


# ── history ─────────────────────────────────────────────────────────────────────────────────────
def series(paper: bool = True) -> SnapshotSeries:
    def point(hours: int, ratio: float | None, sebastian: float | None) -> SnapshotPoint:
        return SnapshotPoint(
            at=MONDAY + timedelta(hours=hours),
            net_liquidation=Decimal("250000.50"),
            spx_delta=None if ratio is None else 40.0,
            gamma=-2.0,
            theta=None if ratio is None else 40.0 * ratio,
            vega=-400.0,
            theta_delta_ratio=ratio,
            sebastian_ratio=sebastian,
            vix=17.0,
            spx_price=6000.0,
            regime="normal",
        )

    points = (point(0, 2.5, 0.3), point(1, None, None), point(2, 3.0, 0.55))
    return SnapshotSeries(account="PAPER", bucket_seconds=3600, points=points, paper=paper)


async def test_history_asks_the_journal_for_the_range_and_keeps_its_gaps(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    fake_journal.series = series()
    answer = await api.get("/api/history", params={"account": "PAPER", "range": "1D"})
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert fake_journal.snapshot_queries == [QuerySnapshots(account="PAPER", range=SnapshotRange.DAY)]
    assert [p["theta_delta_ratio"] for p in history["points"]] == [2.5, None, 3.0]
    assert [p["sebastian_ratio"] for p in history["points"]] == [0.3, None, 0.55]
    assert (history["paper"], history["bucket_seconds"], history["range"]) == (True, 3600, "1D")
    assert history["band"] == {"green_low": 0.25, "green_high": 0.4, "red_below": 0.2, "red_above": 0.5}
    start = datetime.fromisoformat(history["window_start"])
    end = datetime.fromisoformat(history["window_end"])
    assert end - start == timedelta(days=1)


async def test_history_of_a_custom_range_passes_its_bounds(api: httpx.AsyncClient, fake_journal: Any) -> None:
    params = {"range": "custom", "start": "2026-03-02", "end": "2026-03-04", "max_points": "200"}
    answer = await api.get("/api/history", params=params)
    assert answer.status_code == 200, answer.text
    assert fake_journal.snapshot_queries == [
        QuerySnapshots(
            account="total",
            range=SnapshotRange.CUSTOM,
            start=datetime(2026, 3, 2, tzinfo=UTC),
            end=datetime(2026, 3, 5, tzinfo=UTC),
            max_points=200,
        )
    ]
    assert answer.json()["window_start"] == "2026-03-02T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "custom"}, "start"),
        ({"range": "custom", "start": "2026-03-04", "end": "2026-03-01"}, "end"),
        ({"range": "1W", "start": "2026-03-02"}, "start"),
        ({"range": "2Y"}, "range"),
        ({"max_points": "5"}, "max_points"),
        ({"account": "PAPER ACCOUNT"}, "account"),
    ],
)
async def test_an_invalid_history_query_is_a_422_naming_the_field(
    api: httpx.AsyncClient, fake_journal: Any, params: dict[str, str], field: str
) -> None:
    answer = await api.get("/api/history", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["reason"].startswith(f"{field}:"), answer.json()
    assert fake_journal.snapshot_queries == []


class SnapshotQueryRefused(DomainError):
    code: ClassVar[str] = "invalid_snapshot_query"  # the journal's own refusal


class JournalFailed(DomainError):
    code: ClassVar[str] = "internal_error"  # what the bus answers for a handler that crashed


async def test_the_journals_refusal_is_a_422_and_its_failure_a_502(
    api: httpx.AsyncClient, fake_journal: Any
) -> None:
    fake_journal.refuse_snapshots = SnapshotQueryRefused("the range ends before it starts")
    reason = refusal(await api.get("/api/history"), 422, "invalid_snapshot_query")
    assert reason == "the range ends before it starts"
    fake_journal.refuse_snapshots = JournalFailed("dd.journal.snapshots.list failed; see its log")
    refusal(await api.get("/api/history"), 502, "internal_error")


async def test_history_from_a_silent_journal_is_a_503(api: httpx.AsyncClient, fake_journal: Any) -> None:
    fake_journal.silent = True
    reason = refusal(await api.get("/api/history", params={"range": "All"}), 503, "peer_unavailable")
    assert "dd.journal.snapshots.list" in reason


async def test_an_account_without_snapshots_has_an_empty_history(api: httpx.AsyncClient) -> None:
    history = (await api.get("/api/history", params={"account": "U1234567", "range": "All"})).json()
    assert (history["points"], history["bucket_seconds"], history["paper"]) == ([], 0, False)
    assert (history["window_start"], history["window_end"]) == (None, None)


# ── the contract ────────────────────────────────────────────────────────────────────────────────
async def test_the_journal_routes_are_in_the_openapi_document(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    paths = document["paths"]
    journal = paths["/api/journal"]["get"]
    names = {p["name"] for p in journal["parameters"]}
    assert names >= {
        "start",
        "end",
        "account",
        "underlying",
        "strategy",
        "regime",
        "status",
        "offset",
        "limit",
    }
    assert {"200", "401", "422", "503"} <= set(journal["responses"])
    export = paths["/api/journal/export.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
    assert "layout" in {p["name"] for p in export["parameters"]}
    history = paths["/api/history"]["get"]
    assert {p["name"] for p in history["parameters"]} >= {"account", "range", "start", "end", "max_points"}
    assert {"200", "422", "503"} <= set(history["responses"])
    assert "JournalRows" in document["components"]["schemas"]
    assert "History" in document["components"]["schemas"]


# ── the snapshot logger's state ─────────────────────────────────────────────────────────────────
def taken(account: str, at: datetime, error: str | None = None) -> SnapshotTaken:
    return SnapshotTaken(event_id=uuid4(), occurred_at=at, account=account, ok=error is None, error=error)


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


async def test_the_snapshot_loggers_runs_reach_the_page_and_its_stream(
    start_gateway: Any, bus_factory: Any
) -> None:
    journal_bus = await bus_factory(JOURNAL)
    before = taken("total", MONDAY)
    await journal_bus.publish(JOURNAL_SNAPSHOT, before, account="total")  # before the gateway starts: KV
    async with start_gateway() as gateway, gateway.session() as client:
        page = (await client.get("/")).text
        assert re.search(r'data-testid="snapshot-text">Last snapshot: <time[^>]*>15:00:00</time>', page), page
        async with client.stream("GET", "/api/stream") as response:
            events = sse_events(response)

            async def next_snapshot() -> dict[str, Any]:
                async for name, data in events:
                    if name == "snapshot":
                        return data
                raise AssertionError("the stream ended")

            first = await asyncio.wait_for(next_snapshot(), 10)
            assert first["event_id"] == str(before.event_id)  # the current state, on connect
            failed = taken(
                "total", MONDAY + timedelta(minutes=15), error="snapshot not stored: OperationalError"
            )
            await journal_bus.publish(JOURNAL_SNAPSHOT, failed, account="total")
            second = await asyncio.wait_for(next_snapshot(), 10)
            assert (second["ok"], second["error"]) == (False, "snapshot not stored: OperationalError")
        page = (await client.get("/")).text
        assert 'data-testid="snapshot-text">Snapshot logger error</span>' in page
        assert 'title="snapshot not stored: OperationalError"' in page
