"""The journal's PostgreSQL store: fills, order events, snapshots, and the queries over them.

One query layer for both backends: the only difference is the bucketing function of the charts,
TimescaleDB's `time_bucket` or PostgreSQL's `date_bin`, both given the same width and origin, so
both return the same buckets. Money goes in and out as Decimal (NUMERIC), instants as timestamptz.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from deltadesk.journal.adapters.migrations import migrate, timescale_installed
from deltadesk.journal.domain.entries import OrderStatus, supersedes
from deltadesk.journal.domain.series import BUCKET_ORIGIN, Bucket
from deltadesk.journal.domain.snapshots import Snapshot
from deltadesk.shared.commands import JournalEntry, JournalQuery
from deltadesk.shared.events import OrderStateChanged
from deltadesk.shared.orders import LegFill, OrderState
from deltadesk.shared.portfolio import PortfolioGreeks

logger = logging.getLogger(__name__)


# An order's row, created by whichever of its fill or its first order event arrives first.
_INSERT_ORDER = """INSERT INTO journal_orders
    (order_id, account, broker, broker_order_id, underlying, status, status_at, created_at, "order")
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (order_id) DO NOTHING"""


class Backend(StrEnum):
    TIMESCALE = "timescaledb"
    POSTGRES = "postgresql"

    @property
    def bucket_function(self) -> sql.Identifier:
        return sql.Identifier("time_bucket" if self is Backend.TIMESCALE else "date_bin")


@dataclass(frozen=True, slots=True)
class SnapshotBounds:
    first: datetime
    last: datetime


_ENTRY_COLUMNS = sql.SQL(
    """f.entry_id, f.filled_at, f.broker, f.account, f.order_id, f.broker_order_id, f.fill_id,
       f.underlying, f.strategy, o.status, f.legs, f.quantity, f.net_price, f.net_debit_credit,
       f.commission, f.vix, f.spx_price, f.regime, f.pre_trade, f.post_trade, f.rationale,
       f.ai_rationale, f.suggestion_id"""
)

_SNAPSHOT_COLUMNS = (
    "account",
    "captured_at",
    "broker",
    "net_liquidation",
    "cash",
    "spx_delta",
    "gamma",
    "theta",
    "vega",
    "theta_delta_ratio",
    "vix",
    "spx_price",
    "regime",
    "risk_state",
    "paper",
    "source",
)


async def _configure(conn: AsyncConnection[Any]) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")
    await conn.commit()


async def open_pool(url: str, *, min_size: int, max_size: int, timeout_s: float) -> AsyncConnectionPool:
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        timeout=timeout_s,
        configure=_configure,
        name="journal",
    )
    await pool.open(wait=True, timeout=timeout_s)
    return pool


class JournalStore:
    def __init__(self, pool: AsyncConnectionPool, backend: Backend) -> None:
        self.pool = pool
        self.backend = backend

    @classmethod
    async def open(
        cls, url: str, *, min_size: int = 1, max_size: int = 5, timeout_s: float = 30.0
    ) -> JournalStore:
        """Connect, apply pending migrations, and learn which backend this is."""
        pool = await open_pool(url, min_size=min_size, max_size=max_size, timeout_s=timeout_s)
        try:
            async with await AsyncConnection.connect(url, connect_timeout=int(timeout_s)) as conn:
                await migrate(conn)
                backend = Backend.TIMESCALE if await timescale_installed(conn) else Backend.POSTGRES
        except BaseException:
            await pool.close()
            raise
        logger.info("journal database ready", extra={"backend": backend.value})
        return cls(pool, backend)

    async def close(self) -> None:
        await self.pool.close()

    # ── fills and orders ────────────────────────────────────────────────────────────────────────
    async def record_fill(self, entry: JournalEntry, status: OrderStatus, event_id: UUID) -> bool:
        """Journal a fill and move its order's status; False (and nothing changed) when the broker's
        fill is already journaled."""
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                _INSERT_ORDER,
                _order_values(status),
            )
            fresh_order = cursor.rowcount == 1
            cursor = await conn.execute(
                """INSERT INTO journal_fills
                       (entry_id, filled_at, broker, account, order_id, broker_order_id, fill_id,
                        underlying, strategy, legs, quantity, net_price, net_debit_credit, commission,
                        vix, spx_price, regime, pre_trade, post_trade, rationale, ai_rationale,
                        suggestion_id, event_id)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                           %s, %s, %s, %s)
                   ON CONFLICT DO NOTHING""",
                (
                    entry.entry_id,
                    entry.filled_at,
                    entry.broker,
                    entry.account,
                    entry.order_id,
                    entry.broker_order_id,
                    entry.fill_id,
                    entry.underlying,
                    entry.strategy,
                    Jsonb([leg.model_dump(mode="json") for leg in entry.legs]),
                    entry.quantity,
                    entry.net_price,
                    entry.net_debit_credit,
                    entry.commission,
                    entry.vix,
                    entry.spx_price,
                    entry.regime,
                    _greeks_json(entry.pre_trade),
                    _greeks_json(entry.post_trade),
                    entry.rationale,
                    entry.ai_rationale,
                    entry.suggestion_id,
                    event_id,
                ),
            )
            if cursor.rowcount != 1:
                return False
            if not fresh_order:
                await _advance_order(conn, status)
            return True

    async def record_order_event(self, event: OrderStateChanged, status: OrderStatus) -> bool:
        """Keep an order event and move its order's status; False when the event was kept before."""
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                """INSERT INTO journal_order_events
                       (event_id, occurred_at, order_id, account, state, previous_state, broker_order_id,
                        filled_quantity, code, reason, payload)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT DO NOTHING""",
                (
                    event.event_id,
                    event.occurred_at,
                    event.order.order_id,
                    event.account,
                    event.state.value,
                    event.previous_state.value if event.previous_state is not None else None,
                    event.broker_order_id,
                    event.filled_quantity,
                    event.code,
                    event.reason,
                    Jsonb(event.model_dump(mode="json")),
                ),
            )
            if cursor.rowcount != 1:
                return False
            cursor = await conn.execute(
                _INSERT_ORDER,
                _order_values(status),
            )
            if cursor.rowcount != 1:
                await _advance_order(conn, status)
            return True

    async def order_status(self, order_id: UUID) -> tuple[OrderState, datetime] | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT status, status_at FROM journal_orders WHERE order_id = %s", (order_id,)
            )
            row = await cursor.fetchone()
        return (OrderState(row[0]), row[1]) if row is not None else None

    async def list_entries(self, query: JournalQuery) -> tuple[list[JournalEntry], int]:
        """The entries a query shows (newest first, its page) and how many match in all."""
        where, params = _filters(query)
        select = sql.SQL(
            "SELECT {columns} FROM journal_fills f JOIN journal_orders o USING (order_id) {where} "
            "ORDER BY f.filled_at DESC, f.entry_id DESC LIMIT %s OFFSET %s"
        ).format(columns=_ENTRY_COLUMNS, where=where)
        # Every fill has its order (a foreign key), so only a status filter needs the join to count.
        joined = (
            sql.SQL("JOIN journal_orders o USING (order_id)") if query.status is not None else sql.SQL("")
        )
        count = sql.SQL("SELECT count(*) FROM journal_fills f {joined} {where}").format(
            joined=joined, where=where
        )
        async with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(select, [*params, query.limit, query.offset])
            rows = await cursor.fetchall()
            total_cursor = await conn.execute(count, params)
            total_row = await total_cursor.fetchone()
        total = int(total_row[0]) if total_row is not None else 0
        return [_entry(row) for row in rows], total

    # ── snapshots ───────────────────────────────────────────────────────────────────────────────
    async def insert_snapshots(self, snapshots: Sequence[Snapshot]) -> int:
        """Store snapshots; one already held for the same account and instant is kept as it was.
        Returns how many were new."""
        if not snapshots:
            return 0
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in _SNAPSHOT_COLUMNS)
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "CREATE TEMPORARY TABLE incoming_snapshots (LIKE journal_snapshots) ON COMMIT DROP"
            )
            async with conn.cursor().copy(
                sql.SQL("COPY incoming_snapshots ({columns}) FROM STDIN").format(columns=columns)
            ) as copy:
                for snapshot in snapshots:
                    await copy.write_row(_snapshot_values(snapshot))
            cursor = await conn.execute(
                sql.SQL(
                    "INSERT INTO journal_snapshots ({columns}) SELECT {columns} FROM incoming_snapshots "
                    "ON CONFLICT (account, captured_at) DO NOTHING"
                ).format(columns=columns)
            )
            return cursor.rowcount

    async def snapshot_bounds(self, account: str) -> SnapshotBounds | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT min(captured_at), max(captured_at) FROM journal_snapshots WHERE account = %s",
                (account,),
            )
            row = await cursor.fetchone()
        if row is None or row[0] is None:
            return None
        return SnapshotBounds(row[0], row[1])

    async def snapshot_buckets(
        self, account: str, start: datetime, end: datetime, bucket_s: int
    ) -> tuple[list[Bucket], bool]:
        """Each bucket of [start, end] that holds snapshots (averages; the last net liquidation
        and regime), oldest first, and whether any of them is paper data.

        The last values are looked up by their instants (the primary key) rather than taken with
        an ordered array_agg, which would sort every bucket: a year of snapshots stays fast."""
        aggregate = sql.SQL(
            """SELECT {bucket}(make_interval(secs => %(bucket)s), captured_at, %(origin)s) AS at,
                      max(captured_at) FILTER (WHERE net_liquidation IS NOT NULL) AS net_at,
                      max(captured_at) FILTER (WHERE regime IS NOT NULL) AS regime_at,
                      avg(spx_delta) AS spx_delta, avg(gamma) AS gamma, avg(theta) AS theta,
                      avg(vega) AS vega, avg(vix) AS vix, avg(spx_price) AS spx_price,
                      bool_or(paper) AS paper
               FROM journal_snapshots
               WHERE account = %(account)s AND captured_at >= %(start)s AND captured_at <= %(end)s
               GROUP BY 1 ORDER BY 1"""
        ).format(bucket=self.backend.bucket_function)
        params = {"bucket": bucket_s, "origin": BUCKET_ORIGIN, "account": account, "start": start, "end": end}
        async with self.pool.connection() as conn, conn.transaction():
            # a year of snapshots sorts in memory rather than spilling to disk at the default 4 MB
            await conn.execute("SET LOCAL work_mem = '32MB'")
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(aggregate, params)
            rows = await cursor.fetchall()
            instants = sorted({row[k] for row in rows for k in ("net_at", "regime_at") if row[k] is not None})
            await cursor.execute(
                "SELECT captured_at, net_liquidation, regime FROM journal_snapshots "
                "WHERE account = %s AND captured_at = ANY(%s)",
                (account, instants),
            )
            last = {row["captured_at"]: row for row in await cursor.fetchall()}
        buckets = [
            Bucket(
                at=row["at"],
                net_liquidation=last[row["net_at"]]["net_liquidation"] if row["net_at"] is not None else None,
                spx_delta=row["spx_delta"],
                gamma=row["gamma"],
                theta=row["theta"],
                vega=row["vega"],
                vix=row["vix"],
                spx_price=row["spx_price"],
                regime=last[row["regime_at"]]["regime"] if row["regime_at"] is not None else None,
            )
            for row in rows
        ]
        return buckets, any(row["paper"] for row in rows)


