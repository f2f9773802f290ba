"""The page in Debian's Chromium, against the running gateway, fed by risk and market-data on real NATS.

Screenshots go to test-artifacts/ for a person to look at; the assertions are on the page's DOM.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from deltadesk.gateway.domain import figures
from deltadesk.shared.events import BrokerState
from deltadesk.shared.subjects import MARKET_DATA, MD_BROKER_STATUS, RISK, RISK_UPDATED

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT_MS = 10_000


def _now() -> datetime:
    # The browser judges staleness by its own clock, so live tests publish with the real time.
    return datetime.now(UTC)


def by_id(page: Page, name: str) -> Any:
    return page.get_by_test_id(name)


async def log_in(page: Page, url: str, password: str) -> None:
    """Open `url`; the gateway sends an unknown browser to its login page first."""
    await page.goto(url)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await by_id(page, "login-password").fill(password)
    await by_id(page, "login-submit").click()
    await expect(page).not_to_have_url(re.compile("/login"))


async def _open(page: Page, url: str, password: str) -> None:
    await log_in(page, url, password)
    await expect(by_id(page, "link-state")).to_have_attribute("data-state", "live", timeout=WAIT_MS)


async def test_the_page_follows_live_risk_updates(
    page: Page, gateway: Any, bus_factory: Any, book: Any, artifacts: Path, login: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    await risk_bus.publish(RISK_UPDATED, book.risk("total", occurred_at=_now()), account="total")
    await _open(page, gateway.url, login.password)

    delta = by_id(page, "spx-delta")
    await expect(delta).to_have_text("+65.9", timeout=WAIT_MS)
    await expect(by_id(page, "position-row")).to_have_count(13)
    ko = page.locator('[data-testid="position-row"][data-symbol="KO 261218P65"]')
    await expect(ko.get_by_test_id("beta-unavailable")).to_have_text("⚠ Beta Unavailable")
    await expect(page.get_by_test_id("beta-unavailable")).to_have_count(1)
    await expect(by_id(page, "underlying-row")).to_have_count(7)
    await page.screenshot(path=artifacts / "gateway-dashboard.png", full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.screenshot(path=artifacts / "gateway-dashboard-laptop.png", full_page=True)

    # Two more /ES contracts: +2 × 50 × 6025.25 / 6000 = +100.4 SPX deltas.
    await risk_bus.publish(
        RISK_UPDATED, book.risk("total", occurred_at=_now(), es_quantity=3), account="total"
    )
    await expect(delta).to_have_text("+166.3", timeout=WAIT_MS)
    await expect(page).to_have_title("+166.3 Δ · total · deltadesk")
    es = page.locator('[data-testid="position-row"][data-symbol="/ESZ6"]')
    await expect(es.get_by_test_id("position-spx-delta")).to_have_text("+150.6")


async def test_halted_breach_and_broker_down_banners_come_and_go_live(
    page: Page, gateway: Any, bus_factory: Any, book: Any, artifacts: Path, login: Any
) -> None:
    risk_bus, md_bus = await bus_factory(RISK), await bus_factory(MARKET_DATA)
    await risk_bus.publish(RISK_UPDATED, book.risk("total", occurred_at=_now()), account="total")
    await _open(page, gateway.url, login.password)
    await expect(by_id(page, "spx-delta")).to_have_text("+65.9", timeout=WAIT_MS)
    await expect(by_id(page, "banner-breach")).to_have_count(0)

    breached = book.risk("total", occurred_at=_now(), es_quantity=3, breaches=(book.breach(166.3, _now()),))
    await risk_bus.publish(RISK_UPDATED, breached, account="total")
    breach = by_id(page, "banner-breach")
    await expect(breach).to_contain_text("Limit breached: max_portfolio_delta", timeout=WAIT_MS)
    await expect(breach).to_contain_text("threshold 50.00, actual 166.30")
    await md_bus.publish(
        MD_BROKER_STATUS,
        book.status("PAPER", reason="paper venue does not answer", occurred_at=_now()),
        account="PAPER",
    )
    await expect(by_id(page, "banner-broker-down")).to_contain_text(
        "paper venue does not answer", timeout=WAIT_MS
    )
    await page.screenshot(path=artifacts / "gateway-breach-broker-down.png", full_page=True)

    halted = book.risk("total", occurred_at=_now(), halted="SPX quote missing from every feed")
    await risk_bus.publish(RISK_UPDATED, halted, account="total")
    banner = by_id(page, "banner-halted")
    await expect(banner).to_contain_text("SPX price unavailable", timeout=WAIT_MS)
    await expect(banner).to_contain_text("SPX quote missing from every feed")
    await expect(by_id(page, "spx-delta")).to_have_text("—")
    await expect(by_id(page, "theta")).to_have_text("—")
    spx_cells = await by_id(page, "position-spx-delta").all_inner_texts()
    assert set(spx_cells) == {"—"}  # no stale per-position number either
    await expect(by_id(page, "banner-breach")).to_have_count(0)  # the halted update carries no breach
    await page.screenshot(path=artifacts / "gateway-halted.png", full_page=True)

    await risk_bus.publish(RISK_UPDATED, book.risk("total", occurred_at=_now()), account="total")
    await md_bus.publish(
        MD_BROKER_STATUS, book.status("PAPER", state=BrokerState.UP, occurred_at=_now()), account="PAPER"
    )
    await expect(by_id(page, "spx-delta")).to_have_text("+65.9", timeout=WAIT_MS)
    await expect(by_id(page, "banner-halted")).to_have_count(0)
    await expect(by_id(page, "banner-broker-down")).to_have_count(0, timeout=WAIT_MS)


async def test_an_old_update_is_flagged_stale_in_the_browser(
    page: Page, gateway: Any, bus_factory: Any, book: Any, artifacts: Path, login: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    old = book.risk("total", occurred_at=_now() - timedelta(minutes=3))
    await risk_bus.publish(RISK_UPDATED, old, account="total")
    await _open(page, gateway.url, login.password)
    await expect(by_id(page, "banner-stale")).to_contain_text("No risk update for total for 3 min")
    await expect(by_id(page, "headline")).to_have_class("headline stale")
    await expect(by_id(page, "headline-note")).to_contain_text("STALE")
    await page.screenshot(path=artifacts / "gateway-stale.png")
    await risk_bus.publish(RISK_UPDATED, book.risk("total", occurred_at=_now()), account="total")
    await expect(by_id(page, "banner-stale")).to_have_count(0, timeout=WAIT_MS)


async def test_switching_account_shows_that_accounts_risk(
    page: Page, gateway: Any, bus_factory: Any, book: Any, login: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    await risk_bus.publish(
        RISK_UPDATED, book.risk("total", occurred_at=_now(), accounts=("PAPER", "U222")), account="total"
    )
    await risk_bus.publish(
        RISK_UPDATED, book.risk("PAPER", occurred_at=_now(), es_quantity=-1), account="PAPER"
    )
    await _open(page, gateway.url, login.password)
    select = by_id(page, "account-select")
    await expect(select.locator("option")).to_have_text(["total", "PAPER", "U222"])
    await select.select_option("PAPER")
    await expect(by_id(page, "spx-delta")).to_have_text("-34.6")  # 65.9 − 2 × 50.2
    await expect(by_id(page, "headline-account")).to_have_text("PAPER")
    assert page.url.endswith("?account=PAPER")
    await select.select_option("U222")
    await expect(by_id(page, "spx-delta")).to_have_text("—")
    await expect(by_id(page, "headline-note")).to_have_text("Waiting for risk to publish U222…")


async def test_the_connection_banner_shows_when_the_stream_drops(
    page: Page, start_gateway: Any, bus_factory: Any, book: Any, artifacts: Path, login: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    await risk_bus.publish(RISK_UPDATED, book.risk("total", occurred_at=_now()), account="total")
    async with start_gateway() as gateway:
        await _open(page, gateway.url, login.password)
        await expect(by_id(page, "banner-connection")).to_be_hidden()
        gateway.stop.set()
        await expect(by_id(page, "banner-connection")).to_be_visible(timeout=WAIT_MS)
        await expect(by_id(page, "link-state")).to_have_attribute("data-state", "lost")
        await page.screenshot(path=artifacts / "gateway-connection-lost.png")


async def test_the_browser_formats_numbers_exactly_as_the_server_does(page: Page, gateway: Any) -> None:
    values = [
        0.0,
        -0.04,
        0.05,
        0.25,
        -0.25,
        1.15,
        -1.005,
        65.8652,
        -34.555,
        1234.56,
        -98765.4321,
        1e-9,
        123456789.95,
    ]
    await page.goto(gateway.url)
    rendered = await page.evaluate(
        """async (values) => {
            const f = await import("/static/js/format.js");
            return values.map((v) => [
                f.signed(v), f.signed(v, 2), f.signed(v, 0), f.fixed(v, 2), f.fixed(v, 3), f.money(v),
            ]);
        }""",
        values,
    )
    expected = [
        [
            figures.signed(v),
            figures.signed(v, 2),
            figures.signed(v, 0),
            figures.fixed(v, 2),
            figures.fixed(v, 3),
            figures.money(v),
        ]
        for v in values
    ]
    assert rendered == expected
