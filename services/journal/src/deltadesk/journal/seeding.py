"""seed-history's shell: the simulated paper history of the domain, written to the store in batches.

Shared by the `deltadesk journal seed-history` command (straight to the database) and the journal
service's JOURNAL_HISTORY_SEED request, which yields the event loop between batches so fills and
queries are not held up while a long history is written.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from decimal import Decimal

from deltadesk.journal.adapters.market_config import MarketConfig
from deltadesk.journal.adapters.store import JournalStore
from deltadesk.journal.domain.history import DEFAULT_START_CASH, seed_window, simulate_history
from deltadesk.journal.domain.snapshots import Snapshot
from deltadesk.shared.subjects import check_token

BATCH = 500  # snapshots per transaction


async def seed_history(
    store: JournalStore,
    account: str,
    *,
    days: int,
    until: datetime,
    interval_s: float,
    market: MarketConfig,
    seed: int | None = None,
    start_cash: Decimal = DEFAULT_START_CASH,
) -> int:
    """Write `days` of simulated paper history for `account` up to `until`, or up to the account's
    first snapshot if it has one (seeded data never mixes with real data); return how many
    snapshots were written. Running it again writes nothing new for instants already held."""
    check_token("account", account)
    bounds = await store.snapshot_bounds(account)
    start, end = seed_window(until, days, interval_s, bounds.first if bounds is not None else None)
    history = simulate_history(
        account,
        start,
        end,
        interval_s=interval_s,
        rng=random.Random(seed),
        betas=market.betas,
        regimes=market.regimes,
        start_cash=start_cash,
    )
    written = 0
    batch: list[Snapshot] = []
    for snapshot in history:
        batch.append(snapshot)
        if len(batch) >= BATCH:
            written += await store.insert_snapshots(batch)
            batch = []
            await asyncio.sleep(0)  # let the consumers and queries through between batches
    return written + await store.insert_snapshots(batch)
