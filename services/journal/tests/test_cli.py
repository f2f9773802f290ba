"""`deltadesk journal migrate` and `seed-history`, and `deltadesk up`'s embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from deltadesk.journal.embedded import forget_dead_holders, postgres_dir, prepare
from deltadesk.shared.cli import main
from deltadesk.shared.settings import DeskSettings

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture
def desk_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str) -> str:
    for name in ("DELTADESK_NATS_URL", "DELTADESK_SNAPSHOT_INTERVAL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DELTADESK_DATABASE_URL", postgres_url)
    monkeypatch.setenv("DELTADESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DELTADESK_CONFIG_DIR", str(CONFIG))
    return postgres_url


def test_migrate_applies_then_finds_nothing_to_do(desk_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journal", "migrate"]) == 0
    assert capsys.readouterr().out == "applied migrations: 1\n"
    assert main(["journal", "migrate"]) == 0
    assert capsys.readouterr().out == "the journal is up to date\n"


def test_seed_history_writes_paper_snapshots_once(desk_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["journal", "seed-history", "--days", "2", "--until", "2026-11-24T15:00:00Z", "--seed", "5"]
    assert main(args) == 0
    assert capsys.readouterr().out == "seeded 192 paper snapshots for PAPER\n"
    assert main([*args, "--account", "total"]) == 0
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "seeded 0 paper snapshots for PAPER"
    with psycopg.connect(desk_env) as conn:
        rows = conn.execute(
            "SELECT account, count(*), bool_and(paper), min(source), max(source) "
            "FROM journal_snapshots GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert rows == [("PAPER", 192, True, "seed", "seed"), ("total", 192, True, "seed", "seed")]


@pytest.mark.parametrize(
    "args",
    [
        ["--days", "0"],
        ["--days", "3", "--until", "2026-11-24T15:00:00"],
        ["--days", "3", "--until", "yesterday"],
        ["--days", "3", "--start-cash", "-5"],
        ["--days", "3", "--account", "a.b"],
    ],
)
def test_seed_history_refuses_bad_arguments(
    desk_env: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "seed-history", *args]) == 2
    assert capsys.readouterr().err.startswith("deltadesk journal: ")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder outside pytest's own temporary folder: pytest makes that one private (0700)
    whenever a session starts, which would lock out the `pgserver` user PostgreSQL runs as."""
    with tempfile.TemporaryDirectory(prefix="dd-journal-up-", dir="/tmp") as folder:
        yield Path(folder)


def test_up_starts_an_embedded_postgresql_whose_data_survives_a_restart(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DELTADESK_DATABASE_URL", raising=False)
    settings = DeskSettings(data_dir=data_dir / "desk")
    with contextlib.ExitStack() as stack:
        prepared = prepare(settings, stack)
        url = prepared.overrides["database_url"]
        assert "host=" in url
        assert str(postgres_dir(settings.data_dir).resolve()) in url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
    with pytest.raises(psycopg.OperationalError):  # stopped on exit
        psycopg.connect(url, connect_timeout=2)
    with contextlib.ExitStack() as stack:
        again = prepare(settings, stack)
        with psycopg.connect(again.overrides["database_url"]) as conn:
            assert conn.execute("SELECT note FROM kept").fetchall() == [("still here",)]


def test_up_with_a_database_url_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTADESK_DATABASE_URL", "postgresql://journal@db.example/journal")
    with contextlib.ExitStack() as stack:
        prepared = prepare(DeskSettings(data_dir=tmp_path), stack)
    assert prepared.overrides == {}
    assert not postgres_dir(tmp_path).exists()


def test_holders_that_died_are_forgotten(tmp_path: Path) -> None:
    (tmp_path / ".handle_pids.json").write_text(json.dumps([1, 999_999_999]))
    assert forget_dead_holders(tmp_path) == [999_999_999]
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [1]
    assert forget_dead_holders(tmp_path / "missing") == []
