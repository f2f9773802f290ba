"""Live quotes, trades and option Greeks from Tastytrade's DXLink streamer, kept current in memory.

One long-lived connection per adapter (the SDK's `DXLinkStreamer`, which has no reconnect of its own
since v12): a supervisor task connects, subscribes to everything wanted, drains every event into the
latest-value cache, and when the connection fails it waits (backing off) and does it all again, so a
dropped socket costs a resubscription, never a restart of the desk.

What is wanted is kept per owner (`track("positions", …)`, `track("chain", …)`): an owner's new set
replaces its old one, and the connection subscribes the difference, in chunks (DXLink closes the
socket, code 1009, on an oversized subscribe message). Quotes and trades are both asked for every
underlying: SPX and other indexes may never send a Quote (or send one with no bid or ask, which the
SDK drops), only Trades, so a price falls back to the last trade.

Values carry the time they arrived; a value older than the caller's limit is not used, so a dead
stream shows as missing data, never as a frozen price.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from tastytrade import DXLinkStreamer, Session
from tastytrade.dxfeed import Event, Greeks, Quote, Trade

from deltadesk.brokers.tastytrade.errors import broker_error
from deltadesk.shared.clock import Clock
from deltadesk.shared.positions import Greeks as DeskGreeks

logger = logging.getLogger(__name__)

SYMBOLS_PER_SUBSCRIBE = 500
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
E = TypeVar("E", bound=Event)


class Feed(StrEnum):
    QUOTE = "Quote"
    TRADE = "Trade"
    GREEKS = "Greeks"


EVENT_CLASS: dict[Feed, type[Event]] = {Feed.QUOTE: Quote, Feed.TRADE: Trade, Feed.GREEKS: Greeks}
Wants = Mapping[Feed, Iterable[str]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest market of one streamer symbol: any part may be missing."""

    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    greeks: DeskGreeks | None = None
    iv: float | None = None
    as_of: datetime | None = None

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None or self.bid < 0 or self.ask < self.bid:
            return None
        return (self.bid + self.ask) / 2

    @property
    def price(self) -> Decimal | None:
        """The mid of a sane two-sided market, else the last trade."""
        mid = self.mid
        if mid is not None and mid > 0:
            return mid
        if self.last is not None and self.last > 0:
            return self.last
        return None


@dataclass(frozen=True, slots=True)
class _Stamped:
    value: Any
    at: datetime


