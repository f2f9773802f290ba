"""Fixtures for every member's tests: a real NATS server (embedded unless DELTADESK_TEST_NATS_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deltadesk.shared.bus import Bus
from deltadesk.shared.testing import nats_test_server


@pytest.fixture
def nats_url() -> Iterator[str]:
    with nats_test_server() as url:
        yield url


@pytest.fixture
async def bus_factory(nats_url: str) -> AsyncIterator[Callable[[str], object]]:
    """`await bus_factory("risk")` connects a Bus acting as that service; all are closed after."""
    opened: list[Bus] = []

    async def connect(service: str) -> Bus:
        bus = await Bus.connect(nats_url, service)
        opened.append(bus)
        return bus

    yield connect
    for bus in opened:
        await bus.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


# ── browser ─────────────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="session")
def artifacts(pytestconfig: pytest.Config) -> Path:
    path = pytestconfig.rootpath / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1600, "height": 1000}, timezone_id="UTC")
    page = await context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # A dropped /api/stream is logged by Chromium as a failed load; that is a scenario, not a bug.
        if message.type == "error" and "/api/stream" not in (message.location or {}).get("url", ""):
            errors.append(message.text)

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    try:
        yield page
    finally:
        await context.close()
    # A page that threw is a failing page, even when the assertions above happened to pass.
    assert not errors, errors
