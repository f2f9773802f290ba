"""The whole read side on real NATS: paper venue → market-data → risk → gateway → Server-Sent Events.

Each service runs its real `run(settings, stop)`; the only thing swapped is configuration.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from deltadesk.gateway.service import run as run_gateway
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.gateway.testing import log_in
from deltadesk.market_data.service import run as run_market_data
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.risk.service import run as run_risk
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.embedded import free_port
from deltadesk.shared.events import DeadLettered
from deltadesk.shared.subjects import DLQ
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "pipeline-test-password"


async def sse_events(client: httpx.AsyncClient, url: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async with client.stream("GET", url, timeout=httpx.Timeout(30, read=30)) as response:
        assert response.status_code == 200
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                yield event, json.loads(line.split(":", 1)[1])


@pytest.fixture
async def desk(nats_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """The four read-side services running against one NATS; yields the gateway's base URL."""
    port = free_port()
    common: dict[str, Any] = {"nats_url": nats_url, "data_dir": tmp_path, "config_dir": CONFIG}
    stop = asyncio.Event()
    runners: list[Callable[[], Awaitable[None]]] = [
        lambda: run_venue(
            PaperVenueSettings(**common, paper_seed=11, paper_tick_s=0.2, paper_time_scale=60), stop
        ),
        lambda: run_market_data(
            MarketDataSettings(**common, md_quotes_interval_s=0.2, md_positions_interval_s=0.4), stop
        ),
        lambda: run_risk(RiskSettings(**common, beta_sources=("config",)), stop),
        lambda: run_gateway(
            GatewaySettings(**common, gateway_port=port, ui_password=SecretStr(PASSWORD)), stop
        ),
    ]
    tasks = [asyncio.create_task(r()) for r in runners]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=20)
        for task in pending:
            task.cancel()
        assert not pending, "a service did not stop within 20 s of being asked"
        for task in done:
            assert task.exception() is None, task.exception()


async def risk_events(base: str, account: str, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as client:
        await eventually(lambda: _healthy(client, base), what="gateway health")
        await log_in(client, PASSWORD, base)
        async for kind, data in sse_events(client, f"{base}/api/stream"):
            if kind == "risk" and data.get("account") == account and data.get("status") == "ok":
                found.append(data)
                if len(found) == count:
                    return found
    return found


async def _healthy(client: httpx.AsyncClient, base: str) -> bool:
    try:
        return (await client.get(f"{base}/api/health")).status_code == 200
    except httpx.TransportError:
        return False


async def test_paper_positions_become_a_live_spx_delta_in_the_browser_stream(desk: str) -> None:
    events = await asyncio.wait_for(risk_events(desk, "PAPER", 4), 30)
    latest = events[-1]
    greeks = latest["greeks"]
    assert isinstance(greeks["spx_delta"], float)
    assert -150 < greeks["spx_delta"] < 150
    assert greeks["theta"] > 0, "the demo book is a premium seller's"
    assert latest["spx_price"] > 0
    assert latest["regime"] in {"low", "normal", "elevated", "crisis"}
    symbols = {p["underlying"] for p in latest["positions"]}
    assert {"SPX", "SPY", "AAPL", "NVDA", "KO", "/ES", "/MES"} <= symbols
    assert len({e["greeks"]["spx_delta"] for e in events}) > 1, "the number moves with the market"
    async with httpx.AsyncClient() as client:
        await log_in(client, PASSWORD, desk)
        portfolio = (await client.get(f"{desk}/api/portfolio", params={"account": "total"})).json()
    assert portfolio["accounts"] == ["PAPER"]


async def test_a_malformed_message_is_dead_lettered_while_the_rest_flows(
    desk: str, bus_factory: Callable[[str], Awaitable[Bus]]
) -> None:
    await asyncio.wait_for(risk_events(desk, "PAPER", 1), 30)
    intruder = await bus_factory("cli")
    await intruder.nc.publish("dd.md.positions.PAPER", b'{"account": "PAPER", "positions": "lots"}')
    dlq = await intruder.js.pull_subscribe(DLQ.render(service="risk"), durable=None, stream="DD_DLQ")
    (msg,) = await dlq.fetch(1, timeout=10)
    letter = DeadLettered.model_validate_json(msg.data)
    assert letter.subject == "dd.md.positions.PAPER"
    assert "positions" in letter.reason
    after = await asyncio.wait_for(risk_events(desk, "PAPER", 2), 30)
    assert after[-1]["status"] == "ok"
