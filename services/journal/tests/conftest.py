"""Real PostgreSQL for the journal's tests: a fresh database per test.

The server comes from DELTADESK_TEST_DATABASE_URL when set (a server on which the URL's user may
create databases), else an embedded pgserver in a temporary folder, one per test session. Every
storage test also runs against TimescaleDB when DELTADESK_TEST_TIMESCALE_URL is set, and is
skipped there otherwise.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg import conninfo

from deltadesk.journal.embedded import start_embedded

POSTGRES = "postgresql"
TIMESCALE = "timescaledb"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get("DELTADESK_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="dd-journal-pg-", dir="/tmp") as folder:
        server = start_embedded(Path(folder) / "pgdata")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
def timescale_admin_url() -> str:
    url = os.environ.get("DELTADESK_TEST_TIMESCALE_URL")
    if not url:
        pytest.skip("DELTADESK_TEST_TIMESCALE_URL is not set: no TimescaleDB to test against")
    return url


def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"dd_journal_{uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield conninfo.make_conninfo(admin_url, dbname=name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=[POSTGRES, TIMESCALE])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on plain PostgreSQL, then on TimescaleDB (when configured)."""
    fixture = "postgres_admin_url" if request.param == POSTGRES else "timescale_admin_url"
    yield from fresh_database(request.getfixturevalue(fixture))


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on plain PostgreSQL only."""
    yield from fresh_database(postgres_admin_url)


@pytest.fixture
def timescale_url(timescale_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on TimescaleDB only (skipped without one)."""
    yield from fresh_database(timescale_admin_url)
