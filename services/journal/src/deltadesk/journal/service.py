"""journal: the only writer of the database. Journals fills and order events, snapshots every
account on an interval, and answers the journal's and the history charts' queries.

    EXEC_FILL, EXEC_ORDER (durable consumers) ──▶ validate ──▶ domain ──▶ commit ──▶ ack
    every snapshot_interval_seconds: RISK_UPDATED + MD_BALANCES (KV) ──▶ snapshots ──▶ JOURNAL_SNAPSHOT
    JOURNAL_FILLS_LIST / _EXPORT, JOURNAL_SNAPSHOTS_LIST, JOURNAL_HISTORY_SEED (request/reply)

A fill that fails validation is dead-lettered by the bus; a database outage raises, so the message
stays unacked and comes back (an outage is never mistaken for bad input).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from uuid import uuid4

import nats.errors

from deltadesk.journal.adapters.market_config import MarketConfig, load_market_config
from deltadesk.journal.adapters.store import JournalStore
from deltadesk.journal.domain.entries import journal_entry, order_status_of_event, order_status_of_fill
from deltadesk.journal.domain.export import render_csv
from deltadesk.journal.domain.series import bucket_seconds, series_points, window
from deltadesk.journal.domain.snapshots import slot_after, take_snapshots
from deltadesk.journal.seeding import seed_history
from deltadesk.journal.settings import JournalSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.commands import (
    CsvChunk,
    ExportJournal,
    JournalEntry,
    JournalPage,
    JournalQuery,
    QuerySnapshots,
    SeedHistory,
    SnapshotSeries,
)
from deltadesk.shared.errors import DomainError
from deltadesk.shared.events import FillReceived, OrderStateChanged, SnapshotTaken
from deltadesk.shared.messages import Ack, Message
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.subjects import (
    EXEC_FILL,
    EXEC_ORDER,
    JOURNAL,
    JOURNAL_FILLS_EXPORT,
    JOURNAL_FILLS_LIST,
    JOURNAL_HISTORY_SEED,
    JOURNAL_SNAPSHOT,
    JOURNAL_SNAPSHOTS_LIST,
    MD_BALANCES,
    RISK_UPDATED,
    Subject,
    check_token,
)

logger = logging.getLogger(__name__)

REPLY_HEADROOM = 4096  # bytes kept free under the server's max payload for headers and framing
TOTAL = "total"


class Ticker(Protocol):
    """The snapshot logger's time: what time it is, and waiting until a given instant."""

    def now(self) -> datetime: ...

    async def wait_until(self, instant: datetime, stop: asyncio.Event) -> None: ...


