"""The page's Journal and History tabs and the snapshot state in its top bar, as create_app serves
them around a DeskState the test fills (no server, no bus); and plotly.js, served from its wheel."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from deltadesk.gateway.app import create_app
from deltadesk.gateway.assets import plotly_folder, plotly_style_guards
from deltadesk.gateway.security import CONTENT_SECURITY_POLICY
from deltadesk.gateway.state import DeskState
from deltadesk.shared.events import SnapshotTaken


@dataclass
class FixedClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def client_for(login: Any) -> Callable[..., TestClient]:
    def build(state: DeskState, now: datetime, *, logged_in: bool = True) -> TestClient:
        client = TestClient(create_app(state, access=login.access(FixedClock(now))))
        if logged_in:
            login.log_in_sync(client, login.password)
        return client

    return build


def taken(account: str, at: datetime, error: str | None = None) -> SnapshotTaken:
    return SnapshotTaken(event_id=uuid4(), occurred_at=at, account=account, ok=error is None, error=error)


def snapshot_state(html: str) -> tuple[str, str, str]:
    """(data-state, title, text) of the top bar's snapshot state."""
    match = re.search(
        r'<div class="snapshot-state" data-testid="snapshot-state"\s+data-state="([^"]*)"\s+title="([^"]*)">'
        r'.*?data-testid="snapshot-text">(.*?)</span>',
        html,
        re.S,
    )
    assert match is not None, html
    text = re.sub(r"<[^>]+>", "", match.group(3))
    return match.group(1), unescape(match.group(2)), " ".join(text.split())


# ── the top bar ─────────────────────────────────────────────────────────────────────────────────
def test_the_top_bar_shows_when_the_account_was_last_snapshotted(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk("total"))
    state.apply_snapshot(taken("total", book.now - timedelta(minutes=4, seconds=3)))
    state, title, text = snapshot_state(client_for(state, book.now).get("/").text)
    assert (state, text) == ("ok", "Last snapshot: 14:25:57")
    assert "2026-03-18T14:25:57+00:00" in title


def test_a_failed_run_is_a_logger_error_with_the_error_as_tooltip(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_snapshot(taken("total", book.now - timedelta(minutes=15)))
    state.apply_snapshot(taken("total", book.now, error="snapshot not stored: OperationalError"))
    html = client_for(state, book.now).get("/").text
    assert snapshot_state(html) == ("error", "snapshot not stored: OperationalError", "Snapshot logger error")


def test_the_snapshot_shown_is_the_selected_accounts(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_snapshot(taken("PAPER", book.now, error="no fresh risk or balances"))
    client = client_for(state, book.now)
    assert snapshot_state(client.get("/").text)[0] == "none"  # total has not been reported
    assert snapshot_state(client.get("/", params={"account": "PAPER"}).text)[0] == "error"


def test_an_older_run_never_replaces_a_newer_one(book: Any) -> None:
    state = DeskState()
    newer = taken("total", book.now)
    assert state.apply_snapshot(newer)
    assert not state.apply_snapshot(taken("total", book.now - timedelta(minutes=15), error="late"))
    assert not state.apply_snapshot(newer)
    assert state.snapshots["total"] == newer


async def test_a_new_stream_client_gets_every_accounts_last_run(book: Any) -> None:
    state = DeskState()
    runs = [taken("PAPER", book.now), taken("total", book.now, error="no account has reported yet")]
    for run in runs:
        state.apply_snapshot(run)
    mailbox = state.open_mailbox()
    delivered = [await mailbox.get(1.0) for _ in runs]
    assert delivered == runs


# ── the tabs ────────────────────────────────────────────────────────────────────────────────────
def test_the_page_has_journal_and_history_tabs_with_their_panels(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk("total"))
    state.apply_status(book.status("PAPER", reason="paper venue does not answer"))
    html = client_for(state, book.now).get("/").text
    for name in ("journal", "history"):
        assert f'data-testid="tab-{name}"' in html
        assert re.search(
            rf'<section class="panel {name}-panel" id="panel-{name}" data-panel="{name}" hidden>', html
        )
    filters = re.findall(r'data-testid="filter-(\w+)"', html)
    assert filters == [
        "start",
        "end",
        "account",
        "underlying",
        "strategy",
        "regime",
        "status",
        "apply",
        "clear",
    ]
    assert re.search(r'<option value="PAPER">PAPER</option>', html)  # the account filter knows the accounts
    assert re.findall(r'data-testid="range-(\w+)"', html) == ["1D", "1W", "1M", "All", "custom"]
    for testid in ("chart-value", "chart-theta-delta", "chart-sebastian", "export-csv", "export-layout"):
        assert f'data-testid="{testid}"' in html


def test_the_page_holds_plotlys_style_guards_and_its_rule_sheet(book: Any, client_for: Any) -> None:
    html = client_for(DeskState(), book.now).get("/").text
    guards = plotly_style_guards()
    assert guards, "plotly.min.js no longer guards its injected stylesheets: check the page's CSP"
    for guard in guards:
        assert f'<span id="{guard}"></span>' in html
    assert '<link rel="stylesheet" id="plotly.js-style-global" href="/static/css/plotly-rules.css">' in html


def test_the_content_security_policy_allows_no_eval_and_no_inline_code_or_style(
    book: Any, client_for: Any
) -> None:
    answer = client_for(DeskState(), book.now).get("/")
    policy = answer.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy


# ── plotly.js from its wheel ────────────────────────────────────────────────────────────────────
def test_plotly_is_served_from_the_installed_wheel_without_a_login(book: Any, client_for: Any) -> None:
    client = client_for(DeskState(), book.now, logged_in=False)
    answer = client.get("/static/vendor/plotly.min.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.content == (plotly_folder() / "plotly.min.js").read_bytes()
    assert answer.content.startswith(b"/**\n* plotly.js v")
    again = client.get("/static/vendor/plotly.min.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["widgetbundle.js", "templates/plotly.json", "../__init__.py", "nothing.js"])
def test_nothing_else_of_the_wheel_is_served(book: Any, client_for: Any, path: str) -> None:
    client = client_for(DeskState(), book.now, logged_in=False)
    assert client.get(f"/static/vendor/{path}").status_code == 404


def test_the_pages_own_static_files_are_still_served(book: Any, client_for: Any) -> None:
    client = client_for(DeskState(), book.now, logged_in=False)
    for path in (
        "/static/js/panels/journal.js",
        "/static/js/panels/history.js",
        "/static/css/plotly-rules.css",
    ):
        assert client.get(path).status_code == 200, path


# ── without a bus ───────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("path", ["/api/journal", "/api/journal/export.csv", "/api/history"])
def test_a_gateway_off_the_bus_answers_503(book: Any, client_for: Any, path: str) -> None:
    answer = client_for(DeskState(), book.now).get(path)
    assert answer.status_code == 503
    assert answer.json() == {
        "code": "peer_unavailable",
        "reason": "the gateway is not connected to the bus: the journal is unavailable",
    }