# ── rows ────────────────────────────────────────────────────────────────────────────────────────
def _order_values(status: OrderStatus) -> tuple[object, ...]:
    return (
        status.order_id,
        status.account,
        status.broker,
        status.broker_order_id,
        status.underlying,
        status.state.value,
        status.state_at,
        status.order.created_at,
        Jsonb(status.order.model_dump(mode="json")),
    )


async def _advance_order(conn: AsyncConnection[Any], status: OrderStatus) -> None:
    """Move a held order to the incoming state if it supersedes the held one (row locked)."""
    cursor = await conn.execute(
        "SELECT status, status_at FROM journal_orders WHERE order_id = %s FOR UPDATE", (status.order_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        return
    held, held_at = OrderState(row[0]), row[1]
    if supersedes(status.state, status.state_at, held, held_at):
        await conn.execute(
            """UPDATE journal_orders
               SET status = %s, status_at = %s, updated_at = now(),
                   broker_order_id = coalesce(%s, broker_order_id)
               WHERE order_id = %s""",
            (status.state.value, status.state_at, status.broker_order_id, status.order_id),
        )
    elif status.broker_order_id is not None:
        await conn.execute(
            "UPDATE journal_orders SET broker_order_id = coalesce(broker_order_id, %s) WHERE order_id = %s",
            (status.broker_order_id, status.order_id),
        )


def _filters(query: JournalQuery) -> tuple[sql.Composable, list[object]]:
    clauses: list[sql.Composable] = []
    params: list[object] = []
    if query.start is not None:
        clauses.append(sql.SQL("f.filled_at >= %s"))
        params.append(query.start)
    if query.end is not None:
        clauses.append(sql.SQL("f.filled_at < %s"))
        params.append(query.end)
    if query.account is not None:
        clauses.append(sql.SQL("f.account = %s"))
        params.append(query.account)
    if query.underlying is not None:
        clauses.append(sql.SQL("f.underlying = %s"))
        params.append(query.underlying.strip().upper())
    if query.strategy is not None:
        clauses.append(sql.SQL("lower(f.strategy) = lower(%s)"))
        params.append(query.strategy.strip())
    if query.regime is not None:
        clauses.append(sql.SQL("f.regime = %s"))
        params.append(query.regime)
    if query.status is not None:
        clauses.append(sql.SQL("o.status = %s"))
        params.append(query.status.value)
    if not clauses:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(clauses), params


def _entry(row: dict[str, Any]) -> JournalEntry:
    return JournalEntry(
        entry_id=row["entry_id"],
        filled_at=row["filled_at"],
        broker=row["broker"],
        account=row["account"],
        order_id=row["order_id"],
        broker_order_id=row["broker_order_id"],
        fill_id=row["fill_id"],
        underlying=row["underlying"],
        strategy=row["strategy"],
        status=OrderState(row["status"]),
        legs=tuple(LegFill.model_validate(leg) for leg in row["legs"]),
        quantity=row["quantity"],
        net_price=row["net_price"],
        net_debit_credit=row["net_debit_credit"],
        commission=row["commission"],
        vix=row["vix"],
        spx_price=row["spx_price"],
        regime=row["regime"],
        pre_trade=PortfolioGreeks.model_validate(row["pre_trade"]) if row["pre_trade"] is not None else None,
        post_trade=PortfolioGreeks.model_validate(row["post_trade"])
        if row["post_trade"] is not None
        else None,
        rationale=row["rationale"],
        ai_rationale=row["ai_rationale"],
        suggestion_id=row["suggestion_id"],
    )


def _greeks_json(greeks: PortfolioGreeks | None) -> Jsonb | None:
    return Jsonb(greeks.model_dump(mode="json")) if greeks is not None else None


def _snapshot_values(snapshot: Snapshot) -> tuple[object, ...]:
    return (
        snapshot.account,
        snapshot.captured_at,
        snapshot.broker,
        snapshot.net_liquidation,
        snapshot.cash,
        snapshot.spx_delta,
        snapshot.gamma,
        snapshot.theta,
        snapshot.vega,
        snapshot.theta_delta_ratio,
        snapshot.vix,
        snapshot.spx_price,
        snapshot.regime,
        snapshot.risk_state.value,
        snapshot.paper,
        snapshot.source.value,
    )
