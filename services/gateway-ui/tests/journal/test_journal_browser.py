"""The Journal and History tabs in Debian's Chromium, against the running gateway and the real
journal service on real NATS and PostgreSQL.

Fills reach the journal as execution publishes them (EXEC_FILL); history is written through the
journal's own storage, the way its snapshot logger and `seed-history` write it. Screenshots go to
test-artifacts/ for a person to look at; the assertions are on the page's DOM and Plotly's figures.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from deltadesk.journal.adapters.market_config import load_market_config
from deltadesk.journal.domain.export import EXECUTION_COLUMNS, FULL_COLUMNS
from deltadesk.journal.domain.snapshots import RiskState, Snapshot, slot_at_or_before, theta_delta_ratio
from deltadesk.journal.seeding import seed_history
from deltadesk.journal.testing import (
    balances_reported,
    future,
    greeks,
    leg,
    make_fill,
    make_order,
    option,
    order_event,
    risk_update,
)
from deltadesk.shared.events import FillReceived
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, OrderState
from deltadesk.shared.subjects import (
    EXEC_FILL,
    EXEC_ORDER,
    EXECUTION,
    MARKET_DATA,
    MD_BALANCES,
    RISK,
    RISK_UPDATED,
)
from deltadesk.shared.testing import eventually

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT_MS = 15_000
CONFIG = Path(__file__).resolve().parents[4] / "config"
INTERVAL_S = 900


def by_id(page: Page, name: str) -> Any:
    return page.get_by_test_id(name)


async def log_in(page: Page, url: str, password: str, path: str = "/") -> None:
    await page.goto(f"{url}{path}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await by_id(page, "login-password").fill(password)
    await by_id(page, "login-submit").click()
    await expect(by_id(page, "link-state")).to_have_attribute("data-state", "live", timeout=WAIT_MS)


async def watch_csp(page: Page) -> None:
    """Record every Content-Security-Policy violation, from before the first script runs."""
    await page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push("
        "`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"
    )


# ── the journal ─────────────────────────────────────────────────────────────────────────────────
@dataclass
class Desk:
    url: str
    fills: list[FillReceived]
    days: list[datetime]  # the fills' days, oldest first


@pytest.fixture
async def journal_desk(start_real_journal: Any, start_gateway: Any) -> AsyncIterator[Desk]:
    """Six fills over four days: SPY short puts, an SPX put credit spread, an /ES future, a QQQ
    strangle; two accounts, two regimes; every one with its context."""
    today = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=n) for n in (4, 3, 2, 1)]
    spy_put = leg(Action.SELL, 1, option("SPY", Right.PUT, 550))
    plan = [
        ((spy_put,), days[0], "PAPER", "normal", ("1.25",), 'Sold "support", 10% of BP'),
        (
            (
                leg(Action.SELL, 2, option("SPX", Right.PUT, 5800, root="SPXW")),
                leg(Action.BUY, 2, option("SPX", Right.PUT, 5750, root="SPXW")),
            ),
            days[1],
            "PAPER",
            "normal",
            ("12.50", "9.00"),
            "Put spread under the 50-day, VIX 17",
        ),
        ((spy_put,), days[1] + timedelta(hours=2), "PAPER", "elevated", ("2.10",), "Rolled lower"),
        ((leg(Action.BUY, 1, future("/ES")),), days[2], "PAPER", "normal", ("6025.25",), "Delta hedge"),
        (
            (
                leg(Action.SELL, 1, option("QQQ", Right.PUT, 480)),
                leg(Action.SELL, 1, option("QQQ", Right.CALL, 560)),
            ),
            days[3],
            "U1234567",
            "elevated",
            ("3.10", "2.40"),
            "Strangle after the spike",
        ),
        ((spy_put,), days[3] + timedelta(hours=1), "U1234567", "normal", ("1.40",), "Add on weakness"),
    ]
    async with start_real_journal(datetime.now(UTC)) as journal, start_gateway() as gateway:
        fills = []
        for n, (legs, at, account, regime, prices, rationale) in enumerate(plan):
            order = make_order(*legs, account=account, created_at=at, rationale=rationale)
            fill = make_fill(order, filled_at=at, regime=regime, prices=prices, broker_order_id=f"P-{n:05d}")
            await journal.publish(fill)
            fills.append(fill)
        await eventually(lambda: _has(journal, len(plan)), timeout=20, what="every fill journaled")
        yield Desk(gateway.url, fills, days)


async def _has(journal: Any, count: int) -> bool:
    return bool(await journal.total() == count)


async def shown_ids(page: Page) -> list[str]:
    ids: list[str] = await by_id(page, "journal-row").evaluate_all("rows => rows.map(r => r.dataset.entryId)")
    return ids


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


async def download(page: Page) -> tuple[str, list[list[str]]]:
    async with page.expect_download() as info:
        await by_id(page, "export-csv").click()
    got = await info.value
    path = await got.path()
    return got.suggested_filename, csv_rows(Path(path))


async def test_the_journal_filters_narrow_the_table_and_the_export_holds_exactly_what_it_shows(
    page: Page, journal_desk: Desk, login: Any, artifacts: Path
) -> None:
    await log_in(page, journal_desk.url, login.password)
    await by_id(page, "tab-journal").click()
    rows = by_id(page, "journal-row")
    await expect(rows).to_have_count(6, timeout=WAIT_MS)
    await expect(by_id(page, "journal-count")).to_have_text("6")
    await expect(rows.first.get_by_test_id("journal-underlying")).to_have_text("SPY")  # newest first
    await expect(by_id(page, "journal-strategy")).to_have_text(
        ["short put", "short strangle", "future", "short put", "put credit spread", "short put"]
    )
    await page.screenshot(path=artifacts / "journal.png", full_page=True)

    await by_id(page, "filter-underlying").fill("spy")
    await by_id(page, "filter-underlying").press("Enter")
    await expect(rows).to_have_count(3)
    await expect(by_id(page, "journal-underlying")).to_have_text(["SPY", "SPY", "SPY"])
    await by_id(page, "filter-regime").fill("elevated")
    await by_id(page, "filter-regime").press("Enter")
    await expect(rows).to_have_count(1)
    await expect(by_id(page, "journal-regime")).to_have_text(["elevated"])
    await by_id(page, "filter-clear").click()
    await expect(rows).to_have_count(6)

    await by_id(page, "filter-strategy").fill("Put Credit Spread")
    await by_id(page, "filter-strategy").press("Enter")
    await expect(by_id(page, "journal-strategy")).to_have_text(["put credit spread"])
    await by_id(page, "filter-clear").click()
    await by_id(page, "filter-account").select_option("U1234567")
    await expect(rows).to_have_count(2)
    await by_id(page, "filter-account").select_option("")
    await by_id(page, "filter-status").select_option("FILLED")
    await expect(rows).to_have_count(6)

    # Two days, both included: the fills of days[1] (two) and days[2] (one).
    await by_id(page, "filter-start").fill(journal_desk.days[1].date().isoformat())
    await by_id(page, "filter-end").fill(journal_desk.days[2].date().isoformat())
    await expect(rows).to_have_count(3)
    filtered = await shown_ids(page)

    name, full = await download(page)
    assert re.fullmatch(r"deltadesk-journal-\d{8}-\d{6}\.csv", name), name
    assert full[0] == list(FULL_COLUMNS)
    assert [row[FULL_COLUMNS.index("entry_id")] for row in full[1:]] == filtered
    assert {row[FULL_COLUMNS.index("underlying")] for row in full[1:]} == {"SPY", "SPX", "/ES"}

    await by_id(page, "export-layout").select_option("executions")
    name, executions = await download(page)
    assert name.startswith("deltadesk-journal-executions-")
    assert executions[0] == list(EXECUTION_COLUMNS)
    # The put spread (two legs), the SPY roll and the /ES hedge: four leg executions.
    assert sorted((row[3], row[4], row[5]) for row in executions[1:]) == [
        ("BUY", "1", "6025.25"),
        ("BUY", "2", "9.00"),
        ("SELL", "1", "2.10"),
        ("SELL", "2", "12.50"),
    ]
    await expect(by_id(page, "journal-error")).to_be_hidden()


async def test_a_journal_entry_opens_to_its_legs_greeks_context_and_ids(
    page: Page, journal_desk: Desk, login: Any, artifacts: Path
) -> None:
    await log_in(page, journal_desk.url, login.password)
    await by_id(page, "tab-journal").click()
    spread = journal_desk.fills[1]
    row = page.locator(f'[data-testid="journal-row"][data-order-id="{spread.order_id}"]')
    await expect(row).to_have_count(1, timeout=WAIT_MS)
    await expect(row.get_by_test_id("journal-net")).to_have_text("$700.00 cr")  # 2 × (12.50 − 9.00) × 100
    await expect(by_id(page, "journal-detail")).to_be_hidden()
    await row.click()
    detail = by_id(page, "journal-detail")
    await expect(detail).to_be_visible()
    await expect(by_id(page, "detail-title")).to_contain_text("SPX put credit spread · FILLED")
    legs = by_id(page, "detail-leg")
    await expect(legs).to_have_count(2)
    await expect(legs.nth(0)).to_contain_text("SELL")
    await expect(legs.nth(0)).to_contain_text("SPXW")
    await expect(by_id(page, "detail-leg-price")).to_have_text(["12.50", "9.00"])
    await expect(by_id(page, "detail-net")).to_have_text("$700.00 cr")
    await expect(by_id(page, "detail-net-price")).to_have_text("3.50 cr")
    await expect(by_id(page, "detail-commission")).to_have_text("$2.60")
    await expect(by_id(page, "detail-vix")).to_have_text("17.50")
    await expect(by_id(page, "detail-spx")).to_have_text("6,010.25")
    await expect(by_id(page, "detail-regime")).to_have_text("normal")
    delta = page.locator('[data-testid="detail-greek"][data-greek="spx_delta"]')
    await expect(delta.get_by_test_id("detail-pre")).to_have_text("-42.5")
    await expect(delta.get_by_test_id("detail-post")).to_have_text("-12.3")  # -12.25, half away from zero
    theta = page.locator('[data-testid="detail-greek"][data-greek="theta"]')
    await expect(theta.get_by_test_id("detail-pre")).to_have_text("+120")
    await expect(theta.get_by_test_id("detail-post")).to_have_text("+180")
    await expect(by_id(page, "detail-rationale")).to_have_text("Put spread under the 50-day, VIX 17")
    await expect(by_id(page, "detail-ai-rationale")).to_have_text("Hedge the delta, keep the theta.")
    await expect(by_id(page, "detail-broker-order-id")).to_have_text(spread.broker_order_id)
    await expect(by_id(page, "detail-fill-id")).to_have_text(spread.fill_id)
    await expect(by_id(page, "detail-order-id")).to_have_text(str(spread.order_id))
    await page.screenshot(path=artifacts / "journal-detail.png", full_page=True)
    await by_id(page, "detail-close").click()
    await expect(detail).to_be_hidden()


async def test_the_open_journal_shows_a_new_fill_once_the_order_has_filled(
    page: Page, journal_desk: Desk, login: Any, bus_factory: Any
) -> None:
    await log_in(page, journal_desk.url, login.password)
    await by_id(page, "tab-journal").click()
    rows = by_id(page, "journal-row")
    await expect(rows).to_have_count(6, timeout=WAIT_MS)
    at = datetime.now(UTC)
    order = make_order(leg(Action.SELL, 1, option("IWM", Right.PUT, 200)), created_at=at, rationale="New")
    fill = make_fill(order, filled_at=at, prices=("0.85",), broker_order_id="P-NEW")
    execution = await bus_factory(EXECUTION)
    # As execution reports it: the fill on the stream, then the order's FILLED state the page follows.
    await execution.publish(EXEC_FILL, fill, account=order.account, order_id=str(order.order_id))
    filled = order_event(order, OrderState.FILLED, at, previous=OrderState.SUBMITTED, broker_order_id="P-NEW")
    await execution.publish(EXEC_ORDER, filled, account=order.account, order_id=str(order.order_id))
    await expect(rows).to_have_count(7, timeout=WAIT_MS)
    await expect(rows.first.get_by_test_id("journal-underlying")).to_have_text("IWM")


async def test_the_date_filters_are_the_traders_own_days(
    browser: Any, start_gateway: Any, fake_journal: Any, login: Any
) -> None:
    """A trader in New York picks days: the journal is asked from their midnight to the midnight
    after the last day, in UTC, whatever the server's zone."""
    context = await browser.new_context(timezone_id="America/New_York")
    page = await context.new_page()
    try:
        async with start_gateway() as gateway:
            await log_in(page, gateway.url, login.password)
            await by_id(page, "tab-journal").click()
            await expect(by_id(page, "journal-body")).to_contain_text("No journal entries", timeout=WAIT_MS)
            await by_id(page, "filter-start").fill("2026-03-02")
            await by_id(page, "filter-end").fill("2026-03-13")  # across the switch to daylight time
            query = await eventually(
                lambda: next((q for q in reversed(fake_journal.queries) if q.end is not None), None),
                what="the journal asked with both dates",
            )
            assert query.start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # EST midnight
            assert query.end == datetime(2026, 3, 14, 4, 0, tzinfo=UTC)  # EDT midnight after the 13th
    finally:
        await context.close()


