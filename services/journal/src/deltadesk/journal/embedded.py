"""The embedded PostgreSQL of a desk with no database configured: the `pgserver` wheel, its data
under `<data dir>/postgres`, so the journal survives a restart of `deltadesk up`.

pgserver talks over a Unix socket in the data folder (its URL has no TCP port). Several processes
may hold the same server (`deltadesk up` and a `deltadesk journal …` command): pgserver counts them
and the last one out stops it. A holder that was killed never says it left, so the dead are
forgotten before a new holder joins; otherwise the server would never be stopped again.

As root, pgserver runs PostgreSQL as a `pgserver` system user and makes every parent folder of the
data folder world-traversable: keep the data folder in the project or under /tmp, never in /root.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deltadesk.journal.settings import JournalSettings
from deltadesk.shared.embedded import EmbeddedServerError, pid_alive
from deltadesk.shared.service import Prepared
from deltadesk.shared.settings import DeskSettings

logger = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"


def postgres_dir(data_dir: Path) -> Path:
    return data_dir / "postgres"


def start_embedded(pgdata: Path) -> Any:
    """Start (or join) the embedded server of `pgdata`; returns pgserver's handle."""
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import PostgresServer, get_server
    except ImportError as exc:  # pragma: no cover - pgserver is a dependency of this member
        raise EmbeddedServerError("the pgserver wheel is not installed") from exc
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:  # pgserver's own lock over its holders' list
        forget_dead_holders(pgdata)
    try:
        return get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # pgserver raises CalledProcessError, TimeoutExpired, AssertionError
        raise EmbeddedServerError(f"the embedded PostgreSQL in {pgdata} did not start: {exc}") from exc


def forget_dead_holders(pgdata: Path) -> list[int]:
    """Drop processes that no longer exist from pgserver's list of holders; return the dropped."""
    path = pgdata / HANDLES_FILE
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(pids, list):
        return []
    alive = [pid for pid in pids if isinstance(pid, int) and pid_alive(pid)]
    dead = [pid for pid in pids if pid not in alive]
    if dead:
        path.write_text(json.dumps(alive))
        logger.info("forgot dead holders of the embedded database", extra={"pids": dead})
    return dead


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """The URL of the desk's embedded PostgreSQL for the length of the block (started if needed;
    stopped after unless another process still holds it)."""
    server = start_embedded(postgres_dir(data_dir))
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextlib.contextmanager
def database_url(settings: JournalSettings) -> Iterator[str]:
    """The configured database, else the embedded one under the data folder."""
    if settings.database_url is not None and settings.database_url.get_secret_value():
        yield settings.database_url.get_secret_value()
        return
    with embedded_database(settings.data_dir) as url:
        yield url


def prepare(settings: DeskSettings, stack: contextlib.ExitStack) -> Prepared:
    """`deltadesk up`: with no DELTADESK_DATABASE_URL, an embedded PostgreSQL for the journal."""
    journal = JournalSettings(data_dir=settings.data_dir)
    if journal.database_url is not None and journal.database_url.get_secret_value():
        return Prepared()
    url = stack.enter_context(embedded_database(settings.data_dir))
    where = postgres_dir(settings.data_dir)
    return Prepared(overrides={"database_url": url}, notes=[f"journal: embedded PostgreSQL in {where}"])