class MarketFeed:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        *,
        symbols_per_subscribe: int = SYMBOLS_PER_SUBSCRIBE,
        connect_timeout_s: float = 15.0,
        backoff_s: tuple[float, ...] = BACKOFF_S,
        aggregation_s: float = 0.1,
    ) -> None:
        if symbols_per_subscribe < 1:
            raise ValueError("symbols_per_subscribe must be positive")
        self._session = session
        self._clock = clock
        self._chunk = symbols_per_subscribe
        self._connect_timeout = connect_timeout_s
        self._backoff = backoff_s
        self._aggregation = aggregation_s
        self._owners: dict[str, dict[Feed, frozenset[str]]] = {}
        self._latest: dict[Feed, dict[str, _Stamped]] = {feed: {} for feed in Feed}
        self._dirty = asyncio.Event()  # the wanted set changed: the connection re-syncs
        self._updated = asyncio.Event()  # data arrived (waiters check again)
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connections = 0
        self.last_error: str | None = None

    # ── what callers use ───────────────────────────────────────────────────────────────────────
    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def track(self, owner: str, wants: Wants) -> None:
        """Replace what `owner` wants streamed; the connection (started on first use) follows."""
        self._owners[owner] = {feed: frozenset(wants.get(feed, ())) for feed in Feed}
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name="tastytrade:dxlink")

    def wanted(self) -> dict[Feed, set[str]]:
        union: dict[Feed, set[str]] = {feed: set() for feed in Feed}
        for wants in self._owners.values():
            for feed, symbols in wants.items():
                union[feed] |= symbols
        return union

    def snapshot(self, symbol: str, *, max_age: timedelta | None = None) -> Snapshot:
        now = self._clock.now()

        def fresh(feed: Feed) -> _Stamped | None:
            stamped = self._latest[feed].get(symbol)
            if stamped is None or (max_age is not None and now - stamped.at > max_age):
                return None
            return stamped

        quote, trade, greeks = fresh(Feed.QUOTE), fresh(Feed.TRADE), fresh(Feed.GREEKS)
        times = [s.at for s in (quote, trade, greeks) if s is not None]
        g: Greeks | None = greeks.value if greeks else None
        return Snapshot(
            symbol=symbol,
            bid=quote.value.bid_price if quote else None,
            ask=quote.value.ask_price if quote else None,
            last=trade.value.price if trade else None,
            greeks=_desk_greeks(g) if g is not None else None,
            iv=_finite(g.volatility) if g is not None else None,
            as_of=max(times) if times else None,
        )

    async def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait (at most `timeout` s) until `ready()` holds, checking as data arrives."""
        try:
            async with asyncio.timeout(timeout):
                while not ready():
                    self._updated.clear()
                    if ready():
                        break
                    await self._updated.wait()
        except TimeoutError:
            return ready()
        return True

    def has(self, feed: Feed, symbol: str) -> bool:
        return symbol in self._latest[feed]

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._up.clear()

    # ── the connection ─────────────────────────────────────────────────────────────────────────
    async def _supervise(self) -> None:
        failures = 0
        while True:
            connection = asyncio.create_task(self._connect(), name="tastytrade:dxlink-connection")
            try:
                await self._await_connection(connection)
                failures = 0
                await connection  # returns only by failing
            except asyncio.CancelledError:
                connection.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception, BaseExceptionGroup):
                    await connection
                raise
            except (Exception, BaseExceptionGroup) as exc:
                connection.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception, BaseExceptionGroup):
                    await connection
                self.last_error = str(broker_error(exc, "market data stream"))
                logger.warning(
                    "tastytrade market data stream down",
                    extra={"reason": self.last_error, "failures": failures},
                )
            finally:
                self._up.clear()
                self._updated.set()  # waiters re-check (and see the stream is down)
            await asyncio.sleep(self._backoff[min(failures, len(self._backoff) - 1)])
            failures += 1

    async def _await_connection(self, connection: asyncio.Task[None]) -> None:
        up = asyncio.create_task(self._up.wait())
        try:
            done, _ = await asyncio.wait(
                {connection, up}, timeout=self._connect_timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            up.cancel()
        if connection in done:
            connection.result()  # raises what ended it
            raise ConnectionError("the DXLink connection ended at once")
        if up not in done:
            raise TimeoutError(f"no DXLink connection within {self._connect_timeout:g} s")

    async def _connect(self) -> None:
        async with DXLinkStreamer(self._session) as streamer:
            self.connections += 1
            self.last_error = None
            async with asyncio.TaskGroup() as group:
                for feed in Feed:
                    group.create_task(self._drain(streamer, feed))
                group.create_task(self._sync(streamer))

    async def _sync(self, streamer: DXLinkStreamer) -> None:
        """Keep this connection's subscriptions equal to what is wanted (all of it after a reconnect)."""
        sent: dict[Feed, set[str]] = {feed: set() for feed in Feed}
        while True:
            self._dirty.clear()
            wanted = self.wanted()
            for feed in Feed:
                cls = EVENT_CLASS[feed]
                added = sorted(wanted[feed] - sent[feed])
                for start in range(0, len(added), self._chunk):
                    await streamer.subscribe(cls, added[start : start + self._chunk], self._aggregation)
                sent[feed].update(added)
                removed = sorted(sent[feed] - wanted[feed])
                for start in range(0, len(removed), self._chunk):
                    await streamer.unsubscribe(cls, removed[start : start + self._chunk])
                sent[feed].difference_update(removed)
            if not self._up.is_set():
                self._up.set()
                self._updated.set()  # waiters re-check: the stream is up
                logger.info("tastytrade market data stream up", extra={"connections": self.connections})
            await self._dirty.wait()

    async def _drain(self, streamer: DXLinkStreamer, feed: Feed) -> None:
        latest = self._latest[feed]
        async for event in streamer.listen(EVENT_CLASS[feed]):
            latest[event.event_symbol] = _Stamped(event, self._clock.now())
            self._updated.set()


def _finite(value: Decimal | None) -> float | None:
    if value is None or not value.is_finite():
        return None
    return float(value)


def _desk_greeks(event: Greeks) -> DeskGreeks | None:
    """DXLink Greeks per unit of the underlying; theta per day and vega per volatility point, as
    Tastytrade's platform shows them (the dxFeed docs do not say; see the adapter's notes)."""
    try:
        return DeskGreeks(
            delta=float(event.delta),
            gamma=float(event.gamma),
            theta=float(event.theta),
            vega=float(event.vega),
        )
    except (ValidationError, ValueError, ArithmeticError):
        return None
