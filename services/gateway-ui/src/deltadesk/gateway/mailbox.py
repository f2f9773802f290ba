"""One stream client's undelivered updates, conflated to the latest per kind and subject of it.

A slow browser must never block the bus handler nor grow memory without bound: `put` never waits,
a newer update replaces an undelivered older one of the same kind for the same account (or order;
the trading state is one), since the page only ever shows the latest, and at most `capacity` keys
wait; beyond that the oldest is dropped.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TypeAlias

from deltadesk.gateway.domain.blotter import OrderEntry
from deltadesk.shared.events import BrokerStatusChanged, RiskUpdated, SnapshotTaken, TradingStateChanged

Update: TypeAlias = RiskUpdated | BrokerStatusChanged | SnapshotTaken | OrderEntry | TradingStateChanged


def update_key(update: Update) -> tuple[str, str]:
    """What a newer update of the same key replaces: per account, per order, or the one trading state."""
    if isinstance(update, OrderEntry):
        return ("order", str(update.order_id))
    if isinstance(update, TradingStateChanged):
        return ("trading", "")
    return (type(update).__name__, update.account)


class MailboxClosed(Exception):
    """The mailbox was closed (the client left, or the gateway is stopping): the stream ends."""


class Mailbox:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a mailbox holds at least one update, capacity was {capacity}")
        self.capacity = capacity
        self.dropped = 0  # updates replaced by a newer one, or pushed out, before delivery
        self._pending: OrderedDict[tuple[str, str], Update] = OrderedDict()
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, update: Update) -> None:
        if self._closed:
            return
        key = update_key(update)
        if self._pending.pop(key, None) is not None:
            self.dropped += 1
        self._pending[key] = update
        while len(self._pending) > self.capacity:
            self._pending.popitem(last=False)
            self.dropped += 1
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        self._ready.set()

    async def get(self, idle_s: float) -> Update | None:
        """The oldest pending update; None when nothing came within `idle_s` seconds.

        Raises MailboxClosed once the mailbox is closed, even with updates pending: a stopping
        gateway ends every stream at once instead of flushing it.
        """
        if self._closed:
            raise MailboxClosed
        if not self._pending:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), idle_s)
            except TimeoutError:
                return None
            if self._closed:
                raise MailboxClosed
        _, update = self._pending.popitem(last=False)
        return update
