"""The paper venue's state in the `dd-venue` KV bucket: a restart keeps the paper accounts (cash and
holdings), every order with its executions, and the simulated market where it was.

Keys: `market` (the market's moving state, the start its listings were built from, and when it was
saved), `account.<id>` per account and `order.<broker order id>` per order; values are JSON. Only
what changed since the last save is written (the venue's state is immutable, so "changed" is "not the
object last saved"). Saves run one at a time and each writes the latest state, so the bucket never
goes back in time. A value that cannot be read stops the venue with the key named: silently dropping
a paper account or an order would be worse.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter, ValidationError

from deltadesk.paper_venue.domain.account import Account
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.paper_order import PaperOrder
from deltadesk.paper_venue.domain.venue import Venue
from deltadesk.shared.subjects import VENUE_BUCKET

logger = logging.getLogger(__name__)

MARKET_KEY = "market"
ACCOUNT_PREFIX = "account."
ORDER_PREFIX = "order."
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ACCOUNT = TypeAdapter(Account)


class StateUnreadable(RuntimeError):
    """The bucket holds a value this version cannot read."""


class MarketRecord(BaseModel):
    """The simulated market's moving state. Its configuration is rebuilt from `start`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    now: AwareDatetime
    spx: float
    vix: float
    share_prices: tuple[float, ...]
    saved_at: AwareDatetime  # wall clock: how long the venue was away on its next start


@dataclass(frozen=True)
class SavedVenue:
    market: MarketRecord | None
    accounts: tuple[Account, ...]
    orders: tuple[PaperOrder, ...]


def account_key(account_id: str) -> str:
    """`account.PAPER`; an id with characters a KV key may not hold is written in hex."""
    if _PLAIN_KEY.match(account_id):
        return ACCOUNT_PREFIX + account_id
    return ACCOUNT_PREFIX + "x-" + account_id.encode().hex()


class VenueStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._saved: dict[str, object] = {}
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, js: JetStreamContext) -> VenueStore:
        try:
            kv = await js.key_value(VENUE_BUCKET)
        except nats.js.errors.BucketNotFoundError:
            try:
                kv = await js.create_key_value(bucket=VENUE_BUCKET, history=1)
            except nats.js.errors.BadRequestError:  # created by another process meanwhile
                kv = await js.key_value(VENUE_BUCKET)
        return cls(kv)

    async def load(self) -> SavedVenue:
        market: MarketRecord | None = None
        accounts: list[Account] = []
        orders: list[PaperOrder] = []
        watcher = await self._kv.watchall(ignore_deletes=True)
        try:
            async for entry in watcher:
                if entry is None:
                    break
                if entry.value:
                    try:
                        if entry.key == MARKET_KEY:
                            market = MarketRecord.model_validate_json(entry.value)
                        elif entry.key.startswith(ACCOUNT_PREFIX):
                            accounts.append(_ACCOUNT.validate_json(entry.value))
                        elif entry.key.startswith(ORDER_PREFIX):
                            orders.append(PaperOrder.model_validate_json(entry.value))
                        else:
                            logger.warning("unknown key in the venue bucket", extra={"key": entry.key})
                    except ValidationError as exc:
                        first = exc.errors()[0]["msg"]
                        raise StateUnreadable(
                            f"{VENUE_BUCKET}/{entry.key} cannot be read by this version (first error: "
                            f"{first}); remove the key or the bucket to start that part afresh"
                        ) from exc
                if entry.delta == 0:
                    break
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        orders.sort(key=lambda o: (o.accepted_at, o.broker_order_id))
        saved = SavedVenue(market, tuple(accounts), tuple(orders))
        self._remember(saved)
        return saved

    async def save(self, current: Callable[[], Venue], start: datetime, saved_at: datetime) -> None:
        """Write what changed since the last save, reading the venue's state once the previous save
        is done, so a save never writes anything older than what is already in the bucket."""
        async with self._lock:
            venue = current()
            if self._saved.get(MARKET_KEY) is not venue.market:
                record = market_record(venue.market, start, saved_at)
                await self._kv.put(MARKET_KEY, record.model_dump_json().encode())
                self._saved[MARKET_KEY] = venue.market
            for account in venue.accounts:
                key = account_key(account.account_id)
                if self._saved.get(key) is not account:
                    await self._kv.put(key, _ACCOUNT.dump_json(account))
                    self._saved[key] = account
            for order in venue.orders:
                key = ORDER_PREFIX + order.broker_order_id
                if self._saved.get(key) is not order:
                    await self._kv.put(key, order.model_dump_json().encode())
                    self._saved[key] = order

    def _remember(self, saved: SavedVenue) -> None:
        for account in saved.accounts:
            self._saved[account_key(account.account_id)] = account
        for order in saved.orders:
            self._saved[ORDER_PREFIX + order.broker_order_id] = order


def market_record(market: MarketState, start: datetime, saved_at: datetime) -> MarketRecord:
    return MarketRecord(
        start=start,
        now=market.now,
        spx=market.spx,
        vix=market.vix,
        share_prices=market.share_prices,
        saved_at=saved_at,
    )
