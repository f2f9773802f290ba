"""The paper venue on the bus: answers positions, balances and quotes from the simulated market,
steps the market every tick, and misbehaves on request (the desk's fault injector).

Faults (`dd.venue.fault.set`, from the CLI or a test):
- UNAVAILABLE: every request is answered with a `broker_unavailable` error reply;
- SILENT: requests are held unanswered, so callers time out; a held request is answered only
  once the fault clears (or the venue stops), long after its caller gave up;
- NONE: normal service.
The fault request itself is always answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from deltadesk.paper_venue.domain.account import balances, mark_positions
from deltadesk.paper_venue.domain.demo import demo_venue
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.quoting import quote
from deltadesk.paper_venue.domain.venue import Venue, advance, find_account
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.messages import Ack, Message
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
from deltadesk.shared.quotes import Quote
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.subjects import (
    PAPER_VENUE,
    VENUE_BALANCES_GET,
    VENUE_FAULT_SET,
    VENUE_POSITIONS_LIST,
    VENUE_QUOTES_GET,
    Subject,
)

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)


@dataclass
class LiveVenue:
    """The venue as it runs: its current (immutable) state, replaced every tick, and the fault in force."""

    venue: Venue
    rates: MarginRates
    clock: Clock
    fault: FaultKind = FaultKind.NONE
    answering: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.answering.set()

    def inject(self, fault: FaultKind) -> None:
        self.fault = fault
        if fault is FaultKind.SILENT:
            self.answering.clear()
        else:
            self.answering.set()

    def release(self) -> None:
        """Let held requests finish (on stop), so draining the bus does not wait on them."""
        self.answering.set()

    async def gate(self) -> None:
        """Apply the injected fault before a request is answered."""
        if self.fault is FaultKind.SILENT:
            await self.answering.wait()
        if self.fault is FaultKind.UNAVAILABLE:
            raise BrokerUnavailable("the paper venue is unavailable (fault injected)")


def open_live_venue(settings: PaperVenueSettings, clock: Clock) -> LiveVenue:
    venue = demo_venue(
        settings.start_or(clock.now()),
        account_id=settings.paper_account_id,
        start_cash=settings.paper_start_cash,
        time_scale=settings.paper_time_scale,
    )
    rates = MarginRates(futures={"/ES": settings.paper_es_margin, "/MES": settings.paper_mes_margin})
    return LiveVenue(venue=venue, rates=rates, clock=clock)


# ── handlers ────────────────────────────────────────────────────────────────────────────────────
async def list_positions(live: LiveVenue, request: ListPositions) -> PositionList:
    await live.gate()
    account = find_account(live.venue, request.account)
    return PositionList(positions=mark_positions(account, live.venue.market))


async def get_balances(live: LiveVenue, request: GetBalances) -> BalancesReply:
    await live.gate()
    account = find_account(live.venue, request.account)
    return BalancesReply(balances=balances(account, live.venue.market, live.rates, live.clock.now()))


async def get_quotes(live: LiveVenue, request: GetQuotes) -> QuoteList:
    await live.gate()
    market, made_at = live.venue.market, live.clock.now()
    quotes: list[Quote] = []
    unknown: list[str] = []
    for symbol in dict.fromkeys(request.symbols):  # each symbol once, in the order asked
        found = quote(market, symbol, made_at)
        if found is None:
            unknown.append(symbol)
        else:
            quotes.append(found)
    return QuoteList(quotes=tuple(quotes), unknown=tuple(unknown))


async def set_fault(live: LiveVenue, request: InjectFault) -> Ack:
    live.inject(request.kind)
    logger.warning("fault injected", extra={"service": PAPER_VENUE, "fault": request.kind.value})
    return Ack()


# ── the market's clock ──────────────────────────────────────────────────────────────────────────
async def advance_until(stop: asyncio.Event, live: LiveVenue, tick_s: float, rng: random.Random) -> None:
    """Step the market by the wall time elapsed, every `tick_s`, until `stop` is set."""
    last = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick_s)
        now = time.monotonic()
        live.venue, settlements = advance(live.venue, now - last, rng)
        last = now
        for settled in settlements:
            logger.info(
                "contract settled at expiry",
                extra={
                    "account": settled.account_id,
                    "symbol": settled.symbol,
                    "quantity": str(settled.quantity),
                    "settlement_price": str(settled.settlement_price),
                    "cash": str(settled.cash),
                },
            )


# ── composition root ────────────────────────────────────────────────────────────────────────────
async def run(settings: PaperVenueSettings, stop: asyncio.Event) -> None:
    clock = SystemClock()
    live = open_live_venue(settings, clock)
    rng = random.Random(settings.paper_seed)
    bus = await Bus.connect(settings.require_nats_url(), PAPER_VENUE, clock=clock)
    try:
        for route in ROUTES:
            await bus.serve(route.subject, functools.partial(route.handler, live))
        logger.info(
            "paper venue serving",
            extra={
                "accounts": [a.account_id for a in live.venue.accounts],
                "simulated_start": live.venue.market.now.isoformat(),
                "time_scale": settings.paper_time_scale,
                "seeded": settings.paper_seed is not None,
            },
        )
        await advance_until(stop, live, settings.paper_tick_s, rng)
    finally:
        live.release()
        await bus.close()


SERVICE = ServiceSpec(name=PAPER_VENUE, settings=PaperVenueSettings, run=run)


@dataclass(frozen=True)
class Route(Generic[M]):
    subject: Subject[M]
    handler: Callable[[LiveVenue, M], Awaitable[Message]]


ROUTES: tuple[Route[Any], ...] = (
    Route(VENUE_POSITIONS_LIST, list_positions),
    Route(VENUE_BALANCES_GET, get_balances),
    Route(VENUE_QUOTES_GET, get_quotes),
    Route(VENUE_FAULT_SET, set_fault),
)
