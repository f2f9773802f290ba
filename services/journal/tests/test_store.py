"""The store on real PostgreSQL, and on TimescaleDB when DELTADESK_TEST_TIMESCALE_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from deltadesk.journal.adapters.migrations import Migration, MigrationError, migrate, packaged_migrations
from deltadesk.journal.adapters.store import Backend, JournalStore
from deltadesk.journal.domain.entries import journal_entry, order_status_of_event, order_status_of_fill
from deltadesk.journal.domain.snapshots import RiskState, Snapshot
from deltadesk.journal.testing import leg, make_fill, make_order, option, order_event, share
from deltadesk.shared.commands import JournalQuery
from deltadesk.shared.events import FillReceived
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, OrderState

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[JournalStore]:
    opened = await JournalStore.open(database_url, max_size=3)
    try:
        yield opened
    finally:
        await opened.close()


async def record(store: JournalStore, fill: FillReceived) -> bool:
    entry = journal_entry(fill)
    return await store.record_fill(entry, order_status_of_fill(fill, entry), fill.event_id)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


# ── migrations ──────────────────────────────────────────────────────────────────────────────────
async def test_migrations_apply_once_and_a_second_run_finds_nothing_to_do(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        assert await migrate(conn) == [m.version for m in packaged_migrations()]
        assert await migrate(conn) == []
    assert {"journal_migrations", "journal_fills", "journal_orders", "journal_snapshots"} <= tables(
        database_url
    )


def test_two_processes_migrating_at_once_both_succeed_and_apply_each_migration_once(
    database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTADESK_")}
    env.update(DELTADESK_DATABASE_URL=database_url, DELTADESK_DATA_DIR=str(tmp_path))
    command = [sys.executable, "-m", "deltadesk.shared.cli", "journal", "migrate"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert sorted(out for out, _ in outputs) == ["applied migrations: 1\n", "the journal is up to date\n"]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT version, count(*) FROM journal_migrations GROUP BY version").fetchall()
    assert rows == [(1, 1)]


async def test_a_migration_changed_after_it_was_applied_stops_the_run(database_url: str) -> None:
    migrations = packaged_migrations()
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, migrations)
        edited = [Migration(m.version, m.name, m.sql + "\n-- edited\n") for m in migrations]
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, edited)


async def test_the_backend_is_timescale_exactly_when_the_extension_is_there(
    store: JournalStore, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        installed = (
            conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is not None
        )
        hypertables = installed and conn.execute(
            "SELECT count(*) FROM timescaledb_information.hypertables"
        ).fetchone() == (2,)
    assert store.backend is (Backend.TIMESCALE if installed else Backend.POSTGRES)
    assert hypertables is installed


# ── fills ───────────────────────────────────────────────────────────────────────────────────────
def spread(account: str = "PAPER", underlying: str = "SPX", strikes: tuple[int, int] = (5800, 5750)):  # type: ignore[no-untyped-def]
    return make_order(
        leg(
            Action.SELL,
            2,
            option(underlying, Right.PUT, strikes[0], root="SPXW" if underlying == "SPX" else None),
        ),
        leg(
            Action.BUY,
            2,
            option(underlying, Right.PUT, strikes[1], root="SPXW" if underlying == "SPX" else None),
        ),
        account=account,
        created_at=NOW,
        rationale='Sold "support", 10% of BP',
    )


async def test_a_fill_is_journaled_with_every_field(store: JournalStore) -> None:
    fill = make_fill(spread(), filled_at=NOW, prices=("12.50", "9.00"))
    assert await record(store, fill)
    entries, total = await store.list_entries(JournalQuery())
    assert total == 1
    assert entries[0] == journal_entry(fill)


async def test_a_redelivered_or_republished_fill_changes_nothing(store: JournalStore) -> None:
    order = spread()
    fill = make_fill(order, filled_at=NOW)
    assert await record(store, fill)
    assert not await record(store, fill)
    again = make_fill(order, filled_at=NOW + timedelta(seconds=5), rationale="edited later")  # new event id
    assert not await record(store, again)
    entries, total = await store.list_entries(JournalQuery())
    assert total == 1
    assert entries[0].rationale == 'Sold "support", 10% of BP'


async def test_a_partial_fill_then_the_rest_is_one_order_with_two_fills(store: JournalStore) -> None:
    order = spread()
    await record(store, make_fill(order, filled_at=NOW, combos=1, fill_id="F1", state=OrderState.PARTIAL))
    assert await store.order_status(order.order_id) == (OrderState.PARTIAL, NOW)
    later = NOW + timedelta(seconds=30)
    await record(store, make_fill(order, filled_at=later, combos=1, fill_id="F2", state=OrderState.FILLED))
    entries, total = await store.list_entries(JournalQuery())
    assert total == 2
    assert {e.order_id for e in entries} == {order.order_id}
    assert [e.fill_id for e in entries] == ["F2", "F1"]  # newest first
    assert [e.status for e in entries] == [
        OrderState.FILLED,
        OrderState.FILLED,
    ]  # the entry follows the order


async def test_the_entries_status_follows_order_events_in_any_order(store: JournalStore) -> None:
    order = spread()
    fill = make_fill(order, filled_at=NOW, combos=1, state=OrderState.PARTIAL)
    cancelled = order_event(
        order, OrderState.CANCELLED, NOW + timedelta(minutes=5), previous=OrderState.PARTIAL
    )
    partial = order_event(order, OrderState.PARTIAL, NOW, previous=OrderState.SUBMITTED)
    submitted = order_event(order, OrderState.SUBMITTED, NOW - timedelta(seconds=2))
    assert await store.record_order_event(cancelled, order_status_of_event(cancelled))
    await record(store, fill)
    for event in (partial, submitted):
        await store.record_order_event(event, order_status_of_event(event))
    assert not await store.record_order_event(partial, order_status_of_event(partial))  # redelivered
    entries, _ = await store.list_entries(JournalQuery())
    assert entries[0].status is OrderState.CANCELLED
    with psycopg.connect(store.pool.conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM journal_order_events").fetchone() == (3,)


async def test_filters_pick_exactly_the_matching_entries(store: JournalStore) -> None:
    ko = make_order(leg(Action.BUY, 100, share("KO")), account="IBKR1", created_at=NOW, limit_price="70")
    spx = spread()
    spy = spread(underlying="SPY", strikes=(560, 550))
    await record(
        store, make_fill(spx, filled_at=NOW - timedelta(days=3), regime="elevated", broker_order_id="B1")
    )
    await record(
        store,
        make_fill(
            spy, filled_at=NOW - timedelta(days=1), state=OrderState.PARTIAL, combos=1, broker_order_id="B2"
        ),
    )
    await record(
        store,
        make_fill(ko, filled_at=NOW, prices=("70",), strategy_tag="Dividend Capture", broker_order_id="B3"),
    )

    async def found(**filters: object) -> list[str]:
        entries, total = await store.list_entries(JournalQuery(**filters))  # type: ignore[arg-type]
        assert total == len(entries)
        return [e.underlying for e in entries]

    assert await found() == ["KO", "SPY", "SPX"]
    assert await found(start=NOW - timedelta(days=2)) == ["KO", "SPY"]
    assert await found(end=NOW - timedelta(days=1)) == ["SPX"]  # the end is exclusive
    assert await found(account="IBKR1") == ["KO"]
    assert await found(underlying="spy") == ["SPY"]
    assert await found(strategy="put credit spread") == ["SPY", "SPX"]
    assert await found(strategy="dividend capture") == ["KO"]
    assert await found(regime="elevated") == ["SPX"]
    assert await found(status=OrderState.PARTIAL) == ["SPY"]
    assert await found(account="PAPER", regime="normal") == ["SPY"]
    assert await found(account="NOBODY") == []


async def test_pages_cover_every_entry_once_newest_first(store: JournalStore) -> None:
    order = make_order(leg(Action.BUY, 1, share("KO")), created_at=NOW, limit_price="70")
    for i in range(7):
        fill = make_fill(
            order, filled_at=NOW + timedelta(minutes=i), fill_id=f"F{i}", combos=1, state=OrderState.PARTIAL
        )
        await record(store, fill)
    seen = []
    for offset in range(0, 7, 3):
        entries, total = await store.list_entries(JournalQuery(offset=offset, limit=3))
        assert total == 7
        seen += [e.fill_id for e in entries]
    assert seen == [f"F{i}" for i in reversed(range(7))]


# ── snapshots ───────────────────────────────────────────────────────────────────────────────────
def snapshot(
    at: datetime, *, account: str = "PAPER", delta: float | None = 10.0, net: str = "500000"
) -> Snapshot:
    return Snapshot(
        account=account,
        captured_at=at,
        broker="paper",
        net_liquidation=Decimal(net),
        cash=Decimal("1000.10"),
        spx_delta=delta,
        gamma=-1.0,
        theta=100.0 if delta is not None else None,
        vega=-400.0 if delta is not None else None,
        theta_delta_ratio=None,
        vix=16.0,
        spx_price=6000.0,
        regime="normal",
        risk_state=RiskState.OK if delta is not None else RiskState.HALTED,
        paper=False,
    )


async def test_one_snapshot_per_account_and_instant(store: JournalStore) -> None:
    first = snapshot(NOW)
    assert await store.insert_snapshots([first, snapshot(NOW, account="total")]) == 2
    assert await store.insert_snapshots([replace(first, net_liquidation=Decimal(1))]) == 0
    buckets, _ = await store.snapshot_buckets("PAPER", NOW, NOW + timedelta(hours=1), 900)
    assert [b.net_liquidation for b in buckets] == [Decimal(500000)]
    bounds = await store.snapshot_bounds("PAPER")
    assert bounds is not None
    assert bounds.first == bounds.last == NOW
    assert await store.snapshot_bounds("NOBODY") is None


async def test_a_bucket_averages_greeks_and_keeps_the_last_net_liquidation(store: JournalStore) -> None:
    await store.insert_snapshots(
        [
            snapshot(NOW, delta=10.0, net="500000"),
            snapshot(NOW + timedelta(minutes=15), delta=None, net="500100"),  # halted: no Greeks
            snapshot(NOW + timedelta(minutes=30), delta=30.0, net="500200.55"),
            snapshot(NOW + timedelta(minutes=60), delta=-5.0, net="499000"),
        ]
    )
    buckets, paper = await store.snapshot_buckets("PAPER", NOW, NOW + timedelta(days=1), 3600)
    assert paper is False
    assert [b.at for b in buckets] == [NOW, NOW + timedelta(hours=1)]
    assert buckets[0].spx_delta == pytest.approx(20.0)  # the halted snapshot counts as unknown, not 0
    assert buckets[0].net_liquidation == Decimal("500200.55")
    assert buckets[1].spx_delta == pytest.approx(-5.0)


async def test_buckets_hold_only_the_window(store: JournalStore) -> None:
    await store.insert_snapshots([snapshot(NOW + timedelta(minutes=15 * i)) for i in range(8)])
    buckets, _ = await store.snapshot_buckets(
        "PAPER", NOW + timedelta(minutes=30), NOW + timedelta(minutes=90), 900
    )
    assert [b.at for b in buckets] == [NOW + timedelta(minutes=15 * i) for i in range(2, 7)]  # both ends in


async def test_bucketing_is_the_same_on_postgresql_and_timescaledb(
    postgres_url: str, timescale_url: str
) -> None:
    start = NOW - timedelta(days=3)
    rows = [
        snapshot(
            start + timedelta(minutes=15 * i),
            delta=None if i % 17 == 0 else (i % 23) - 11.5,
            net=str(500000 + i),
        )
        for i in range(3 * 96)
    ]
    plain = await JournalStore.open(postgres_url)
    timescale = await JournalStore.open(timescale_url)
    try:
        assert (plain.backend, timescale.backend) == (Backend.POSTGRES, Backend.TIMESCALE)
        for target in (plain, timescale):
            await target.insert_snapshots(rows)
        for size in (60, 900, 3600, 4 * 3600, 86400, 7 * 86400):
            ours = await plain.snapshot_buckets("PAPER", start - timedelta(days=1), NOW, size)
            theirs = await timescale.snapshot_buckets("PAPER", start - timedelta(days=1), NOW, size)
            assert ours[0], "no buckets to compare"
            assert ours[1] == theirs[1]
            assert [(b.at, b.net_liquidation, b.regime) for b in ours[0]] == [
                (b.at, b.net_liquidation, b.regime) for b in theirs[0]
            ]
            assert ours[0] == theirs[0]  # the same buckets, the same averages
    finally:
        await plain.close()
        await timescale.close()
