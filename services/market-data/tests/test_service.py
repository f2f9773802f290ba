"""market-data against the real paper venue on real NATS: it publishes, and it survives an outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from deltadesk.market_data.service import run as run_market_data
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.events import BrokerState, BrokerStatusChanged
from deltadesk.shared.messages import Ack
from deltadesk.shared.paper import FaultKind, InjectFault
from deltadesk.shared.subjects import MD_BALANCES, MD_BROKER_STATUS, MD_POSITIONS, MD_QUOTES, VENUE_FAULT_SET
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
BusFactory = Callable[[str], Awaitable[Bus]]


@pytest.fixture
async def feed(nats_url: str, tmp_path: Path) -> AsyncIterator[None]:
    stop = asyncio.Event()
    venue = asyncio.create_task(run_venue(PaperVenueSettings(nats_url=nats_url, paper_seed=1), stop))
    md = asyncio.create_task(
        run_market_data(
            MarketDataSettings(
                nats_url=nats_url,
                md_quotes_interval_s=0.1,
                md_positions_interval_s=0.2,
                md_request_timeout_s=0.5,
                md_max_backoff_s=0.5,
            ),
            stop,
        )
    )
    yield
    stop.set()
    await asyncio.wait_for(asyncio.gather(venue, md), 20)


async def test_publishes_positions_balances_and_quotes_with_spx_and_vix(
    feed: None, bus_factory: BusFactory
) -> None:
    reader = await bus_factory("risk")
    positions = await eventually(lambda: reader.latest(MD_POSITIONS, account="PAPER"))
    balances = await eventually(lambda: reader.latest(MD_BALANCES, account="PAPER"))
    quotes = await eventually(lambda: reader.latest(MD_QUOTES, account="PAPER"))
    assert len(positions.positions) >= 13
    assert all(p.underlying_price for p in positions.positions), "seed T005: every position is priced"
    assert balances.balances.net_liquidation > 0
    symbols = {q.symbol for q in quotes.quotes}
    assert {"SPX", "VIX", "SPY", "AAPL", "NVDA", "KO"} <= symbols
    assert any(s.startswith("/ES") for s in symbols)
    status = await eventually(lambda: reader.latest(MD_BROKER_STATUS, account="PAPER"))
    assert status.state is BrokerState.UP


async def test_a_broker_outage_is_published_and_the_feed_recovers(
    feed: None, bus_factory: BusFactory
) -> None:
    reader, operator = await bus_factory("risk"), await bus_factory("cli")
    seen: list[BrokerStatusChanged] = []

    async def record(event: BrokerStatusChanged) -> None:
        seen.append(event)

    await reader.subscribe(MD_BROKER_STATUS, record, account="PAPER")
    await eventually(lambda: reader.latest(MD_POSITIONS, account="PAPER"))

    await operator.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.UNAVAILABLE), Ack)
    down = await eventually(lambda: [e for e in seen if e.state is BrokerState.DOWN])
    assert "broker_unavailable" in (down[0].reason or "")

    await operator.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.SILENT), Ack)
    await eventually(lambda: any("in time" in (e.reason or "") for e in seen), what="a timeout reason")

    await operator.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.NONE), Ack)
    await eventually(lambda: seen[-1].state is BrokerState.UP, what="recovery")
    before = (await reader.latest(MD_QUOTES, account="PAPER")).event_id
    await eventually(lambda: _newer_quotes(reader, before), what="quotes flowing again after the outage")


async def _newer_quotes(reader: Bus, before: object) -> bool:
    latest = await reader.latest(MD_QUOTES, account="PAPER")
    return latest is not None and latest.event_id != before
