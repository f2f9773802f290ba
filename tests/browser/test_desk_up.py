"""The trader's first look: `deltadesk up` on a fresh data folder, then the page in Debian's Chromium."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deltadesk.shared.embedded import free_port
from deltadesk.shared.testing import DeskProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "desk-up-test-password"
NUMBER = re.compile(r"^[+-−]?\d[\d,]*\.\d$")


@pytest.fixture
def desk_url(tmp_path: Path) -> Iterator[str]:
    """The desk with a beta config that does not know KO, so its row must carry the badge."""
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(CONFIG / "risk_matrix.yaml", config / "risk_matrix.yaml")
    betas = json.loads((CONFIG / "beta_config.json").read_text())
    betas.pop("KO")
    (config / "beta_config.json").write_text(json.dumps(betas))
    desk = DeskProcess(
        tmp_path / "data",
        free_port(),
        DELTADESK_CONFIG_DIR=str(config),
        DELTADESK_BETA_SOURCES="config",
        DELTADESK_PAPER_SEED="5",
        DELTADESK_PAPER_TIME_SCALE="120",
        DELTADESK_PAPER_TICK_S="0.25",
        DELTADESK_MD_QUOTES_INTERVAL_S="0.25",
        DELTADESK_UI_PASSWORD=PASSWORD,
    )
    try:
        yield desk.wait_for_url()
    finally:
        code, stderr = desk.interrupt()
        assert code == 0, stderr[-2000:]


async def test_the_page_shows_a_live_spx_delta_positions_and_the_beta_badge(
    desk_url: str, page: Any, artifacts: Path
) -> None:
    await page.goto(desk_url)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    headline = page.get_by_test_id("spx-delta")
    await page.wait_for_function(
        "() => /\\d/.test(document.querySelector('[data-testid=spx-delta]').textContent)", timeout=30_000
    )
    first = (await headline.text_content()).strip()
    assert NUMBER.match(first), first

    await page.wait_for_function(
        "(first) => document.querySelector('[data-testid=spx-delta]').textContent.trim() !== first",
        arg=first,
        timeout=30_000,
    )
    second = (await headline.text_content()).strip()
    assert NUMBER.match(second), second

    rows = page.get_by_test_id("position-row")
    assert await rows.count() >= 13
    ko = rows.filter(has_text="KO")
    assert await ko.count() == 1
    assert await ko.get_by_test_id("beta-unavailable").is_visible()
    assert "Beta Unavailable" in (await ko.get_by_test_id("beta-unavailable").text_content())
    assert await page.get_by_test_id("beta-unavailable").count() == 1, "only KO lacks a beta"
    for symbol in ("SPY", "AAPL", "NVDA", "/ESZ6", "/MESZ6"):
        assert await rows.filter(has_text=symbol).count() >= 1, symbol
    await page.screenshot(path=str(artifacts / "desk-up.png"), full_page=True)
