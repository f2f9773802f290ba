"""The order path in Debian's Chromium: log in, build an SPX iron condor from the chain, simulate,
confirm, follow it to FILLED in the blotter; the MOC rule, a breach in red, the kill switch.

Execution and market-data are the hand-written fakes of conftest.py on real NATS; the gateway is the
real one. Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from deltadesk.shared.subjects import RISK, RISK_UPDATED

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT_MS = 10_000


def by_id(page: Page, name: str) -> Any:
    return page.get_by_test_id(name)


async def open_trade(page: Page, url: str, password: str) -> None:
    await page.goto(f"{url}/#trade")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await by_id(page, "login-password").fill(password)
    await by_id(page, "login-submit").click()
    await expect(by_id(page, "link-state")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    if not await by_id(page, "order-builder").is_visible():
        await by_id(page, "tab-trade").click()
    await expect(by_id(page, "order-builder")).to_be_visible()


async def pick(page: Page, leg: int, side: str, right: str, strike: str) -> None:
    """Choose a leg's side, then click its strike in the chain."""
    row = by_id(page, "leg-row").nth(leg)
    await row.click()
    await row.get_by_test_id("leg-action").select_option(side)
    cell = page.locator(
        f'[data-testid="chain-row"][data-strike="{strike}"] [data-testid="chain-{right}-bid"]'
    )
    await cell.click()


async def build_iron_condor(page: Page, expiry: str) -> None:
    await by_id(page, "order-underlying").fill("SPX")
    await by_id(page, "order-underlying").press("Enter")
    await expect(by_id(page, "chain-row").first).to_be_visible(timeout=WAIT_MS)
    await by_id(page, "chain-expiry").select_option(expiry)
    await expect(page.locator('[data-testid="chain-row"].atm')).to_have_attribute(
        "data-strike", "6000", timeout=WAIT_MS
    )
    for _ in range(3):
        await by_id(page, "add-leg").click()
    await expect(by_id(page, "leg-row")).to_have_count(4)
    await expect(by_id(page, "add-leg")).to_be_disabled()
    await pick(page, 0, "BUY", "P", "5500")
    await pick(page, 1, "SELL", "P", "5600")
    await pick(page, 2, "SELL", "C", "6400")
    await pick(page, 3, "BUY", "C", "6500")


async def test_an_iron_condor_from_the_chain_is_simulated_confirmed_and_filled(
    gateway: Any, desk: Any, login: Any, book: Any, bus_factory: Any, artifacts: Path, page: Page
) -> None:
    risk_bus = await bus_factory(RISK)
    await risk_bus.publish(RISK_UPDATED, book.risk("PAPER", occurred_at=datetime.now(UTC)), account="PAPER")
    await open_trade(page, gateway.url, login.password)
    expiry = desk.market.expiries[3].isoformat()
    await build_iron_condor(page, expiry)

    # Every leg quoted, the combo priced: a credit.
    for cell in ("leg-bid", "leg-ask", "leg-last"):
        await expect(by_id(page, cell)).not_to_contain_text(["–", "–", "–", "–"], timeout=WAIT_MS)
    await expect(by_id(page, "combo-mid")).to_contain_text(" cr", timeout=WAIT_MS)
    await expect(by_id(page, "combo-quantity")).to_have_text("1")
    await expect(page.locator('[data-testid="chain-row"][data-strike="5600"] td.leg-sell')).to_have_count(4)
    await by_id(page, "combo-mid").click()
    await expect(by_id(page, "order-side")).to_have_value("credit")
    limit = await by_id(page, "order-limit").input_value()
    assert re.fullmatch(r"\d+\.\d{2}", limit), limit
    await by_id(page, "order-rationale").fill("Sell the 30-day wings; VIX 16")
    await page.screenshot(path=artifacts / "order-builder.png", full_page=True)

    await by_id(page, "simulate").click()
    await expect(by_id(page, "simulation")).to_be_visible(timeout=WAIT_MS)
    await expect(by_id(page, "sim-margin")).to_have_text("$191,540")
    await expect(by_id(page, "sim-margin-change")).to_have_text("+$9,140")
    await expect(by_id(page, "sim-commission")).to_have_text("$2.64")
    await expect(by_id(page, "post-delta")).to_have_text("+61.2")
    await expect(by_id(page, "sim-breach")).to_have_count(0)
    await expect(by_id(page, "review-leg")).to_have_count(4)
    await expect(by_id(page, "review-price")).to_have_text(f"{limit} cr")
    submit = by_id(page, "submit")
    await expect(submit).to_have_text("Confirm & Submit — PAPER ORDER")
    await expect(submit).to_be_disabled()  # not before the box is ticked
    await by_id(page, "confirm-checkbox").check()
    await expect(submit).to_be_enabled()
    await page.screenshot(path=artifacts / "order-review.png", full_page=True)

    await submit.click()
    await expect(submit).to_be_disabled()
    await expect(by_id(page, "submitted-state")).to_have_text("FILLED", timeout=WAIT_MS)
    row = by_id(page, "blotter-row").first
    await expect(row.get_by_test_id("blotter-state")).to_have_text("FILLED")
    await expect(row).to_contain_text("SELL 1 SPXW")
    [approval] = desk.execution.approvals
    assert approval.user == "trader"

    # The fill reaches the book: risk publishes the new Greeks and the header follows.
    before = await by_id(page, "spx-delta").text_content()
    await risk_bus.publish(
        RISK_UPDATED, book.risk("PAPER", occurred_at=datetime.now(UTC), es_quantity=2), account="PAPER"
    )
    await page.get_by_test_id("account-select").select_option("PAPER")
    await expect(by_id(page, "spx-delta")).not_to_have_text(before or "", timeout=WAIT_MS)
    await page.screenshot(path=artifacts / "order-filled.png", full_page=True)


