"""The journal service on a real NATS server and a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.journal.domain.entries import journal_entry
from deltadesk.journal.domain.export import FULL_COLUMNS, parse_csv
from deltadesk.journal.service import run
from deltadesk.journal.settings import JournalSettings
from deltadesk.journal.testing import (
    ManualTicker,
    balances_reported,
    greeks,
    leg,
    make_fill,
    make_order,
    option,
    order_event,
    risk_update,
)
from deltadesk.shared.bus import HEADER_TYPE, HEADER_VERSION, Bus
from deltadesk.shared.commands import (
    CsvChunk,
    CsvLayout,
    ExportJournal,
    JournalPage,
    JournalQuery,
    QuerySnapshots,
    SeedHistory,
    SnapshotRange,
    SnapshotSeries,
)
from deltadesk.shared.errors import PeerUnavailable
from deltadesk.shared.events import DeadLettered, FillReceived, SnapshotTaken
from deltadesk.shared.instruments import Right
from deltadesk.shared.messages import Ack
from deltadesk.shared.orders import Action, Order, OrderState
from deltadesk.shared.subjects import (
    DLQ_STREAM,
    EXEC_FILL,
    EXEC_ORDER,
    JOURNAL_FILLS_EXPORT,
    JOURNAL_FILLS_LIST,
    JOURNAL_HISTORY_SEED,
    JOURNAL_SNAPSHOT,
    JOURNAL_SNAPSHOTS_LIST,
    MD_BALANCES,
    RISK_UPDATED,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 15, 7, 12, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[3] / "config"


@dataclass
class Journal:
    settings: JournalSettings
    ticker: ManualTicker
    stop: asyncio.Event
    task: asyncio.Task[None]
    gateway: Bus
    execution: Bus

    async def fills(self, **filters: Any) -> JournalPage:
        return await self.gateway.request(JOURNAL_FILLS_LIST, JournalQuery(**filters), JournalPage)

    async def publish(self, fill: FillReceived) -> None:
        await self.execution.publish(EXEC_FILL, fill, account=fill.account, order_id=str(fill.order_id))

    async def restart(self, at: datetime) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)
        self.ticker = ManualTicker(at)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(run(self.settings, self.stop, ticker=self.ticker))
        await ready(self)


async def ready(journal: Journal) -> None:
    async def answers() -> bool:
        try:
            await journal.fills()
        except PeerUnavailable:
            return False
        return True

    await eventually(answers, timeout=30, what="the journal answers")


@pytest.fixture
async def journal(
    nats_url: str, database_url: str, tmp_path: Path, bus_factory: Callable[[str], Any]
) -> AsyncIterator[Journal]:
    settings = JournalSettings(
        nats_url=nats_url,
        database_url=database_url,
        data_dir=tmp_path,
        config_dir=CONFIG,
        snapshot_interval_seconds=900,
        snapshot_max_age_seconds=120,
    )
    ticker = ManualTicker(NOW)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop, ticker=ticker))
    running = Journal(
        settings, ticker, stop, task, await bus_factory("gateway"), await bus_factory("execution")
    )
    try:
        await ready(running)
        yield running
    finally:
        running.stop.set()
        await asyncio.wait_for(running.task, 30)


def spread(rationale: str = 'Sold "support", 10% of BP') -> Order:
    return make_order(
        leg(Action.SELL, 2, option("SPX", Right.PUT, 5800, root="SPXW")),
        leg(Action.BUY, 2, option("SPX", Right.PUT, 5750, root="SPXW")),
        created_at=NOW,
        rationale=rationale,
    )


# ── fills ───────────────────────────────────────────────────────────────────────────────────────
async def test_a_fill_on_the_bus_becomes_an_entry_with_every_field_populated(journal: Journal) -> None:
    fill = make_fill(spread(), filled_at=NOW, prices=("12.50", "9.00"), suggestion_id=uuid4())
    await journal.publish(fill)
    page = await eventually(lambda: _nonempty(journal.fills()), what="the fill is journaled")
    (entry,) = page.entries
    assert entry == journal_entry(fill)
    assert entry.strategy == "put credit spread"
    assert all(value is not None for value in entry.model_dump().values())


async def test_a_fill_delivered_again_changes_nothing(journal: Journal) -> None:
    order = spread()
    fill = make_fill(order, filled_at=NOW)
    await journal.publish(fill)
    await journal.publish(fill.model_copy(update={"event_id": uuid4(), "rationale": "republished"}))
    await journal.publish(make_fill(order, filled_at=NOW, fill_id="F2"))
    page = await eventually(lambda: _count(journal.fills(), 2), what="two distinct fills")
    assert sorted(e.fill_id for e in page.entries) == ["F1", "F2"]
    assert next(e for e in page.entries if e.fill_id == "F1").rationale == 'Sold "support", 10% of BP'
    info = await journal.execution.js.consumer_info("DD_EXEC", "journal-fills")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0


async def test_a_partial_fill_then_the_rest_is_one_order_with_two_fills(journal: Journal) -> None:
    order = spread()
    await journal.publish(make_fill(order, filled_at=NOW, combos=1, fill_id="F1", state=OrderState.PARTIAL))
    rest = make_fill(
        order, filled_at=NOW + timedelta(seconds=40), combos=1, fill_id="F2", state=OrderState.FILLED
    )
    await journal.publish(rest)
    page = await eventually(lambda: _count(journal.fills(), 2), what="both fills journaled")
    assert {e.order_id for e in page.entries} == {order.order_id}
    assert [e.status for e in page.entries] == [OrderState.FILLED, OrderState.FILLED]
    partial = await journal.fills(status=OrderState.PARTIAL)
    assert partial.total == 0


async def test_order_events_move_the_entries_status(journal: Journal) -> None:
    order = spread()
    await journal.publish(make_fill(order, filled_at=NOW, combos=1, state=OrderState.PARTIAL))
    await eventually(lambda: _count(journal.fills(status=OrderState.PARTIAL), 1), what="a partial entry")
    cancelled = order_event(
        order, OrderState.CANCELLED, NOW + timedelta(minutes=2), previous=OrderState.PARTIAL
    )
    await journal.execution.publish(
        EXEC_ORDER, cancelled, account=order.account, order_id=str(order.order_id)
    )
    await eventually(lambda: _count(journal.fills(status=OrderState.CANCELLED), 1), what="the entry follows")


async def test_a_malformed_fill_is_dead_lettered_and_the_journal_carries_on(journal: Journal) -> None:
    order = spread()
    subject = EXEC_FILL.render(account="PAPER", order_id=str(order.order_id))
    headers = {HEADER_TYPE: "FillReceived", HEADER_VERSION: "1", "Nats-Msg-Id": str(uuid4())}
    await journal.execution.js.publish(subject, b'{"account": "PAPER", "fill_id": 7}', headers=headers)
    mismatched = make_fill(order, filled_at=NOW).model_copy(update={"account": "ELSEWHERE"})
    await journal.publish(mismatched)
    await journal.publish(make_fill(order, filled_at=NOW, fill_id="GOOD"))
    await eventually(lambda: _count(journal.fills(), 1), what="the good fill after the bad ones")
    letters = await eventually(lambda: _dead_letters(journal.execution, 2), what="two dead letters")
    assert [letter.service for letter in letters] == ["journal", "journal"]
    reasons = sorted(letter.reason for letter in letters)
    assert "account 'ELSEWHERE' is not the order's 'PAPER'" in reasons[0]
    assert "Field required" in reasons[1] or "fill_id" in reasons[1]
    info = await journal.execution.js.consumer_info("DD_EXEC", "journal-fills")
    assert info.num_ack_pending == 0


async def test_export_pages_through_the_csv_of_exactly_the_filter(journal: Journal) -> None:
    for i in range(5):
        order = spread(rationale=f'note {i}, with "quotes"\nand a newline')
        await journal.publish(make_fill(order, filled_at=NOW + timedelta(minutes=i), broker_order_id=f"B{i}"))
    await eventually(lambda: _count(journal.fills(), 5), what="five fills")
    query = JournalQuery(limit=2, start=NOW + timedelta(minutes=1))
    rows: list[list[str]] = []
    header = True
    while True:
        chunk = await journal.gateway.request(
            JOURNAL_FILLS_EXPORT, ExportJournal(query=query, header=header), CsvChunk
        )
        rows += parse_csv(chunk.text)
        header = False
        if chunk.next_offset is None:
            break
        query = query.model_copy(update={"offset": chunk.next_offset})
    assert tuple(rows[0]) == FULL_COLUMNS
    rationales = [dict(zip(FULL_COLUMNS, row, strict=True))["rationale"] for row in rows[1:]]
    assert rationales == [f'note {i}, with "quotes"\nand a newline' for i in (4, 3, 2, 1)]
    executions = await journal.gateway.request(
        JOURNAL_FILLS_EXPORT, ExportJournal(query=JournalQuery(), layout=CsvLayout.EXECUTIONS), CsvChunk
    )
    assert executions.rows == 10
    assert executions.next_offset is None


async def test_a_page_too_large_for_one_message_is_cut_and_says_so(journal: Journal) -> None:
    rationale = "x" * 4000
    for i in range(300):
        order = spread(rationale=rationale)
        await journal.publish(make_fill(order, filled_at=NOW + timedelta(seconds=i), broker_order_id=f"B{i}"))
    await eventually(lambda: _total(journal.fills(limit=1), 300), timeout=60, what="300 fills")
    page = await journal.fills(limit=1000)
    assert page.total == 300
    assert 0 < len(page.entries) < 300
    assert page.limit == len(page.entries)  # offset + limit is where the next page starts
    rest = await journal.fills(offset=page.limit, limit=1000)
    assert rest.entries[0].filled_at < page.entries[-1].filled_at


# ── snapshots ───────────────────────────────────────────────────────────────────────────────────
async def publish_inputs(
    journal: Journal, bus_factory: Callable[[str], Any], at: datetime, delta: float
) -> None:
    risk = await bus_factory("risk")
    market = await bus_factory("market-data")
    fresh = at - timedelta(seconds=5)
    await risk.publish(RISK_UPDATED, risk_update("PAPER", fresh, greeks(delta, theta=120.0)), account="PAPER")
    await market.publish(MD_BALANCES, balances_reported("PAPER", fresh), account="PAPER")


async def snapshot_outcome(bus: Bus, account: str, at: datetime) -> SnapshotTaken | None:
    found = await bus.latest(JOURNAL_SNAPSHOT, account=account)
    return found if found is not None and found.occurred_at == at else None


async def series(journal: Journal, **query: Any) -> SnapshotSeries:
    return await journal.gateway.request(
        JOURNAL_SNAPSHOTS_LIST, QuerySnapshots(account="PAPER", **query), SnapshotSeries
    )


async def test_snapshots_are_taken_on_the_grid_and_a_missed_interval_is_not_back_filled(
    journal: Journal, bus_factory: Callable[[str], Any]
) -> None:
    first = datetime(2026, 11, 24, 15, 15, tzinfo=UTC)
    assert await eventually(lambda: journal.ticker.waiting) == first
    await publish_inputs(journal, bus_factory, first, 40.0)
    journal.ticker.set(first)
    taken = await eventually(lambda: snapshot_outcome(journal.gateway, "PAPER", first), what="snapshot 1")
    assert taken.ok
    assert taken.error is None
    second = first + timedelta(minutes=15)
    await eventually(lambda: journal.ticker.waiting == second, what="waiting for the next slot")
    await publish_inputs(journal, bus_factory, second, 0.0)
    journal.ticker.set(second)
    await eventually(lambda: snapshot_outcome(journal.gateway, "PAPER", second), what="snapshot 2")

    back = second + timedelta(hours=2, minutes=3)  # the journal was down for two hours
    await journal.restart(back)
    third = datetime(2026, 11, 24, 17, 45, tzinfo=UTC)
    assert await eventually(lambda: journal.ticker.waiting) == third
    await publish_inputs(journal, bus_factory, third, -20.0)
    journal.ticker.set(third)
    await eventually(lambda: snapshot_outcome(journal.gateway, "PAPER", third), what="snapshot 3")

    found = await series(
        journal, range=SnapshotRange.CUSTOM, start=first - timedelta(hours=1), max_points=5000
    )
    taken_at = [p.at for p in found.points if p.net_liquidation is not None]
    assert taken_at == [first, second, third]
    assert [p.theta_delta_ratio for p in found.points if p.net_liquidation is not None] == [3.0, None, -6.0]
    assert found.paper is True  # the paper account's simulated market


async def test_a_snapshot_run_with_nothing_to_snapshot_says_so(journal: Journal) -> None:
    first = await eventually(lambda: journal.ticker.waiting)
    journal.ticker.set(first)
    taken = await eventually(lambda: snapshot_outcome(journal.gateway, "total", first), what="an outcome")
    assert not taken.ok
    assert taken.error == "no account has reported risk or balances yet"


async def test_seeded_history_is_charted_down_sampled_and_marked_paper(
    journal: Journal, bus_factory: Callable[[str], Any]
) -> None:
    cli = await bus_factory("cli")
    ack = await cli.request(
        JOURNAL_HISTORY_SEED, SeedHistory(account="PAPER", days=8, until=NOW), Ack, timeout=60
    )
    assert ack.ok
    everything = await series(journal, range=SnapshotRange.ALL, max_points=100)
    assert everything.paper is True
    assert 50 < len(everything.points) <= 100
    assert everything.bucket_seconds == 2 * 3600  # 8 days in at most 100 points
    week = await series(journal, range=SnapshotRange.WEEK)
    assert week.bucket_seconds == 900
    assert len(week.points) == 7 * 96
    assert all(p.sebastian_ratio is not None and p.net_liquidation is not None for p in week.points)
    day = await series(journal, range=SnapshotRange.DAY, max_points=10)
    assert len(day.points) <= 10
    again = await cli.request(
        JOURNAL_HISTORY_SEED, SeedHistory(account="PAPER", days=8, until=NOW), Ack, timeout=60
    )
    assert again.ok
    assert len((await series(journal, range=SnapshotRange.WEEK)).points) == 7 * 96  # nothing twice


async def test_an_account_with_no_snapshots_has_an_empty_series(journal: Journal) -> None:
    empty = await series(journal, range=SnapshotRange.ALL)
    assert empty.points == ()
    assert empty.paper is False


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────
async def _nonempty(pending: Any) -> JournalPage | None:
    page: JournalPage = await pending
    return page if page.entries else None


async def _count(pending: Any, count: int) -> JournalPage | None:
    page: JournalPage = await pending
    return page if len(page.entries) == count else None


async def _total(pending: Any, total: int) -> JournalPage | None:
    page: JournalPage = await pending
    return page if page.total == total else None


async def _dead_letters(bus: Bus, count: int) -> list[DeadLettered] | None:
    info = await bus.js.stream_info(DLQ_STREAM.name)
    if (info.state.messages or 0) < count:
        return None
    letters = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg(DLQ_STREAM.name, seq)
        letters.append(DeadLettered.model_validate(json.loads(message.data or b"{}")))
    return letters
