"""The journal for the gateway's tests, two ways, both on a real NATS server:

- FakeJournal, hand-written: it answers JOURNAL_FILLS_LIST, _EXPORT and JOURNAL_SNAPSHOTS_LIST from
  entries and a series the test gives it, records every request (so a test sees exactly what the
  gateway asked), and can fall silent or fail on cue;
- the real journal service on a real PostgreSQL (an embedded one, or DELTADESK_TEST_DATABASE_URL),
  a fresh database per test, for the browser tests: fills reach it over EXEC_FILL as execution
  publishes them, history is written through its own storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import psycopg
import pytest
from psycopg import conninfo

from deltadesk.journal.adapters.store import JournalStore
from deltadesk.journal.domain.export import render_csv
from deltadesk.journal.embedded import start_embedded
from deltadesk.journal.service import run as run_journal
from deltadesk.journal.settings import JournalSettings
from deltadesk.journal.testing import ManualTicker
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CsvChunk,
    ExportJournal,
    JournalEntry,
    JournalPage,
    JournalQuery,
    QuerySnapshots,
    SnapshotSeries,
)
from deltadesk.shared.errors import DomainError, PeerUnavailable
from deltadesk.shared.events import FillReceived
from deltadesk.shared.subjects import (
    EXEC_FILL,
    EXECUTION,
    GATEWAY,
    JOURNAL,
    JOURNAL_FILLS_EXPORT,
    JOURNAL_FILLS_LIST,
    JOURNAL_SNAPSHOTS_LIST,
)
from deltadesk.shared.testing import eventually

CONFIG = Path(__file__).resolve().parents[4] / "config"


class JournalBroke(DomainError):
    code: ClassVar[str] = "internal_error"


def matches(entry: JournalEntry, query: JournalQuery) -> bool:
    """The journal's filters, as its store applies them."""
    return (
        (query.start is None or entry.filled_at >= query.start)
        and (query.end is None or entry.filled_at < query.end)
        and (query.account is None or entry.account == query.account)
        and (query.underlying is None or entry.underlying == query.underlying.strip().upper())
        and (query.strategy is None or entry.strategy.lower() == query.strategy.strip().lower())
        and (query.regime is None or entry.regime == query.regime)
        and (query.status is None or entry.status is query.status)
    )


@dataclass
class FakeJournal:
    bus: Bus
    entries: list[JournalEntry] = field(default_factory=list)
    series: SnapshotSeries | None = None
    chunk_rows: int = 1000  # entries per CSV chunk, however many were asked
    silent: bool = False  # take requests and never answer
    fail_export_at: int | None = None  # the export chunk (0 = the first) answered with an error
    refuse_snapshots: DomainError | None = None  # answer snapshot queries with this error
    queries: list[JournalQuery] = field(default_factory=list)
    exports: list[ExportJournal] = field(default_factory=list)
    snapshot_queries: list[QuerySnapshots] = field(default_factory=list)
    _hang: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        await self.bus.serve(JOURNAL_FILLS_LIST, self.list_fills)
        await self.bus.serve(JOURNAL_FILLS_EXPORT, self.export)
        await self.bus.serve(JOURNAL_SNAPSHOTS_LIST, self.snapshots)

    def close(self) -> None:
        self._hang.set()

    async def _maybe_hang(self) -> None:
        if self.silent:
            await self._hang.wait()

    def matching(self, query: JournalQuery) -> list[JournalEntry]:
        found = [e for e in self.entries if matches(e, query)]
        return sorted(found, key=lambda e: (e.filled_at, e.entry_id), reverse=True)

    async def list_fills(self, query: JournalQuery) -> JournalPage:
        self.queries.append(query)
        await self._maybe_hang()
        found = self.matching(query)
        page = found[query.offset : query.offset + query.limit]
        return JournalPage(entries=tuple(page), total=len(found), offset=query.offset, limit=query.limit)

    async def export(self, request: ExportJournal) -> CsvChunk:
        self.exports.append(request)
        await self._maybe_hang()
        if self.fail_export_at is not None and len(self.exports) - 1 >= self.fail_export_at:
            raise JournalBroke("the journal's database went away")
        query = request.query
        found = self.matching(query)
        part = found[query.offset : query.offset + min(query.limit, self.chunk_rows)]
        text, rows = render_csv(part, request.layout, header=request.header)
        following = query.offset + len(part)
        return CsvChunk(text=text, rows=rows, next_offset=following if following < len(found) else None)

    async def snapshots(self, query: QuerySnapshots) -> SnapshotSeries:
        self.snapshot_queries.append(query)
        await self._maybe_hang()
        if self.refuse_snapshots is not None:
            raise self.refuse_snapshots
        if self.series is None:
            return SnapshotSeries(account=query.account, bucket_seconds=0, points=(), paper=False)
        return self.series.model_copy(update={"account": query.account})


@pytest.fixture
async def fake_journal(bus_factory: Callable[[str], Any]) -> AsyncIterator[FakeJournal]:
    journal = FakeJournal(await bus_factory(JOURNAL))
    await journal.start()
    try:
        yield journal
    finally:
        journal.close()


# ── the real journal ────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get("DELTADESK_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="dd-gateway-pg-", dir="/tmp") as folder:
        server = start_embedded(Path(folder) / "pgdata")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


@pytest.fixture
def database_url(postgres_admin_url: str) -> Iterator[str]:
    name = f"dd_gateway_{uuid4().hex[:16]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield conninfo.make_conninfo(postgres_admin_url, dbname=name)
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class RealJournal:
    settings: JournalSettings
    ticker: ManualTicker
    execution: Bus
    gateway: Bus

    async def publish(self, fill: FillReceived) -> None:
        """As execution publishes a fill: on the DD_EXEC stream, for the journal's durable consumer."""
        await self.execution.publish(EXEC_FILL, fill, account=fill.account, order_id=str(fill.order_id))

    async def total(self, **filters: Any) -> int:
        page = await self.gateway.request(JOURNAL_FILLS_LIST, JournalQuery(**filters), JournalPage)
        return page.total

    @contextlib.asynccontextmanager
    async def store(self) -> AsyncIterator[JournalStore]:
        """The journal's own storage, for writing history as the snapshot logger or seed-history does."""
        assert self.settings.database_url is not None
        store = await JournalStore.open(
            self.settings.database_url.get_secret_value(), max_size=2, timeout_s=10
        )
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture
def start_real_journal(
    nats_url: str, database_url: str, tmp_path: Path, bus_factory: Callable[[str], Any]
) -> Callable[[datetime], contextlib.AbstractAsyncContextManager[RealJournal]]:
    """The journal service itself, its snapshot clock held at `now` (the logger runs only when told)."""

    @contextlib.asynccontextmanager
    async def start(now: datetime) -> AsyncIterator[RealJournal]:
        settings = JournalSettings(
            nats_url=nats_url,
            database_url=database_url,
            data_dir=tmp_path / "journal",
            config_dir=CONFIG,
            snapshot_interval_seconds=900,
        )
        ticker = ManualTicker(now)
        stop = asyncio.Event()
        task = asyncio.create_task(run_journal(settings, stop, ticker=ticker), name="journal-under-test")
        journal = RealJournal(settings, ticker, await bus_factory(EXECUTION), await bus_factory(GATEWAY))

        async def answers() -> bool:
            if task.done():
                task.result()
            try:
                await journal.total()
            except PeerUnavailable:
                return False
            return True

        try:
            await eventually(answers, timeout=30, what="the journal answers")
            yield journal
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    return start