async def test_moc_with_options_cannot_be_sent(gateway: Any, desk: Any, login: Any, page: Page) -> None:
    await open_trade(page, gateway.url, login.password)
    await by_id(page, "order-underlying").fill("SPY")
    await by_id(page, "order-underlying").press("Enter")
    await by_id(page, "order-type").select_option("MOC")
    warning = by_id(page, "moc-warning")
    await expect(warning).to_have_text("MOC not supported for options — switch to Limit or Market")
    await expect(by_id(page, "simulate")).to_be_disabled()
    await by_id(page, "leg-row").first.get_by_test_id("leg-instrument").select_option("ETF")
    await expect(warning).to_be_hidden()
    await expect(by_id(page, "leg-row").first.get_by_test_id("leg-front")).to_have_count(0)
    await expect(by_id(page, "simulate")).to_be_enabled()


async def test_a_breach_is_red_and_an_edit_voids_the_review(
    gateway: Any, desk: Any, login: Any, artifacts: Path, page: Page
) -> None:
    desk.execution.post_delta = 341.5
    await open_trade(page, gateway.url, login.password)
    await build_iron_condor(page, desk.market.expiries[3].isoformat())
    await by_id(page, "order-limit").fill("3.10")
    await by_id(page, "simulate").click()
    await expect(by_id(page, "sim-breach")).to_have_count(1, timeout=WAIT_MS)
    await expect(by_id(page, "sim-breach")).to_contain_text("max_portfolio_delta")
    await expect(by_id(page, "post-delta")).to_have_class("breached")
    await expect(by_id(page, "post-gamma")).not_to_have_class("breached")
    await page.screenshot(path=artifacts / "order-breach.png", full_page=True)

    await by_id(page, "confirm-checkbox").check()
    await by_id(page, "order-limit").fill("3.20")  # an edit after the simulation
    await expect(by_id(page, "simulation-error")).to_contain_text("changed after its simulation")
    await expect(by_id(page, "submit")).to_be_disabled()
    assert desk.execution.approvals == []