# ── history ─────────────────────────────────────────────────────────────────────────────────────
@dataclass
class History:
    url: str
    now: datetime
    zero_delta: tuple[datetime, datetime]  # delta 0 there: Θ/Δ undefined
    logger_down: tuple[datetime, datetime]  # no snapshots there


def crafted(now: datetime) -> tuple[list[Snapshot], History]:
    """Two days of 15-minute paper snapshots up to `now`: a logger outage of ten hours, then six
    hours with delta exactly 0; the Sebastian ratio swinging through every zone once a day."""
    last = slot_at_or_before(now, INTERVAL_S)
    first = last - timedelta(days=2)
    down = (last - timedelta(hours=30), last - timedelta(hours=20))
    flat = (last - timedelta(hours=12), last - timedelta(hours=6))
    snapshots = []
    at = first
    n = 0
    while at <= last:
        n += 1
        if not down[0] <= at < down[1]:
            delta = 0.0 if flat[0] <= at < flat[1] else 60.0 + 25.0 * math.sin(n / 9)
            vega = -900.0
            theta = abs(vega) * (0.1 + 0.5 * ((n % 96) / 96))  # Sebastian 0.10 … 0.60
            snapshots.append(
                Snapshot(
                    account="PAPER",
                    captured_at=at,
                    broker="paper",
                    net_liquidation=Decimal("250000") + Decimal(n * 37),
                    cash=Decimal("120000"),
                    spx_delta=delta,
                    gamma=-3.5,
                    theta=theta,
                    vega=vega,
                    theta_delta_ratio=theta_delta_ratio(theta, delta),
                    vix=17.0,
                    spx_price=6000.0,
                    regime="normal",
                    risk_state=RiskState.OK,
                    paper=True,
                )
            )
        at += timedelta(seconds=INTERVAL_S)
    return snapshots, History("", now, flat, down)


