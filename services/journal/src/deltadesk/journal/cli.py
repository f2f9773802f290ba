"""`deltadesk journal migrate` and `deltadesk journal seed-history --days N [--account PAPER]`.

Both work on the database straight away: DELTADESK_DATABASE_URL when set, else the desk's embedded
PostgreSQL under the data folder (joined if `deltadesk up` is running, started and stopped if not).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from psycopg import AsyncConnection
from pydantic import ValidationError

from deltadesk.journal.adapters.market_config import load_market_config
from deltadesk.journal.adapters.migrations import MigrationError, migrate
from deltadesk.journal.adapters.store import JournalStore
from deltadesk.journal.domain.history import DEFAULT_START_CASH
from deltadesk.journal.embedded import database_url
from deltadesk.journal.seeding import seed_history
from deltadesk.journal.settings import JournalSettings
from deltadesk.shared.clock import SystemClock
from deltadesk.shared.embedded import EmbeddedServerError
from deltadesk.shared.errors import DeskError

FAILED = 1
BAD_INPUT = 2


def register(sub: Any) -> None:
    journal = sub.add_parser("journal", help="the journal's database: migrate it, seed paper history")
    commands = journal.add_subparsers(dest="journal_command", metavar="COMMAND")

    migrate_parser = commands.add_parser("migrate", help="apply the journal's pending SQL migrations")
    migrate_parser.set_defaults(func=cmd_migrate)

    seed = commands.add_parser(
        "seed-history",
        help="fill a paper account's history by running the simulated market through time (paper data)",
    )
    seed.add_argument("--days", type=int, required=True, help="how many days of history (1-730)")
    seed.add_argument("--account", default=None, help="the account to seed (default: the paper account)")
    seed.add_argument(
        "--until", default=None, help="end of the history, ISO 8601 with a timezone (default: now)"
    )
    seed.add_argument("--seed", type=int, default=None, help="random seed: the same seed, the same history")
    seed.add_argument(
        "--start-cash", default=str(DEFAULT_START_CASH), help="the account's value at the start, in USD"
    )
    seed.set_defaults(func=cmd_seed_history)
    journal.set_defaults(func=lambda args: _help(journal))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return BAD_INPUT


def cmd_migrate(args: argparse.Namespace) -> int:
    try:
        settings = JournalSettings()
        applied = asyncio.run(_migrate(settings))
    except ValidationError as exc:
        return _fail(f"settings: {exc.errors()[0]['msg']}", BAD_INPUT)
    except (MigrationError, EmbeddedServerError, OSError, psycopg.Error) as exc:
        return _fail(str(exc))
    print(f"applied migrations: {', '.join(map(str, applied))}" if applied else "the journal is up to date")
    return 0


async def _migrate(settings: JournalSettings) -> list[int]:
    with database_url(settings) as url:
        async with await AsyncConnection.connect(
            url, connect_timeout=int(settings.journal_db_timeout_s)
        ) as conn:
            return await migrate(conn)


def cmd_seed_history(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 730:
        return _fail(f"--days must be between 1 and 730, was {args.days}", BAD_INPUT)
    try:
        until = datetime.fromisoformat(args.until) if args.until else SystemClock().now()
        start_cash = Decimal(args.start_cash)
    except (ValueError, InvalidOperation) as exc:
        return _fail(f"bad argument: {exc}", BAD_INPUT)
    if until.tzinfo is None:
        return _fail("--until needs a timezone (2026-11-24T15:00:00Z)", BAD_INPUT)
    if not start_cash.is_finite() or start_cash <= 0:
        return _fail("--start-cash must be a positive amount", BAD_INPUT)
    try:
        settings = JournalSettings()
        account = args.account or settings.paper_account_id
        written = asyncio.run(_seed(settings, account, args.days, until, args.seed, start_cash))
    except ValidationError as exc:
        return _fail(f"settings: {exc.errors()[0]['msg']}", BAD_INPUT)
    except DeskError as exc:
        return _fail(str(exc), BAD_INPUT)
    except (MigrationError, EmbeddedServerError, OSError, ValueError, psycopg.Error) as exc:
        return _fail(str(exc))
    print(f"seeded {written} paper snapshots for {account}")
    return 0


async def _seed(
    settings: JournalSettings, account: str, days: int, until: datetime, seed: int | None, start_cash: Decimal
) -> int:
    market = load_market_config(settings.config_dir)
    with database_url(settings) as url:
        store = await JournalStore.open(url, max_size=2, timeout_s=settings.journal_db_timeout_s)
        try:
            return await seed_history(
                store,
                account,
                days=days,
                until=until,
                interval_s=settings.snapshot_interval_seconds,
                market=market,
                seed=seed,
                start_cash=start_cash,
            )
        finally:
            await store.close()


def _fail(reason: str, code: int = FAILED) -> int:
    print(f"deltadesk journal: {reason}", file=sys.stderr)
    return code