async def test_a_simulation_failure_is_shown_and_nothing_can_be_sent(
    gateway: Any, desk: Any, login: Any, page: Page
) -> None:
    from deltadesk.shared.errors import BrokerUnavailable

    desk.execution.simulate_fault = BrokerUnavailable("paper venue does not answer")
    await open_trade(page, gateway.url, login.password)
    await build_iron_condor(page, desk.market.expiries[3].isoformat())
    await by_id(page, "order-limit").fill("3.10")
    await by_id(page, "simulate").click()
    await expect(by_id(page, "simulation-error")).to_have_text(
        "Simulation failed: paper venue does not answer", timeout=WAIT_MS
    )
    await expect(by_id(page, "simulation")).to_be_hidden()
    await expect(by_id(page, "submit")).to_be_disabled()


async def test_the_kill_switch_halts_and_releases_with_a_confirmation(
    gateway: Any, desk: Any, login: Any, artifacts: Path, page: Page
) -> None:
    await open_trade(page, gateway.url, login.password)
    state = by_id(page, "trading-state")
    await by_id(page, "kill-switch").click()
    dialog = by_id(page, "kill-switch-dialog")
    await expect(dialog).to_be_visible()
    await by_id(page, "kill-switch-cancel").click()
    await expect(dialog).to_be_hidden()
    assert desk.execution.trading.value == "ACTIVE"

    await by_id(page, "kill-switch").click()
    await by_id(page, "kill-switch-reason").fill("FOMC in 5 minutes")
    await page.screenshot(path=artifacts / "kill-switch-dialog.png")
    await by_id(page, "kill-switch-confirm").click()
    await expect(state).to_have_attribute("data-state", "HALTED", timeout=WAIT_MS)
    await expect(by_id(page, "kill-switch")).to_have_text("Release kill switch")
    await expect(by_id(page, "banner-trading")).to_contain_text("Trading halted — nothing is transmitted")
    await expect(by_id(page, "banner-trading")).to_contain_text("FOMC in 5 minutes (by trader")
    assert desk.execution.trading.value == "HALTED"
    await page.screenshot(path=artifacts / "trading-halted.png")

    await by_id(page, "kill-switch").click()
    await by_id(page, "kill-switch-confirm").click()
    await expect(state).to_have_attribute("data-state", "ACTIVE", timeout=WAIT_MS)
    await expect(by_id(page, "banner-trading")).to_be_hidden()


async def test_a_rejection_is_red_in_the_blotter_and_an_unknown_state_says_what_to_do(
    gateway: Any, desk: Any, login: Any, artifacts: Path, page: Page
) -> None:
    desk.execution.fill = desk.Fill.REJECT
    await open_trade(page, gateway.url, login.password)
    await build_iron_condor(page, desk.market.expiries[3].isoformat())
    await by_id(page, "order-limit").fill("3.10")
    await by_id(page, "simulate").click()
    await by_id(page, "confirm-checkbox").check(timeout=WAIT_MS)
    await by_id(page, "submit").click()
    row = by_id(page, "blotter-row").first
    await expect(row.get_by_test_id("blotter-state")).to_have_text("REJECTED", timeout=WAIT_MS)
    reason = row.get_by_test_id("blotter-reason")
    await expect(reason).to_have_text("BROKER_REJECTED: insufficient buying power for 1 combo")
    assert "rejected" in (await reason.get_attribute("class") or "")
    await expect(by_id(page, "submitted-reason")).to_contain_text("insufficient buying power")

    desk.execution.fill = desk.Fill.UNKNOWN
    await by_id(page, "new-order").click()
    await by_id(page, "order-limit").fill("3.15")
    await by_id(page, "simulate").click()
    await by_id(page, "confirm-checkbox").check(timeout=WAIT_MS)
    await by_id(page, "submit").click()
    await expect(row.get_by_test_id("blotter-state")).to_have_text("UNKNOWN", timeout=WAIT_MS)
    await expect(row.get_by_test_id("blotter-note")).to_have_text(
        "Order status unknown — verify in broker platform"
    )
    await page.screenshot(path=artifacts / "blotter-rejected-unknown.png", full_page=True)