@pytest.fixture
async def history_desk(start_real_journal: Any, start_gateway: Any) -> AsyncIterator[History]:
    """The last two days crafted, and the 28 days before them seeded by seed-history (paper data)."""
    now = datetime.now(UTC)
    snapshots, history = crafted(now)
    async with start_real_journal(now) as journal, start_gateway() as gateway:
        async with journal.store() as store:
            await store.insert_snapshots(snapshots)
            seeded = await seed_history(
                store,
                "PAPER",
                days=30,
                until=now,
                interval_s=INTERVAL_S,
                market=load_market_config(CONFIG),
                seed=7,
                start_cash=Decimal("250000"),
            )
        assert seeded > 2000  # 28 days of 15-minute snapshots
        yield History(gateway.url, now, history.zero_delta, history.logger_down)


async def rendered(page: Page, account: str, span: str) -> dict[str, str]:
    """The history root's data once the charts of this account and range are drawn."""
    root = by_id(page, "history")
    await expect(root).to_have_attribute(
        "data-rendered", re.compile(rf"^{account}\|{span}\|"), timeout=WAIT_MS
    )
    data: dict[str, str] = await root.evaluate("node => ({...node.dataset})")
    return data


async def figure(page: Page, testid: str) -> dict[str, Any]:
    found: dict[str, Any] = await by_id(page, testid).evaluate(
        "gd => ({data: gd.data.map(t => ({x: t.x, y: t.y, name: t.name, yaxis: t.yaxis || 'y',"
        " connectgaps: t.connectgaps})), layout: {title: gd.layout.title.text, xrange: gd.layout.xaxis.range,"
        " shapes: (gd.layout.shapes || []).map(s => ({name: s.name, y0: s.y0, y1: s.y1, fill: s.fillcolor})),"
        " annotations: (gd.layout.annotations || []).map(a => a.text)},"
        " lines: [...gd.querySelectorAll('.scatterlayer .js-line')].map(p => (p.getAttribute('d') || '')"
        ".split('M').length - 1), svg: gd.querySelectorAll('.main-svg').length})"
    )
    return found


