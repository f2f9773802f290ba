"""The whole desk (`deltadesk up`: paper venue, market-data, risk, execution, journal, gateway) in
Debian's Chromium: log in, build an SPX iron condor from the paper venue's chain, simulate it, confirm
it, watch it fill in the blotter, and see the book change: its legs among the positions and the
Greeks in the header moving with them.

Nothing is faked: the approval is signed by the gateway with the key `up` made, verified by execution,
and transmitted to the paper venue, which checks the signature again.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from deltadesk.gateway.testing import log_in
from deltadesk.shared.embedded import free_port
from deltadesk.shared.testing import DeskProcess, eventually

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CONFIG = Path(__file__).resolve().parents[4] / "config"
PASSWORD = "desk-order-path-test"
WAIT_MS = 20_000


@pytest.fixture
def desk_url(tmp_path: Path) -> Iterator[str]:
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(CONFIG / "risk_matrix.yaml", config / "risk_matrix.yaml")
    shutil.copy(CONFIG / "beta_config.json", config / "beta_config.json")
    desk = DeskProcess(
        tmp_path / "data",
        free_port(),
        DELTADESK_UI_PASSWORD=PASSWORD,
        DELTADESK_CONFIG_DIR=str(config),
        DELTADESK_BETA_SOURCES="config",
        DELTADESK_PAPER_SEED="7",
        DELTADESK_PAPER_TICK_S="0.25",
        DELTADESK_MD_QUOTES_INTERVAL_S="0.25",
        DELTADESK_MD_POSITIONS_INTERVAL_S="0.5",
    )
    try:
        yield desk.wait_for_url(timeout=120)
    finally:
        code, stderr = desk.interrupt(timeout=60)
        assert code == 0, stderr[-3000:]


def by_id(page: Page, name: str) -> Any:
    return page.get_by_test_id(name)


async def strikes_around_the_money(page: Page) -> tuple[str, str, str, str]:
    """A condor from the chain on screen: shorts about 5 % out of the money, wings 100 points beyond.
    Strikes are returned as the page carries them (its rows' data-strike)."""
    atm = float(await page.locator('[data-testid="chain-row"].atm').get_attribute("data-strike") or "nan")
    raw: list[str] = await page.locator('[data-testid="chain-row"]').evaluate_all(
        "rows => rows.map(r => r.dataset.strike)"
    )

    def nearest(target: float) -> str:
        return min(raw, key=lambda s: abs(float(s) - target))

    return nearest(atm * 0.95 - 100), nearest(atm * 0.95), nearest(atm * 1.05), nearest(atm * 1.05 + 100)


async def pick(page: Page, leg: int, side: str, right: str, strike: str) -> None:
    row = by_id(page, "leg-row").nth(leg)
    await row.click()
    await row.get_by_test_id("leg-action").select_option(side)
    cell = page.locator(
        f'[data-testid="chain-row"][data-strike="{strike}"] [data-testid="chain-{right}-bid"]'
    )
    await cell.scroll_into_view_if_needed()
    await cell.click()


async def test_an_spx_iron_condor_goes_from_the_chain_to_a_fill_and_into_the_book(
    desk_url: str, page: Page, artifacts: Path
) -> None:
    await page.goto(f"{desk_url}/?account=PAPER#trade")
    await by_id(page, "login-password").fill(PASSWORD)
    await by_id(page, "login-submit").click()
    await expect(by_id(page, "link-state")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    await expect(by_id(page, "spx-delta")).to_have_text(re.compile(r"\d"), timeout=60_000)
    await by_id(
        page, "tab-trade"
    ).click()  # a URL's #fragment never reaches the server: not kept by the login
    await expect(by_id(page, "order-builder")).to_be_visible()
    await expect(by_id(page, "order-account")).to_have_value("PAPER")
    theta_before = await by_id(page, "theta").text_content()

    await by_id(page, "order-underlying").fill("SPX")
    await by_id(page, "order-underlying").press("Enter")
    expiry = by_id(page, "chain-expiry")
    await expect(expiry.locator("option").first).to_be_attached(timeout=WAIT_MS)
    listed = await expiry.locator("option").evaluate_all("options => options.map(o => o.value)")
    month_out = next(iso for iso in listed if (date.fromisoformat(iso) - date.today()).days >= 25)
    await expiry.select_option(month_out)
    await expect(page.locator('[data-testid="chain-row"].atm')).to_have_count(1, timeout=WAIT_MS)
    long_put, short_put, short_call, long_call = await strikes_around_the_money(page)

    for _ in range(3):
        await by_id(page, "add-leg").click()
    await pick(page, 0, "BUY", "P", long_put)
    await pick(page, 1, "SELL", "P", short_put)
    await pick(page, 2, "SELL", "C", short_call)
    await pick(page, 3, "BUY", "C", long_call)
    await expect(by_id(page, "combo-natural")).to_contain_text(" cr", timeout=WAIT_MS)
    await by_id(page, "combo-natural").click()  # marketable: the venue fills a credit asked at natural
    await by_id(page, "order-rationale").fill("End-to-end: sell a month-out SPX condor on the paper desk")
    await page.screenshot(path=artifacts / "desk-order-builder.png", full_page=True)

    await by_id(page, "simulate").click()
    await expect(by_id(page, "simulation")).to_be_visible(timeout=WAIT_MS)
    await expect(by_id(page, "sim-margin")).to_have_text(re.compile(r"^\$[\d,]+$"))
    await expect(by_id(page, "post-delta")).to_have_text(re.compile(r"\d"))
    submit = by_id(page, "submit")
    await expect(submit).to_have_text("Confirm & Submit — PAPER ORDER")
    await by_id(page, "confirm-checkbox").check()
    await page.screenshot(path=artifacts / "desk-order-review.png", full_page=True)
    await submit.click()
    await expect(submit).to_be_disabled()

    row = by_id(page, "blotter-row").first
    await expect(row.get_by_test_id("blotter-state")).to_have_text("FILLED", timeout=30_000)
    await page.screenshot(path=artifacts / "desk-order-filled.png", full_page=True)

    # The fill reaches the book: the legs are positions, and risk's Greeks moved with them.
    async with httpx.AsyncClient(base_url=desk_url, trust_env=False, timeout=10) as client:
        await log_in(client, PASSWORD)
        orders = (await client.get("/api/orders", params={"account": "PAPER"})).json()["orders"]
        filled = next(o for o in orders if o["state"] == "FILLED")
        symbols = {leg["contract"]["symbol"] for leg in filled["order"]["legs"]}

        async def in_the_book() -> bool:
            portfolio = (await client.get("/api/portfolio", params={"account": "PAPER"})).json()
            return symbols <= {p["symbol"] for p in portfolio.get("positions", [])}

        await eventually(in_the_book, timeout=30, what="the condor's legs among the positions")
    await by_id(page, "tab-risk").click()
    for symbol in symbols:
        await expect(page.locator(f'[data-testid="position-row"][data-symbol="{symbol}"]')).to_have_count(1)
    await expect(by_id(page, "theta")).not_to_have_text(theta_before or "", timeout=WAIT_MS)
    await page.screenshot(path=artifacts / "desk-order-in-the-book.png", full_page=True)
