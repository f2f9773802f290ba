"""Journal: fills journaled per second (consumer to commit), journal query p99 over 100,000 fills
with filters, and the history chart's query over a year of 15-minute snapshots at each range.

The database is DELTADESK_TEST_DATABASE_URL's server (a fresh database there) or an embedded
pgserver in a temporary folder; the chart queries also run on TimescaleDB when
DELTADESK_TEST_TIMESCALE_URL is set. NATS is the embedded server unless DELTADESK_TEST_NATS_URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import conninfo
from psycopg.types.json import Jsonb

from deltadesk.journal.adapters.store import JournalStore
from deltadesk.journal.domain.snapshots import RiskState, Snapshot, SnapshotSource
from deltadesk.journal.embedded import start_embedded
from deltadesk.journal.service import run
from deltadesk.journal.settings import JournalSettings
from deltadesk.journal.testing import ManualTicker, leg, make_fill, make_order, option
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import JournalPage, JournalQuery, QuerySnapshots, SnapshotRange, SnapshotSeries
from deltadesk.shared.errors import PeerUnavailable
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, OrderState
from deltadesk.shared.subjects import EXEC_FILL, JOURNAL_FILLS_LIST, JOURNAL_SNAPSHOTS_LIST
from deltadesk.shared.testing import nats_test_server
from tests.bench.stats import summary_ms

END = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[2] / "config"
ACCOUNTS = ("PAPER", "IBKR1", "TT1")
UNDERLYINGS = ("SPX", "SPY", "AAPL", "NVDA", "KO", "/ES", "QQQ", "IWM")
STRATEGIES = ("short put", "put credit spread", "iron condor", "short strangle", "covered call", "future")
REGIMES = ("low", "normal", "elevated", "high")
STATES = (OrderState.FILLED, OrderState.PARTIAL, OrderState.CANCELLED)


def bench_journal(fills: int = 100_000, streamed: int = 1_000, runs: int = 30) -> dict[str, Any]:
    with _server("DELTADESK_TEST_DATABASE_URL") as admin, nats_test_server() as nats_url:
        report = asyncio.run(_bench(admin, nats_url, fills, streamed, runs))
    timescale = os.environ.get("DELTADESK_TEST_TIMESCALE_URL")
    if timescale:
        with nats_test_server() as nats_url:
            report["chart_query_ms_timescaledb"] = asyncio.run(_charts_only(timescale, nats_url, runs))
    else:
        report["chart_query_ms_timescaledb"] = "skipped: DELTADESK_TEST_TIMESCALE_URL not set"
    return report


async def _bench(admin: str, nats_url: str, fills: int, streamed: int, runs: int) -> dict[str, Any]:
    with _database(admin) as url:
        async with _journal(url, nats_url) as (gateway, execution, store):
            backend = store.backend.value
            throughput = await _fills_per_second(execution, store, streamed)
            await _insert_fills(url, fills)
            queries = await _query_times(gateway, runs)
            await _insert_year(store)
            charts = await _chart_times(gateway, runs)
    return {
        "backend": backend,
        "fills_journaled_per_s": throughput,
        f"journal_query_ms_over_{fills}_fills": queries,
        f"chart_query_ms_{backend}": charts,
        "goal": "chart query under 50 ms at each range (35,040 snapshots: a year of 15-minute ones)",
    }


async def _charts_only(url_admin: str, nats_url: str, runs: int) -> dict[str, Any]:
    with _database(url_admin) as url:
        async with _journal(url, nats_url) as (gateway, _, store):
            await _insert_year(store)
            return await _chart_times(gateway, runs)


# ── servers ─────────────────────────────────────────────────────────────────────────────────────
@contextlib.contextmanager
def _server(variable: str) -> Iterator[str]:
    url = os.environ.get(variable)
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="dd-bench-pg-", dir="/tmp") as folder:
        server = start_embedded(Path(folder) / "pgdata")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


@contextlib.contextmanager
def _database(admin: str) -> Iterator[str]:
    name = f"dd_bench_{uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield conninfo.make_conninfo(admin, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def _journal(url: str, nats_url: str) -> Any:
    with tempfile.TemporaryDirectory(prefix="dd-bench-journal-") as data:
        settings = JournalSettings(
            nats_url=nats_url, database_url=url, data_dir=Path(data), config_dir=CONFIG, journal_pool_size=5
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop, ticker=ManualTicker(END)))
        gateway = await Bus.connect(nats_url, "gateway")
        execution = await Bus.connect(nats_url, "execution")
        store = await JournalStore.open(url, max_size=2)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    await gateway.request(JOURNAL_FILLS_LIST, JournalQuery(limit=1), JournalPage)
                    break
                except PeerUnavailable:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
            yield gateway, execution, store
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            await store.close()
            await gateway.close()
            await execution.close()


# ── fills per second ────────────────────────────────────────────────────────────────────────────
async def _fills_per_second(execution: Bus, store: JournalStore, count: int) -> dict[str, Any]:
    events = []
    for i in range(count):
        order = make_order(
            leg(Action.SELL, 1, option("SPX", Right.PUT, 5800, root="SPXW")),
            leg(Action.BUY, 1, option("SPX", Right.PUT, 5750, root="SPXW")),
            created_at=END,
            rationale=f"bench {i}",
        )
        events.append(make_fill(order, filled_at=END + timedelta(seconds=i), broker_order_id=f"S{i}"))
    started = time.perf_counter()
    for event in events:
        await execution.publish(EXEC_FILL, event, account=event.account, order_id=str(event.order_id))
    published = time.perf_counter() - started
    while True:
        _, total = await store.list_entries(JournalQuery(limit=1))
        if total >= count:
            break
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    return {
        "fills": count,
        "per_s": round(count / elapsed, 1),
        "seconds": round(elapsed, 3),
        "publish_seconds": round(published, 3),
        "note": "published back to back to the stream, until the last is committed "
        "(consumer, validate, commit, ack)",
    }


# ── journal queries ─────────────────────────────────────────────────────────────────────────────
async def _insert_fills(url: str, count: int) -> None:
    rng = random.Random(11)
    legs = Jsonb(
        [
            {
                "symbol": "SPXW 261218P05800000",
                "action": "SELL",
                "quantity": "1",
                "ordered": "1",
                "price": "1.25",
            }
        ]
    )
    greeks = Jsonb({"spx_delta": -12.5, "gamma": -1.0, "theta": 120.0, "vega": -300.0, "by_underlying": []})
    async with await psycopg.AsyncConnection.connect(url) as conn:
        async with conn.cursor().copy(
            "COPY journal_orders (order_id, account, broker, broker_order_id, underlying, status, status_at, "
            'created_at, "order") FROM STDIN'
        ) as copy:
            orders = []
            for i in range(count):
                order_id = uuid4()
                at = END - timedelta(minutes=i * 5)
                account, underlying = rng.choice(ACCOUNTS), rng.choice(UNDERLYINGS)
                orders.append((order_id, at, account, underlying))
                await copy.write_row(
                    (
                        order_id,
                        account,
                        "paper",
                        f"Q{i}",
                        underlying,
                        rng.choice(STATES).value,
                        at,
                        at,
                        Jsonb({}),
                    )
                )
        async with conn.cursor().copy(
            "COPY journal_fills (entry_id, filled_at, broker, account, order_id, broker_order_id, fill_id, "
            "underlying, strategy, legs, quantity, net_price, net_debit_credit, commission, vix, spx_price, "
            "regime, pre_trade, post_trade, rationale, ai_rationale, suggestion_id, event_id) FROM STDIN"
        ) as copy:
            for i, (order_id, at, account, underlying) in enumerate(orders):
                await copy.write_row(
                    (
                        uuid4(), at, "paper", account, order_id, f"Q{i}", "F1", underlying,
                        rng.choice(STRATEGIES), legs, Decimal(1), Decimal("-1.25"), Decimal("-125.00"),
                        Decimal("1.30"), rng.uniform(11, 35), rng.uniform(5500, 6500), rng.choice(REGIMES),
                        greeks, greeks, f'fill {i}, "bench"', None, None, uuid4(),
                    )
                )  # fmt: skip
        await conn.execute("ANALYZE journal_fills")
        await conn.execute("ANALYZE journal_orders")
        await conn.commit()


async def _query_times(gateway: Bus, runs: int) -> dict[str, Any]:
    week_ago = END - timedelta(days=7)
    cases = {
        "newest_page": JournalQuery(),
        "account": JournalQuery(account="IBKR1"),
        "underlying": JournalQuery(underlying="NVDA"),
        "strategy": JournalQuery(strategy="iron condor"),
        "regime": JournalQuery(regime="elevated"),
        "status": JournalQuery(status=OrderState.PARTIAL),
        "last_week_account_regime": JournalQuery(start=week_ago, account="PAPER", regime="normal"),
        "deep_page": JournalQuery(offset=50_000),
    }
    report: dict[str, Any] = {}
    samples_all: list[float] = []
    for name, query in cases.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            await gateway.request(JOURNAL_FILLS_LIST, query, JournalPage, timeout=30)
            samples.append(time.perf_counter() - started)
        samples_all += samples
        report[name] = summary_ms(samples)
    report["all"] = summary_ms(samples_all)
    report["note"] = "over the bus, 100 entries a page with the total count; what the Journal tab waits for"
    return report


# ── charts ──────────────────────────────────────────────────────────────────────────────────────
async def _insert_year(store: JournalStore) -> None:
    rng = random.Random(5)
    start = END - timedelta(days=365)
    net, delta = 500_000.0, 10.0
    rows = []
    for i in range(365 * 96):
        net *= 1 + rng.gauss(0.00002, 0.0008)
        delta += rng.gauss(0, 2)
        theta, vega = 500 + rng.gauss(0, 50), -1500 + rng.gauss(0, 100)
        rows.append(
            Snapshot(
                account="PAPER",
                captured_at=start + timedelta(minutes=15 * i),
                broker="paper",
                net_liquidation=Decimal(f"{net:.2f}"),
                cash=Decimal("250000.00"),
                spx_delta=delta,
                gamma=-40.0,
                theta=theta,
                vega=vega,
                theta_delta_ratio=theta / delta if delta else None,
                vix=16.0,
                spx_price=6000.0,
                regime="normal",
                risk_state=RiskState.OK,
                paper=True,
                source=SnapshotSource.SEED,
            )
        )
    await store.insert_snapshots(rows)


async def _chart_times(gateway: Bus, runs: int) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for range_ in (SnapshotRange.DAY, SnapshotRange.WEEK, SnapshotRange.MONTH, SnapshotRange.ALL):
        samples, points = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            series = await gateway.request(
                JOURNAL_SNAPSHOTS_LIST,
                QuerySnapshots(account="PAPER", range=range_),
                SnapshotSeries,
                timeout=30,
            )
            samples.append(time.perf_counter() - started)
            points = len(series.points)
        report[range_.value] = {**summary_ms(samples), "points": points}
    report["snapshots"] = 365 * 96
    report["note"] = "over the bus, max_points 1000 (the default); bucketing in the database"
    return report