def segments(values: list[float | None]) -> int:
    """How many unbroken runs of values a line through these points has."""
    runs, inside = 0, False
    for value in values:
        if value is not None and not inside:
            runs += 1
        inside = value is not None
    return runs


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_history_charts_draw_the_seeded_account_with_its_gaps_band_and_ranges(
    page: Page, history_desk: History, login: Any, artifacts: Path
) -> None:
    await watch_csp(page)
    await log_in(page, history_desk.url, login.password, "/?account=PAPER")
    await by_id(page, "tab-history").click()
    week = await rendered(page, "PAPER", "1W")
    await expect(by_id(page, "history-paper")).to_be_visible()
    await expect(by_id(page, "history-paper-note")).to_be_visible()
    assert week["paper"] == "true"

    value = await figure(page, "chart-value")
    assert value["svg"] >= 1
    assert value["layout"]["title"] == "Account value (net liquidation) vs SPX delta — PAPER DATA"
    assert "PAPER DATA" in value["layout"]["annotations"]
    assert [(t["name"], t["yaxis"]) for t in value["data"]] == [("Net liquidation", "y"), ("SPX Δ", "y2")]
    start, end = (instant(x) for x in value["layout"]["xrange"])
    assert end - start == timedelta(weeks=1)
    await page.screenshot(path=artifacts / "history-1w.png", full_page=True)

    # Θ/Δ: undefined while delta was 0 and while the logger was down: nulls, and a broken line.
    ratio = await figure(page, "chart-theta-delta")
    [trace] = ratio["data"]
    assert trace["connectgaps"] is False
    points = list(zip(trace["x"], trace["y"], strict=True))
    flat = [y for x, y in points if history_desk.zero_delta[0] <= instant(x) < history_desk.zero_delta[1]]
    assert flat
    assert set(flat) == {None}
    assert all(y is None or math.isfinite(y) for _, y in points)
    # The line breaks at every null: before the outage, between it and the flat stretch, after it.
    assert sum(ratio["lines"]) == segments(trace["y"]) == 3

    seb = await figure(page, "chart-sebastian")
    zones = {s["name"]: (s["y0"], s["y1"]) for s in seb["layout"]["shapes"]}
    assert zones["red-low"] == (0, 0.2)
    assert zones["green"] == (0.25, 0.4)
    assert zones["red-high"][0] == 0.5
    values = [y for y in seb["data"][0]["y"] if y is not None]
    assert min(values) < 0.2 < 0.5 < max(values)  # the ratio crosses every zone
    assert await by_id(page, "chart-sebastian").locator(".shapelayer path").count() == 3

    # The range buttons change the plotted window.
    await by_id(page, "range-1D").click()
    day = await rendered(page, "PAPER", "1D")
    start, end = (instant(x) for x in (await figure(page, "chart-value"))["layout"]["xrange"])
    day_ratio = await figure(page, "chart-theta-delta")
    assert sum(day_ratio["lines"]) == segments(day_ratio["data"][0]["y"]) == 2  # the flat stretch only
    assert end - start == timedelta(days=1)
    assert instant(day["first"]) >= start
    assert instant(day["last"]) <= end
    await expect(by_id(page, "range-1D")).to_have_attribute("aria-pressed", "true")
    await expect(by_id(page, "range-1W")).to_have_attribute("aria-pressed", "false")

    await by_id(page, "range-1M").click()
    month = await rendered(page, "PAPER", "1M")
    assert instant(month["last"]) - instant(month["first"]) > timedelta(days=25)
    assert int(month["bucketSeconds"]) > int(day["bucketSeconds"])

    await by_id(page, "range-All").click()
    everything = await rendered(page, "PAPER", "All")
    assert history_desk.now - instant(everything["first"]) >= timedelta(days=29)
    await page.screenshot(path=artifacts / "history-all.png", full_page=True)

    # A custom range: the two days before the crafted ones, all seeded.
    first_day = (history_desk.now - timedelta(days=5)).date()
    await by_id(page, "history-start").fill(first_day.isoformat())
    await by_id(page, "history-end").fill((first_day + timedelta(days=1)).isoformat())
    await by_id(page, "range-custom").click()
    custom = await rendered(page, "PAPER", "custom")
    await expect(by_id(page, "range-custom")).to_have_attribute("aria-pressed", "true")
    await expect(by_id(page, "range-All")).to_have_attribute("aria-pressed", "false")
    start, end = (instant(x) for x in (await figure(page, "chart-value"))["layout"]["xrange"])
    assert (start.date(), end - start) == (first_day, timedelta(days=2))
    assert start <= instant(custom["first"])
    assert instant(custom["last"]) <= end  # the journal includes both ends of a window
    await page.screenshot(path=artifacts / "history-custom.png", full_page=True)
    assert await page.evaluate("window.cspViolations") == []


