"""market-data: polls each account's broker and publishes positions, balances, quotes and status.

Each account has its own feed task, so a broker that is down (logged, published as a status event,
retried with backoff) never holds up another account's data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import TypeVar
from uuid import uuid4

from deltadesk.brokers.accounts import BrokerAccount, open_accounts
from deltadesk.market_data.domain.feed import FeedStatus, backoff_s, next_status, quote_symbols
from deltadesk.market_data.order_builder import OrderBuilderDesk
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.clock import Clock
from deltadesk.shared.errors import DeskError
from deltadesk.shared.events import (
    BalancesReported,
    BrokerStatusChanged,
    FillReceived,
    PositionsReported,
    QuotesReported,
)
from deltadesk.shared.positions import Position
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.subjects import (
    EXEC_FILL,
    MARKET_DATA,
    MD_BALANCES,
    MD_BROKER_STATUS,
    MD_CHAIN_GET,
    MD_EXPIRIES_LIST,
    MD_LEGS_QUOTE,
    MD_POSITIONS,
    MD_QUOTES,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


class AccountFeed:
    """Polls one account: positions and balances on one interval, quotes on a faster one."""

    def __init__(self, target: BrokerAccount, bus: Bus, settings: MarketDataSettings, clock: Clock) -> None:
        self.account = target.account
        self.broker = target.broker
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self.status = FeedStatus()
        self.positions: tuple[Position, ...] = ()
        self.failures = 0
        self.refresh = asyncio.Event()  # set by a fill: poll positions now, not at the next interval

    async def run(self, stop: asyncio.Event) -> None:
        next_positions = next_quotes = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if self.refresh.is_set():
                self.refresh.clear()
                next_positions = next_quotes = now
            try:
                if now >= next_positions:
                    await self.poll_positions()
                    next_positions = now + self.settings.md_positions_interval_s
                if now >= next_quotes:
                    await self.poll_quotes()
                    next_quotes = now + self.settings.md_quotes_interval_s
            except (DeskError, TimeoutError) as exc:
                await self.failed(_reason(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug or a malformed broker answer: log it, stay up, retry
                logger.exception("poll failed", extra={"account": self.account})
                await self.failed(f"internal error: {exc!r}")
            else:
                await self.succeeded()
            wait = min(next_positions, next_quotes) - time.monotonic()
            if self.failures:
                wait = backoff_s(self.failures, self.settings.md_max_backoff_s)
                next_positions = next_quotes = time.monotonic() + wait
            await _first_of(stop, self.refresh, timeout=max(wait, 0.0))

    async def poll_positions(self) -> None:
        positions = await self._call(self.broker.positions(self.account))
        balances = await self._call(self.broker.balances(self.account))
        now = self.clock.now()
        self.positions = tuple(positions)
        await self.bus.publish(
            MD_POSITIONS,
            PositionsReported(
                event_id=uuid4(),
                occurred_at=now,
                account=self.account,
                broker=self.broker.name,
                positions=self.positions,
                as_of=now,
            ),
            account=self.account,
        )
        await self.bus.publish(
            MD_BALANCES,
            BalancesReported(
                event_id=uuid4(),
                occurred_at=now,
                account=self.account,
                broker=self.broker.name,
                balances=balances,
            ),
            account=self.account,
        )

    async def poll_quotes(self) -> None:
        quotes = await self._call(self.broker.quotes(quote_symbols(self.positions)))
        await self.bus.publish(
            MD_QUOTES,
            QuotesReported(
                event_id=uuid4(),
                occurred_at=self.clock.now(),
                account=self.account,
                broker=self.broker.name,
                quotes=tuple(quotes),
            ),
            account=self.account,
        )

    async def _call(self, call: Awaitable[T]) -> T:
        return await asyncio.wait_for(call, self.settings.md_request_timeout_s)

    async def succeeded(self) -> None:
        self.failures = 0
        await self._publish_status(ok=True)

    async def failed(self, reason: str) -> None:
        self.failures += 1
        logger.warning(
            "broker poll failed", extra={"account": self.account, "reason": reason, "failures": self.failures}
        )
        await self._publish_status(ok=False, reason=reason)

    async def _publish_status(self, *, ok: bool, reason: str | None = None) -> None:
        status, changed = next_status(self.status, ok=ok, reason=reason)
        if not changed or status.state is None:
            return
        now = self.clock.now()
        event = BrokerStatusChanged(
            event_id=uuid4(),
            occurred_at=now,
            account=self.account,
            broker=self.broker.name,
            state=status.state,
            reason=status.reason,
            since=now,
        )
        try:
            await self.bus.publish(MD_BROKER_STATUS, event, account=self.account)
        except Exception:  # the bus itself is down: nats reconnects; try again on the next poll
            logger.exception("could not publish broker status", extra={"account": self.account})
            return
        self.status = status


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Wait until any of the events is set, or the timeout passes."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "broker did not answer in time"
    if isinstance(exc, DeskError):
        return f"{exc.code}: {exc}"
    return repr(exc)


async def run(settings: MarketDataSettings, stop: asyncio.Event, *, clock: Clock | None = None) -> None:
    bus = await Bus.connect(settings.require_nats_url(), MARKET_DATA, clock=clock)
    targets = open_accounts(settings, bus, timeout=settings.md_request_timeout_s)
    feeds = [AccountFeed(target, bus, settings, bus.clock) for target in targets]
    desk = OrderBuilderDesk({t.account: t for t in targets}, timeout_s=settings.md_lookup_timeout_s)
    by_account = {feed.account: feed for feed in feeds}

    async def on_fill(fill: FillReceived) -> None:
        feed = by_account.get(fill.account)
        if feed is not None:
            feed.refresh.set()

    try:
        await bus.serve(MD_LEGS_QUOTE, desk.quote_legs, queue=MARKET_DATA)
        await bus.serve(MD_EXPIRIES_LIST, desk.expiries, queue=MARKET_DATA)
        await bus.serve(MD_CHAIN_GET, desk.chain, queue=MARKET_DATA)
        await bus.subscribe(EXEC_FILL, on_fill)
        async with asyncio.TaskGroup() as tg:
            for feed in feeds:
                tg.create_task(feed.run(stop), name=f"feed:{feed.account}")
    finally:
        for feed in feeds:
            await feed.broker.close()
        await bus.close()


SERVICE = ServiceSpec(name=MARKET_DATA, settings=MarketDataSettings, run=run)
