"""The paper venue service on a real NATS server: it answers, keeps going, misbehaves on request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import entry_points

import pytest

from deltadesk.paper_venue.service import SERVICE, run
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.bus import HEADER_ERROR, Bus
from deltadesk.shared.errors import BrokerUnavailable, PeerUnavailable, RemoteError
from deltadesk.shared.messages import Ack, ErrorReply
from deltadesk.shared.paper import (
    BalancesReply,
    FaultKind,
    GetBalances,
    GetQuotes,
    InjectFault,
    ListPositions,
    PositionList,
    QuoteList,
)
from deltadesk.shared.service import SERVICE_GROUP
from deltadesk.shared.subjects import (
    VENUE_BALANCES_GET,
    VENUE_FAULT_SET,
    VENUE_POSITIONS_LIST,
    VENUE_QUOTES_GET,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

BusFactory = Callable[[str], Awaitable[Bus]]
SIM_START = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)  # far from the wall clock, to tell the two apart


@dataclass
class RunningVenue:
    stop: asyncio.Event
    task: asyncio.Task[None]
    md: Bus  # market-data: the venue's requester
    cli: Bus  # the fault injector


async def positions(bus: Bus, account: str = "PAPER", wait_s: float = 5.0) -> PositionList:
    return await bus.request(
        VENUE_POSITIONS_LIST, ListPositions(account=account), PositionList, timeout=wait_s
    )


async def inject(bus: Bus, kind: FaultKind) -> None:
    assert await bus.request(VENUE_FAULT_SET, InjectFault(kind=kind), Ack) == Ack()


@pytest.fixture
async def venue(nats_url: str, bus_factory: BusFactory) -> AsyncIterator[RunningVenue]:
    settings = PaperVenueSettings(
        nats_url=nats_url, paper_seed=7, paper_tick_s=0.05, paper_time_scale=600.0, paper_start=SIM_START
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    md, cli = await bus_factory("market-data"), await bus_factory("cli")

    async def answering() -> PositionList | None:
        try:
            return await positions(md, wait_s=1.0)
        except PeerUnavailable:
            return None

    await eventually(answering, what="the paper venue answering")
    yield RunningVenue(stop, task, md, cli)
    stop.set()
    await asyncio.wait_for(task, 30)


def test_the_service_is_discovered_by_its_entry_point() -> None:
    # Only this member's entry point is loaded: another member's may be mid-construction.
    (entry,) = entry_points(group=SERVICE_GROUP, name="paper-venue")
    spec = entry.load()
    assert spec is SERVICE
    assert spec.settings is PaperVenueSettings


async def test_the_venue_lists_the_demo_portfolio(venue: RunningVenue) -> None:
    reply = await positions(venue.md)
    assert len(reply.positions) == 13
    assert {p.account for p in reply.positions} == {"PAPER"}
    assert {p.underlying for p in reply.positions} == {"SPX", "SPY", "AAPL", "NVDA", "KO", "/ES", "/MES"}
    assert all(p.underlying_price is not None for p in reply.positions)


async def test_the_venue_reports_balances_with_margin(venue: RunningVenue) -> None:
    before = datetime.now(UTC)
    reply = await venue.md.request(VENUE_BALANCES_GET, GetBalances(account="PAPER"), BalancesReply)
    balances = reply.balances
    assert balances.account == "PAPER"
    assert balances.net_liquidation == pytest.approx(Decimal(500_000), rel=Decimal("0.05"))
    assert balances.maintenance_margin > 0
    assert balances.initial_margin is not None
    assert balances.initial_margin >= balances.maintenance_margin
    assert before <= balances.as_of <= datetime.now(UTC)


async def test_quotes_are_stamped_with_the_wall_clock_and_unknown_symbols_listed(venue: RunningVenue) -> None:
    before = datetime.now(UTC)
    symbols = ("SPX", "VIX", "AAPL", "/ESH0", "TSLA", "SPX")
    reply = await venue.md.request(VENUE_QUOTES_GET, GetQuotes(symbols=symbols), QuoteList)
    after = datetime.now(UTC)
    assert [q.symbol for q in reply.quotes] == ["SPX", "VIX", "AAPL", "/ESH0"]  # /ESH0: March 2030's future
    assert reply.unknown == ("TSLA",)
    for quote in reply.quotes:
        assert before <= quote.as_of <= after


async def test_the_market_moves_while_the_venue_runs(venue: RunningVenue) -> None:
    async def spx() -> Decimal | None:
        reply = await venue.md.request(VENUE_QUOTES_GET, GetQuotes(symbols=("SPX",)), QuoteList)
        return reply.quotes[0].last

    first = await spx()

    async def moved() -> bool:
        return await spx() != first

    await eventually(moved, what="SPX moving")


async def test_an_unknown_account_gets_a_clear_error_reply(venue: RunningVenue) -> None:
    with pytest.raises(RemoteError, match="no account 'U999'") as caught:
        await positions(venue.md, account="U999")
    assert caught.value.remote_code == "unknown_account"


async def test_a_malformed_request_is_answered_with_an_error_and_the_next_one_works(
    venue: RunningVenue,
) -> None:
    reply = await venue.md.nc.request(VENUE_POSITIONS_LIST.render(), b'{"account": 5}', timeout=5)
    assert reply.headers is not None
    assert reply.headers[HEADER_ERROR] == "invalid_request"
    assert "account" in ErrorReply.model_validate_json(reply.data).reason
    assert len((await positions(venue.md)).positions) == 13


async def test_an_unavailable_venue_answers_every_request_with_broker_unavailable(
    venue: RunningVenue,
) -> None:
    await inject(venue.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable, match="fault injected"):
        await positions(venue.md)
    with pytest.raises(BrokerUnavailable):
        await venue.md.request(VENUE_QUOTES_GET, GetQuotes(symbols=("SPX",)), QuoteList)
    await inject(venue.cli, FaultKind.NONE)
    assert len((await positions(venue.md)).positions) == 13


async def test_a_silent_venue_lets_requests_time_out_until_it_recovers(venue: RunningVenue) -> None:
    await inject(venue.cli, FaultKind.SILENT)
    with pytest.raises(PeerUnavailable, match="no answer"):
        await positions(venue.md, wait_s=0.3)
    await inject(venue.cli, FaultKind.NONE)
    assert len((await positions(venue.md)).positions) == 13


async def test_stopping_a_silent_venue_does_not_wait_for_its_held_requests(venue: RunningVenue) -> None:
    await inject(venue.cli, FaultKind.SILENT)
    with pytest.raises(PeerUnavailable):
        await positions(venue.md, wait_s=0.3)
    venue.stop.set()
    # asyncio.wait, not wait_for: it reports a task still running instead of cancelling it.
    done, _ = await asyncio.wait({venue.task}, timeout=10)
    assert venue.task in done
    assert venue.task.exception() is None