async def test_history_of_an_account_without_snapshots_says_so(
    page: Page, history_desk: History, login: Any
) -> None:
    await log_in(page, history_desk.url, login.password, "/?account=U1234567")
    await by_id(page, "tab-history").click()
    data = await rendered(page, "U1234567", "1W")
    assert data["points"] == "0"
    await expect(by_id(page, "history-note")).to_have_text("No snapshots for U1234567 in this range.")
    await expect(by_id(page, "history-paper")).to_be_hidden()


# ── the snapshot logger in the top bar ──────────────────────────────────────────────────────────
async def test_the_top_bar_follows_the_snapshot_loggers_runs(
    page: Page, start_real_journal: Any, start_gateway: Any, bus_factory: Any, login: Any, artifacts: Path
) -> None:
    async with start_real_journal(datetime.now(UTC)) as journal, start_gateway() as gateway:
        await log_in(page, gateway.url, login.password)
        state = by_id(page, "snapshot-state")
        await expect(by_id(page, "snapshot-text")).to_have_text("Last snapshot: —")

        # A run with nothing to snapshot: the logger reports the error for `total`.
        slot = await eventually(lambda: journal.ticker.waiting, what="the logger waiting for its slot")
        journal.ticker.set(slot)
        await expect(by_id(page, "snapshot-text")).to_have_text("Snapshot logger error", timeout=WAIT_MS)
        await expect(state).to_have_attribute("title", "no account has reported risk or balances yet")
        await page.screenshot(path=artifacts / "snapshot-logger-error.png")

        # Risk and balances arrive; the next run stores the snapshot and the bar shows its time.
        following = await eventually(
            lambda: journal.ticker.waiting if journal.ticker.waiting != slot else None,
            what="the logger waiting for the next slot",
        )
        risk, md = await bus_factory(RISK), await bus_factory(MARKET_DATA)
        await md.publish(MD_BALANCES, balances_reported("PAPER", following), account="PAPER")
        total = risk_update("total", following, greeks(-40.0), accounts=("PAPER",))
        await risk.publish(RISK_UPDATED, total, account="total")
        journal.ticker.set(following)
        await expect(by_id(page, "snapshot-text")).to_have_text(
            f"Last snapshot: {following:%H:%M:%S}", timeout=WAIT_MS
        )
        await expect(state).to_have_attribute("data-state", "ok")
