"""The paper adapter against the real paper venue service on a real NATS server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deltadesk.brokers.paper import PaperBroker
from deltadesk.paper_venue.service import run
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.messages import Ack
from deltadesk.shared.paper import FaultKind, InjectFault
from deltadesk.shared.subjects import VENUE_FAULT_SET
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

BusFactory = Callable[[str], Awaitable[Bus]]
SIM_START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@dataclass
class Desk:
    broker: PaperBroker
    cli: Bus


async def inject(cli: Bus, kind: FaultKind) -> None:
    assert await cli.request(VENUE_FAULT_SET, InjectFault(kind=kind), Ack) == Ack()


@pytest.fixture
async def desk(nats_url: str, bus_factory: BusFactory) -> AsyncIterator[Desk]:
    settings = PaperVenueSettings(nats_url=nats_url, paper_seed=3, paper_tick_s=0.05, paper_start=SIM_START)
    stop = asyncio.Event()
    venue = asyncio.create_task(run(settings, stop))
    broker = PaperBroker(await bus_factory("market-data"), timeout=0.5)

    async def answering() -> bool:
        try:
            return bool(await broker.positions("PAPER"))
        except BrokerUnavailable:
            return False

    await eventually(answering, what="the paper venue answering")
    yield Desk(broker, await bus_factory("cli"))
    stop.set()
    await asyncio.wait({venue}, timeout=30)
    assert venue.done()


async def test_the_paper_broker_is_a_broker_named_paper(bus_factory: BusFactory) -> None:
    broker: Broker = PaperBroker(await bus_factory("market-data"))
    assert broker.name == "paper"


async def test_a_non_positive_timeout_is_refused(bus_factory: BusFactory) -> None:
    with pytest.raises(ValueError, match="timeout"):
        PaperBroker(await bus_factory("market-data"), timeout=0)


async def test_positions_come_back_as_domain_positions(desk: Desk) -> None:
    positions = await desk.broker.positions("PAPER")
    assert len(positions) == 13
    by_symbol = {p.symbol: p for p in positions}
    assert by_symbol["AAPL"].quantity == 200
    assert by_symbol["/ESZ6"].instrument is InstrumentType.FUT
    assert by_symbol["/ESZ6"].multiplier == 50
    assert by_symbol["/MESZ6"].multiplier == 5
    assert all(p.account == "PAPER" for p in positions)


async def test_balances_come_back_for_the_account(desk: Desk) -> None:
    balances = await desk.broker.balances("PAPER")
    assert balances.account == "PAPER"
    assert balances.net_liquidation == pytest.approx(Decimal(500_000), rel=Decimal("0.05"))
    assert balances.maintenance_margin > 0


async def test_quotes_leave_unknown_symbols_out(desk: Desk) -> None:
    quotes = await desk.broker.quotes(["SPX", "VIX", "TSLA", "/ESZ6", "SPX"])
    assert [q.symbol for q in quotes] == ["SPX", "VIX", "/ESZ6"]
    assert all(q.bid is not None and q.ask is not None and q.bid < q.ask for q in quotes)


async def test_no_symbols_need_no_request(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.SILENT)  # a request would time out
    assert await desk.broker.quotes([]) == []
    await inject(desk.cli, FaultKind.NONE)


async def test_more_symbols_than_one_request_takes_are_sent_in_batches(desk: Desk) -> None:
    many = ["SPX", *(f"X{n}" for n in range(600)), "VIX"]
    quotes = await desk.broker.quotes(many)
    assert [q.symbol for q in quotes] == ["SPX", "VIX"]


async def test_an_unknown_account_is_rejected_with_the_venues_reason(desk: Desk) -> None:
    with pytest.raises(BrokerRejected, match="no account 'U404'"):
        await desk.broker.positions("U404")
    with pytest.raises(BrokerRejected, match="no account 'U404'"):
        await desk.broker.balances("U404")


async def test_an_unavailable_venue_raises_broker_unavailable(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable, match="fault injected"):
        await desk.broker.positions("PAPER")
    with pytest.raises(BrokerUnavailable):
        await desk.broker.balances("PAPER")
    with pytest.raises(BrokerUnavailable):
        await desk.broker.quotes(["SPX"])


async def test_a_silent_venue_raises_broker_unavailable_after_the_timeout(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.SILENT)
    with pytest.raises(BrokerUnavailable, match=r"no answer .* within 0.5 s"):
        await desk.broker.positions("PAPER")


async def test_the_broker_recovers_when_the_fault_clears(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable):
        await desk.broker.positions("PAPER")
    await inject(desk.cli, FaultKind.SILENT)
    with pytest.raises(BrokerUnavailable):
        await desk.broker.balances("PAPER")
    await inject(desk.cli, FaultKind.NONE)
    assert len(await desk.broker.positions("PAPER")) == 13
    assert (await desk.broker.balances("PAPER")).account == "PAPER"


async def test_a_venue_that_is_not_running_is_unavailable(bus_factory: BusFactory) -> None:
    broker = PaperBroker(await bus_factory("market-data"), timeout=0.5)
    with pytest.raises(BrokerUnavailable, match="nobody answers"):
        await broker.positions("PAPER")
    await broker.close()