async def test_a_live_account_says_live_order_and_a_working_order_is_cancelled_from_the_blotter(
    gateway: Any, desk: Any, login: Any, artifacts: Path, page: Page
) -> None:
    desk.execution.fill = desk.Fill.WORK
    await open_trade(page, gateway.url, login.password)
    await by_id(page, "order-account").select_option("U1234567")
    await by_id(page, "order-underlying").fill("/ES")
    await by_id(page, "order-underlying").press("Enter")
    leg = by_id(page, "leg-row").first
    await leg.get_by_test_id("leg-instrument").select_option("FUT")
    await expect(leg.get_by_test_id("leg-front")).to_have_text("front month")
    await by_id(page, "order-type").select_option("MKT")
    await expect(by_id(page, "order-limit")).to_be_disabled()
    await expect(page.locator('[data-testid="leg-note"]').first).to_contain_text("/ESM6", timeout=WAIT_MS)
    await expect(leg.get_by_test_id("leg-bid")).to_have_text("6,025.00")
    await by_id(page, "simulate").click()
    submit = by_id(page, "submit")
    await expect(submit).to_have_text("Confirm & Submit — LIVE ORDER", timeout=WAIT_MS)
    await by_id(page, "confirm-checkbox").check()
    await submit.click()
    row = by_id(page, "blotter-row").first
    await expect(row.get_by_test_id("blotter-state")).to_have_text("SUBMITTED", timeout=WAIT_MS)
    await expect(by_id(page, "working-count")).to_have_text("1")
    await page.screenshot(path=artifacts / "blotter-working.png", full_page=True)
    await row.get_by_test_id("blotter-cancel").click()
    await expect(row.get_by_test_id("blotter-state")).to_have_text("CANCELLED", timeout=WAIT_MS)
    await expect(by_id(page, "working-count")).to_be_hidden()


async def test_logging_out_returns_to_the_login_page(
    gateway: Any, desk: Any, login: Any, artifacts: Path, page: Page
) -> None:
    await open_trade(page, gateway.url, login.password)
    await by_id(page, "logout").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto(gateway.url)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await by_id(page, "login-password").fill("not the password")
    await by_id(page, "login-submit").click()
    await expect(by_id(page, "login-message")).to_have_text("Wrong password.")
    await page.screenshot(path=artifacts / "login-wrong-password.png")


async def test_the_tickets_rules_in_the_browser(gateway: Any, page: Page) -> None:
    """The page's order model: signed limit (credit is negative), the MOC rule, four legs, completeness."""
    await page.goto(f"{gateway.url}/login")
    result = await page.evaluate(
        """async () => {
            const { Ticket, MOC_WARNING } = await import("/static/js/trade/ticket.js");
            const t = new Ticket("PAPER");
            const out = { empty: t.request().problem };
            t.underlying = "spx";
            Object.assign(t.legs[0], { action: "SELL", expiry: "2026-12-18", strike: "5600", right: "P" });
            t.limit = "4.20"; t.side = "credit";
            out.credit = t.request().body;
            t.side = "debit"; out.debit = t.request().body.limit_price;
            t.orderType = "MOC"; out.moc = t.request().problem; out.mocIsTheWarning = out.moc === MOC_WARNING;
            t.orderType = "MKT"; out.market = t.request().body.limit_price;
            t.legs[0].strike = "abc"; out.incomplete = t.request().problem;
            t.legs[0].strike = "5600";
            for (let i = 0; i < 5; i++) t.addLeg();
            out.legs = t.legs.length;
            t.legs = t.legs.slice(0, 1);
            t.orderType = "LMT"; t.limit = ""; out.noLimit = t.request().problem;
            return out;
        }"""
    )
    assert result["empty"] == "Enter an underlying."
    assert result["credit"] == {
        "account": "PAPER",
        "legs": [
            {
                "action": "SELL",
                "instrument": "OPT",
                "underlying": "SPX",
                "quantity": 1,
                "expiry": "2026-12-18",
                "strike": "5600",
                "right": "P",
            }
        ],
        "order_type": "LMT",
        "limit_price": "-4.20",
        "tif": "DAY",
        "rationale": "",
    }
    assert result["debit"] == "4.20"
    assert result["mocIsTheWarning"] is True
    assert result["market"] is None
    assert result["incomplete"] == "Leg 1 needs quantity, expiry, strike and right."
    assert result["legs"] == 4
    assert result["noLimit"] == "Enter a limit price."
