"""The page and the JSON API, built by create_app around a DeskState the test fills: no server, no bus."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from deltadesk.gateway.app import create_app
from deltadesk.gateway.domain.blotter import entry_from_view
from deltadesk.gateway.state import DeskState
from deltadesk.shared.events import BrokerState, TradingState, TradingStateChanged
from deltadesk.shared.orders import OrderState


@dataclass
class FixedClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


class PageIds(HTMLParser):
    """The text and attributes of every element carrying a data-testid, in document order."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: dict[str, list[str]] = defaultdict(list)
        self.attrs: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        self._open: list[tuple[str, str | None, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        testid = found.get("data-testid")
        if testid:
            self.attrs[testid].append(found)
        if tag not in self.VOID:
            self._open.append((tag, testid, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, testid, parts = self._open.pop()
            if testid:
                self.text[testid].append(" ".join("".join(parts).split()))
            if self._open:
                self._open[-1][2].extend(parts)
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def one(self, testid: str) -> str:
        [text] = self.text[testid]
        return text


@pytest.fixture
def client_for(login: Any) -> Callable[..., TestClient]:
    """A logged-in client of an app built around `state`, its clock fixed at `now`."""

    def build(state: DeskState, now: datetime, **kw: Any) -> TestClient:
        client = TestClient(create_app(state, access=login.access(FixedClock(now)), **kw))
        login.log_in_sync(client, login.password)
        return client

    return build


@pytest.fixture
def state(book: Any) -> DeskState:
    state = DeskState()
    state.apply_risk(book.risk("total"))
    return state


def test_page_shows_the_portfolio_spx_delta_and_greeks_without_javascript(
    state: DeskState, book: Any, client_for: Any
) -> None:
    page = client_for(state, book.now).get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    ids = PageIds(page.text)
    assert "Portfolio SPX Equivalent Delta" in page.text
    assert ids.one("spx-delta") == "+65.9"  # the demo book: Σ Δ·Q·M·β·P/SPX, worked by hand
    assert float(ids.attrs["spx-delta"][0]["data-value"] or "nan") == state.risks["total"].greeks.spx_delta  # type: ignore[union-attr]
    assert (ids.one("gamma"), ids.one("theta"), ids.one("vega")) == ("-18.58", "+210", "-1,093")
    assert (ids.one("vix"), ids.one("regime"), ids.one("spx-price")) == ("16.42", "normal", "6,000.00")
    assert ids.one("net-liquidation") == "$1,284,512"
    assert ids.one("updated-at") == "14:30:00 UTC"
    assert ids.text["banner-halted"] == []


def test_page_lists_every_position_and_flags_only_the_unavailable_beta(
    state: DeskState, book: Any, client_for: Any
) -> None:
    ids = PageIds(client_for(state, book.now).get("/").text)
    rows = ids.attrs["position-row"]
    assert len(rows) == len(book.legs()) == 13
    [badge] = ids.text["beta-unavailable"]
    assert badge == "⚠ Beta Unavailable"
    assert [r["data-symbol"] for r in rows if "beta-missing" in (r["class"] or "")] == ["KO 261218P65"]
    assert ids.text["beta-source"][0] == "economic"
    spx_deltas = ids.text["position-spx-delta"]
    assert spx_deltas[rows.index(next(r for r in rows if r["data-symbol"] == "/ESZ6"))] == "+50.2"


def test_the_beta_method_is_the_beta_cells_tooltip(state: DeskState, book: Any, client_for: Any) -> None:
    html = client_for(state, book.now).get("/").text
    assert 'title="regression of 1y daily returns against SPX"' in html


def test_an_excluded_position_is_marked_with_its_reason_and_no_numbers(book: Any, client_for: Any) -> None:
    legs = [
        *book.legs(),
        book.Leg(
            "XYZ",
            "XYZ 2026-12-18 10 P",
            "XYZ",
            "OPT",
            -1,
            100,
            "0.50",
            -0.2,
            10.0,
            book.KO_BETA,
            excluded_reason="no underlying price",
        ),
    ]
    state = DeskState()
    state.apply_risk(book.risk(legs=legs, warnings=("XYZ 2026-12-18 10 P excluded: no underlying price",)))
    ids = PageIds(client_for(state, book.now).get("/").text)
    assert ids.one("excluded-badge") == "Excluded: no underlying price"
    assert ids.text["position-spx-delta"][-1] == "—"
    assert ids.text["warnings"] == ["XYZ 2026-12-18 10 P excluded: no underlying price"]


def test_the_per_underlying_breakdown_is_risks_own(state: DeskState, book: Any, client_for: Any) -> None:
    ids = PageIds(client_for(state, book.now).get("/").text)
    underlyings = [a["data-underlying"] for a in ids.attrs["underlying-row"]]
    assert underlyings == ["SPX", "SPY", "AAPL", "NVDA", "KO", "/ES", "/MES"]


def test_a_halted_update_shows_the_banner_with_its_reason_and_no_stale_number(
    book: Any, client_for: Any
) -> None:
    state = DeskState()
    state.apply_risk(book.risk(halted="SPX quote missing from every feed"))
    ids = PageIds(client_for(state, book.now).get("/").text)
    assert ids.one("spx-delta") == "—"
    assert "data-value" not in ids.attrs["spx-delta"][0]
    banner = ids.one("banner-halted")
    assert banner.startswith("SPX price unavailable")
    assert "SPX quote missing from every feed" in banner
    assert set(ids.text["position-spx-delta"]) == {"—"}
    assert (ids.one("gamma"), ids.one("theta"), ids.one("vega")) == ("—", "—", "—")


def test_greeks_on_a_halted_update_are_never_shown_as_current(book: Any, client_for: Any) -> None:
    halted = book.risk(halted="SPX quote is 95 s old").model_copy(update={"greeks": book.risk().greeks})
    state = DeskState()
    state.apply_risk(halted)
    client = client_for(state, book.now)
    assert PageIds(client.get("/").text).one("spx-delta") == "—"
    assert client.get("/api/portfolio").json()["greeks"] is None


def test_an_update_older_than_the_threshold_is_shown_as_stale(
    state: DeskState, book: Any, client_for: Any
) -> None:
    ids = PageIds(client_for(state, book.now + timedelta(seconds=90), stale_after_s=30).get("/").text)
    assert "90 s" in ids.one("banner-stale")
    assert ids.one("headline-note").startswith("STALE")


def test_each_breach_and_each_down_broker_gets_a_banner(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk(breaches=(book.breach(66.9),)))
    state.apply_status(book.status("PAPER", reason="paper venue does not answer"))
    state.apply_status(book.status("U222", state=BrokerState.UP))
    ids = PageIds(client_for(state, book.now).get("/").text)
    breach = ids.one("banner-breach")
    assert "max_portfolio_delta" in breach
    assert "threshold 50.00" in breach
    assert "actual 66.90" in breach
    assert ids.attrs["banner-breach"][0]["data-limit"] == "max_portfolio_delta"
    [down] = ids.text["banner-broker-down"]
    assert down.startswith("Broker down: PAPER")
    assert "paper venue does not answer" in down


def test_the_account_selector_lists_total_then_each_account_seen(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk("total", accounts=("PAPER", "U222")))
    state.apply_status(book.status("5WX"))
    html = client_for(state, book.now).get("/", params={"account": "PAPER"}).text
    picker = re.search(r'<select id="account".*?</select>', html, re.S)
    assert picker is not None
    options = re.findall(r'<option value="([^"]+)"( selected)?>', picker.group(0))
    assert options == [("total", ""), ("5WX", ""), ("PAPER", " selected"), ("U222", "")]


def test_an_account_without_risk_yet_renders_a_waiting_page(
    state: DeskState, book: Any, client_for: Any
) -> None:
    page = client_for(state, book.now).get("/", params={"account": "PAPER"})
    assert page.status_code == 200
    ids = PageIds(page.text)
    assert ids.one("spx-delta") == "—"
    assert "Waiting for risk to publish PAPER" in ids.one("headline-note")


def test_the_page_embeds_its_state_for_the_script_without_letting_text_escape(
    book: Any, client_for: Any
) -> None:
    state = DeskState()
    hostile = "</script><script>alert(1)</script>"
    state.apply_risk(book.risk(warnings=(hostile,)))
    html = client_for(state, book.now).get("/").text
    assert hostile not in html
    embedded = re.search(r'<script type="application/json" id="desk-state">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1))["risks"]["total"]["warnings"] == [hostile]


def test_a_page_for_an_invalid_account_is_refused_with_a_reason(
    state: DeskState, book: Any, client_for: Any
) -> None:
    answer = client_for(state, book.now).get("/", params={"account": "a.b"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_account"


def test_the_page_may_not_be_framed_nor_run_foreign_code(
    state: DeskState, book: Any, client_for: Any
) -> None:
    headers = client_for(state, book.now).get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_static_modules_are_served_from_the_package_and_revalidated(
    state: DeskState, book: Any, client_for: Any
) -> None:
    client = client_for(state, book.now)
    script = client.get("/static/js/main.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"
    html = client.get("/").text
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(path).status_code == 200, path


# ── JSON API ────────────────────────────────────────────────────────────────────────────────────
def test_portfolio_returns_risks_numbers_untouched(state: DeskState, book: Any, client_for: Any) -> None:
    answer = client_for(state, book.now + timedelta(seconds=3)).get("/api/portfolio")
    assert answer.status_code == 200
    body = answer.json()
    risk = state.risks["total"]
    assert body["account"] == "total"
    assert body["status"] == "ok"
    assert body["greeks"]["spx_delta"] == risk.greeks.spx_delta  # type: ignore[union-attr]
    assert len(body["positions"]) == 13
    ko = next(p for p in body["positions"] if p["underlying"] == "KO")
    assert ko["beta"]["unavailable"] is True
    assert body["net_liquidation"] == "1284512.37"
    assert (body["age_s"], body["stale"]) == (3.0, False)
    assert body["accounts"] == ["PAPER"]


def test_portfolio_of_a_halted_account_has_no_greeks_and_the_reason(book: Any, client_for: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk("PAPER", halted="SPX price unavailable"))
    body = client_for(state, book.now).get("/api/portfolio", params={"account": "PAPER"}).json()
    assert (body["status"], body["greeks"], body["halt_reason"]) == ("halted", None, "SPX price unavailable")


@pytest.mark.parametrize(
    ("account", "status", "code"),
    [
        ("PAPER", 404, "no_risk_yet"),
        ("U999", 404, "unknown_account"),
        ("a.b", 422, "invalid_account"),
        ("", 422, "invalid_account"),
        ("x" * 65, 422, "invalid_request"),
    ],
)
def test_portfolio_refusals_say_why(
    state: DeskState, book: Any, account: str, status: int, code: str, client_for: Any
) -> None:
    state.apply_status(book.status("PAPER"))
    answer = client_for(state, book.now).get("/api/portfolio", params={"account": account})
    assert answer.status_code == status
    body = answer.json()
    assert body["code"] == code
    assert body["reason"]


def test_health_answers_ok_with_what_the_gateway_knows(state: DeskState, book: Any, client_for: Any) -> None:
    answer = client_for(state, book.now).get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "service": "gateway",
        "accounts": ["total", "PAPER"],
        "accounts_with_risk": 1,
        "stream_clients": 0,
    }


def test_an_unknown_path_is_a_json_404(state: DeskState, book: Any, client_for: Any) -> None:
    answer = client_for(state, book.now).get("/api/nothing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_openapi_documents_the_endpoints_with_their_models(
    state: DeskState, book: Any, client_for: Any
) -> None:
    spec = client_for(state, book.now).get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/portfolio", "/api/health", "/api/stream"} <= set(paths)
    assert "/" not in paths
    portfolio = paths["/api/portfolio"]["get"]
    assert portfolio["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Portfolio"
    }
    for status in ("404", "422"):
        assert portfolio["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    assert portfolio["parameters"][0]["name"] == "account"
    health = paths["/api/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert health == {"$ref": "#/components/schemas/Health"}
    assert "text/event-stream" in paths["/api/stream"]["get"]["responses"]["200"]["content"]


def test_a_halted_desk_says_so_in_the_top_bar_and_a_banner(
    state: DeskState, book: Any, client_for: Any
) -> None:
    halted = TradingStateChanged(
        event_id=uuid4(), occurred_at=book.now, state=TradingState.HALTED, reason="FOMC", changed_by="trader"
    )
    state.apply_trading(halted)
    ids = PageIds(client_for(state, book.now).get("/").text)
    assert ids.one("trading-state-value") == "HALTED"
    assert ids.one("kill-switch") == "Release kill switch"
    [banner] = ids.attrs["banner-trading"]
    assert "hidden" not in banner
    assert ids.one("banner-trading-detail") == "FOMC"


def test_without_a_trading_state_the_banner_stays_hidden(
    state: DeskState, book: Any, client_for: Any
) -> None:
    ids = PageIds(client_for(state, book.now).get("/").text)
    assert ids.one("trading-state-value") == "—"
    assert "hidden" in ids.attrs["banner-trading"][0]


def test_the_blotter_is_rendered_with_the_page_drafts_left_out(
    state: DeskState, book: Any, tickets: Any, client_for: Any
) -> None:
    order = tickets.resolve(tickets.iron_condor())
    draft = tickets.resolve(tickets.iron_condor(quantity=2))
    state.apply_order(entry_from_view(tickets.view(order, OrderState.REJECTED, code="X", reason="no margin")))
    state.apply_order(entry_from_view(tickets.view(draft, OrderState.DRAFT)))
    page = client_for(state, book.now).get("/").text
    ids = PageIds(page)
    assert [row["data-order-id"] for row in ids.attrs["blotter-row"]] == [str(order.order_id)]
    assert ids.text["blotter-state"] == ["REJECTED"]
    assert ids.text["blotter-detail"] == ["no margin"]
    embedded = re.search(r'<script type="application/json" id="desk-state">(.*?)</script>', page, re.S)
    assert embedded is not None
    assert {o["order_id"] for o in json.loads(embedded.group(1))["orders"]} == {
        str(order.order_id),
        str(draft.order_id),
    }
