"""The login rate limit: each client gets a few free failed attempts, then must wait, twice as long
after every further failure (capped). A success, or a long enough quiet, forgets the client.

Keyed by client address; at most `max_clients` are remembered (the oldest is forgotten first), so a
flood of addresses cannot grow memory without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class _Failures:
    count: int
    last: datetime
    locked_until: datetime


@dataclass
class LoginThrottle:
    free_failures: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    forget_after_s: float = 900.0
    max_clients: int = 10_000
    _clients: OrderedDict[str, _Failures] = field(default_factory=OrderedDict, init=False, repr=False)

    def __len__(self) -> int:
        return len(self._clients)

    def retry_after(self, client: str, now: datetime) -> float:
        """Seconds the client must still wait before its next attempt; 0 when it may try now."""
        record = self._current(client, now)
        if record is None:
            return 0.0
        return max(0.0, (record.locked_until - now).total_seconds())

    def failed(self, client: str, now: datetime) -> float:
        """Count a failed attempt; returns the wait it imposes (0 while attempts are still free)."""
        record = self._current(client, now)
        count = 1 if record is None else record.count + 1
        over = count - self.free_failures
        delay = 0.0 if over <= 0 else min(self.base_delay_s * 2.0 ** (over - 1), self.max_delay_s)
        self._clients.pop(client, None)
        self._clients[client] = _Failures(count, now, now + timedelta(seconds=delay))
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        return delay

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    def _current(self, client: str, now: datetime) -> _Failures | None:
        record = self._clients.get(client)
        if record is None:
            return None
        if (now - record.last).total_seconds() > self.forget_after_s and now >= record.locked_until:
            del self._clients[client]
            return None
        return record