class ClockTicker:
    """Waits on the event loop until the clock reaches the instant (or stop is set)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    async def wait_until(self, instant: datetime, stop: asyncio.Event) -> None:
        while not stop.is_set():
            delay = (instant - self.clock.now()).total_seconds()
            if delay <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)


class ReplyTooLarge(DomainError):
    code = "reply_too_large"


class JournalService:
    def __init__(
        self,
        bus: Bus,
        store: JournalStore,
        settings: JournalSettings,
        *,
        ticker: Ticker,
        market: Callable[[], MarketConfig],
    ) -> None:
        self.bus = bus
        self.store = store
        self.settings = settings
        self.ticker = ticker
        self.market = market

    # ── the journal ─────────────────────────────────────────────────────────────────────────────
    async def on_fill(self, fill: FillReceived) -> None:
        entry = journal_entry(fill)  # InvalidFill: dead-lettered by the bus
        new = await self.store.record_fill(entry, order_status_of_fill(fill, entry), fill.event_id)
        logger.info(
            "fill journaled" if new else "fill already journaled",
            extra={"order_id": str(fill.order_id), "fill_id": fill.fill_id, "account": fill.account},
        )

    async def on_order(self, event: OrderStateChanged) -> None:
        await self.store.record_order_event(event, order_status_of_event(event))

    async def list_fills(self, query: JournalQuery) -> JournalPage:
        entries, total = await self.store.list_entries(query)
        kept = self._fitting(entries, lambda part: _page(part, total, query))
        return _page(kept, total, query)

    async def export_fills(self, request: ExportJournal) -> CsvChunk:
        query = request.query
        entries, total = await self.store.list_entries(query)

        def chunk(part: list[JournalEntry]) -> CsvChunk:
            text, rows = render_csv(part, request.layout, header=request.header)
            following = query.offset + len(part)
            return CsvChunk(text=text, rows=rows, next_offset=following if following < total else None)

        return chunk(self._fitting(entries, chunk))

    def _fitting(
        self, entries: list[JournalEntry], reply: Callable[[list[JournalEntry]], Message]
    ) -> list[JournalEntry]:
        """The longest head of `entries` whose reply fits in one NATS message."""
        limit = max(self.bus.nc.max_payload - REPLY_HEADROOM, 1024)
        if _size(reply(entries)) <= limit:
            return entries
        low, high = 0, len(entries)  # the answer is in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            if _size(reply(entries[:middle])) <= limit:
                low = middle
            else:
                high = middle
        if low == 0:
            raise ReplyTooLarge("one journal entry alone is larger than a bus message")
        return entries[:low]

    # ── history ─────────────────────────────────────────────────────────────────────────────────
    async def list_snapshots(self, query: QuerySnapshots) -> SnapshotSeries:
        bounds = await self.store.snapshot_bounds(query.account)
        span = window(
            query,
            self.ticker.now(),
            bounds.first if bounds is not None else None,
            bounds.last if bounds is not None else None,
        )
        if span is None:
            return SnapshotSeries(account=query.account, bucket_seconds=0, points=(), paper=False)
        max_points = query.max_points
        while True:
            size = bucket_seconds(span.seconds, max_points)
            buckets, paper = await self.store.snapshot_buckets(query.account, span.start, span.end, size)
            series = SnapshotSeries(
                account=query.account,
                bucket_seconds=size,
                points=series_points(buckets, size, max_points),
                paper=paper,
            )
            if _size(series) <= self.bus.nc.max_payload - REPLY_HEADROOM or max_points <= 10:
                return series
            max_points = max(10, max_points // 2)  # too many points for one message: coarser buckets

    async def seed_history(self, request: SeedHistory) -> Ack:
        written = await seed_history(
            self.store,
            request.account,
            days=request.days,
            until=request.until or self.ticker.now(),
            interval_s=self.settings.snapshot_interval_seconds,
            market=self.market(),
        )
        logger.info("history seeded", extra={"account": request.account, "snapshots": written})
        return Ack()

    # ── the snapshot logger ─────────────────────────────────────────────────────────────────────
    async def log_snapshots(self, stop: asyncio.Event) -> None:
        """Take snapshots on the interval's grid until stop. A slot missed while the service was
        down or busy is skipped, never filled in afterwards."""
        interval = self.settings.snapshot_interval_seconds
        slot = slot_after(self.ticker.now(), interval)
        while not stop.is_set():
            await self.ticker.wait_until(slot, stop)
            if stop.is_set():
                return
            await self.snapshot_once(slot)
            slot = slot_after(max(slot, self.ticker.now()), interval)

    async def snapshot_once(self, at: datetime) -> None:
        try:
            risks = await self.bus.latest_matching(RISK_UPDATED)
            balances = await self.bus.latest_matching(MD_BALANCES)
        except (TimeoutError, nats.errors.Error) as exc:
            logger.warning("snapshot inputs unavailable", extra={"at": at.isoformat(), "error": repr(exc)})
            return
        snapshots, failures = take_snapshots(
            at,
            risks,
            balances,
            max_age_s=self.settings.snapshot_max_age_seconds,
            paper_accounts={self.settings.paper_account_id},
        )
        outcome: dict[str, str | None] = {f.account: f.reason for f in failures}
        if not snapshots and not failures:
            outcome[TOTAL] = "no account has reported risk or balances yet"
        try:
            await self.store.insert_snapshots(snapshots)
            outcome.update({s.account: None for s in snapshots})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is down or refused: say so on the page, try next slot
            logger.exception("snapshot not stored", extra={"at": at.isoformat()})
            outcome.update({s.account: f"snapshot not stored: {type(exc).__name__}" for s in snapshots})
        for account, error in sorted(outcome.items()):
            await self._announce(account, at, error)

    async def _announce(self, account: str, at: datetime, error: str | None) -> None:
        try:
            check_token("account", account)
            event = SnapshotTaken(
                event_id=uuid4(), occurred_at=at, account=account, ok=error is None, error=error
            )
            await self.bus.publish(JOURNAL_SNAPSHOT, event, account=account)
        except DomainError as exc:
            logger.warning("snapshot outcome not published", extra={"account": account, "reason": str(exc)})
        except (TimeoutError, nats.errors.Error) as exc:
            logger.warning("snapshot outcome not published", extra={"account": account, "error": repr(exc)})


def _size(reply: Message) -> int:
    """Bytes on the wire, as the bus sends it."""
    return len(reply.model_dump_json().encode())


def _page(entries: list[JournalEntry], total: int, query: JournalQuery) -> JournalPage:
    """A page; when the reply had to be cut to fit a bus message, `limit` says how many it holds,
    so a client paging by offset + limit misses nothing."""
    limit = (
        query.limit if len(entries) == query.limit or query.offset + len(entries) >= total else len(entries)
    )
    return JournalPage(entries=tuple(entries), total=total, offset=query.offset, limit=max(limit, 1))


# ── composition ─────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Route:
    subject: Subject[Any]
    handler: Callable[[JournalService, Any], Awaitable[Any]]
    durable: str | None = None  # a stream subject's durable consumer


# A database outage must not send good fills to the dead letters: redeliveries back off to 30 s
# apart, so this many cover hours of outage. Bad input is dead-lettered at once regardless.
MAX_DELIVER = 1000


async def start_routes(service: JournalService, stack: AsyncExitStack) -> None:
    for route in ROUTES:
        handler = partial(route.handler, service)
        if route.durable is not None:
            consumer = await service.bus.consume(
                route.subject, route.durable, handler, max_deliver=MAX_DELIVER
            )
            stack.push_async_callback(consumer.stop)
        else:
            await service.bus.serve(route.subject, handler, queue=JOURNAL)


async def run(
    settings: JournalSettings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    ticker: Ticker | None = None,
) -> None:
    """The composition root: connect the bus and the database (migrating it), consume, serve and
    snapshot until stop; then stop consuming and let in-flight work finish before closing."""
    clock = clock or SystemClock()
    store = await JournalStore.open(
        settings.require_database_url(),
        max_size=settings.journal_pool_size,
        timeout_s=settings.journal_db_timeout_s,
    )
    async with AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        bus = await Bus.connect(settings.require_nats_url(), JOURNAL, clock=clock)
        stack.push_async_callback(bus.close)
        service = JournalService(
            bus,
            store,
            settings,
            ticker=ticker or ClockTicker(clock),
            market=partial(load_market_config, settings.config_dir),
        )
        await start_routes(service, stack)
        logger.info(
            "journal started",
            extra={"backend": store.backend.value, "snapshot_interval_s": settings.snapshot_interval_seconds},
        )
        await service.log_snapshots(stop)


ROUTES: tuple[Route, ...] = (
    Route(EXEC_FILL, JournalService.on_fill, durable="journal-fills"),
    Route(EXEC_ORDER, JournalService.on_order, durable="journal-orders"),
    Route(JOURNAL_FILLS_LIST, JournalService.list_fills),
    Route(JOURNAL_FILLS_EXPORT, JournalService.export_fills),
    Route(JOURNAL_SNAPSHOTS_LIST, JournalService.list_snapshots),
    Route(JOURNAL_HISTORY_SEED, JournalService.seed_history),
)

SERVICE = ServiceSpec(name=JOURNAL, settings=JournalSettings, run=run)
