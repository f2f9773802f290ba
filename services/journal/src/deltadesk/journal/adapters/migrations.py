"""Versioned SQL migrations, shipped in the package (`migrations/NNNN_name.sql`), applied in order.

Each applied migration is recorded in `journal_migrations` with a checksum of its text. The whole
run holds a PostgreSQL advisory lock, so two processes migrating at once take turns and the second
finds nothing left to do; a migration's SQL and its record commit in one transaction. A recorded
migration whose file has changed since stops the run: history is never rewritten silently.

TimescaleDB is enabled first when the server offers it (installed and preloaded); when it cannot
be, the database stays plain PostgreSQL and the migrations create plain tables.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import AsyncConnection

logger = logging.getLogger(__name__)

# pg_advisory_lock key: "ddjournl" as a 64-bit integer, so no other lock user collides with it.
LOCK_KEY = int.from_bytes(b"ddjournl", "big") - 2**63
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS journal_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The database's recorded migrations do not match the package's files."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def packaged_migrations() -> list[Migration]:
    """Every migration file of the package, by version; versions must run 1, 2, 3, … without a gap."""
    found = []
    for resource in files("deltadesk.journal").joinpath("migrations").iterdir():
        match = _NAME.match(resource.name)
        if match is None:
            continue
        found.append(Migration(int(match["version"]), match["name"], resource.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must be 1..n without gaps, found {versions}")
    return found


async def migrate(conn: AsyncConnection[Any], migrations: list[Migration] | None = None) -> list[int]:
    """Apply the migrations not applied yet; return their versions. `conn` is left in autocommit."""
    pending = packaged_migrations() if migrations is None else migrations
    await conn.set_autocommit(True)
    await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        await enable_timescale(conn)
        await conn.execute(_CREATE_TABLE)
        cursor = await conn.execute("SELECT version, checksum FROM journal_migrations")
        applied = {int(version): str(checksum) for version, checksum in await cursor.fetchall()}
        done = []
        for migration in pending:
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was changed after it was applied"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql.encode())
                await conn.execute(
                    "INSERT INTO journal_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            logger.info(
                "migration applied", extra={"version": migration.version, "migration": migration.name}
            )
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


async def enable_timescale(conn: AsyncConnection[Any]) -> bool:
    """Create the timescaledb extension if the server has it and it is not there yet; True when it
    is installed in this database afterwards. Not preloaded, or no right to create it: plain tables."""
    if await timescale_installed(conn):
        return True
    cursor = await conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    if await cursor.fetchone() is None:
        return False
    # Creating it without the library preloaded is not an error but a FATAL: it ends the session.
    cursor = await conn.execute("SELECT current_setting('shared_preload_libraries')")
    row = await cursor.fetchone()
    if row is None or "timescaledb" not in str(row[0]):
        logger.info("timescaledb is installed but not preloaded; plain PostgreSQL it is")
        return False
    try:
        async with conn.transaction():
            await conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error as exc:
        logger.warning(
            "timescaledb is available but cannot be enabled; plain PostgreSQL it is",
            extra={"reason": str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)},
        )
        return False
    return True


async def timescale_installed(conn: AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
    return await cursor.fetchone() is not None
