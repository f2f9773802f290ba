"""Client-side pacing of gateway requests, so the adapter never earns IBKR's penalty box.

IBKR allows 10 requests/s through a Client Portal gateway and less on some endpoints (1 per 5 s
on live orders, trades, P&L and portfolio accounts; 1/s on tickle; 1/min on sso/validate). Over
that the gateway answers 429 and blocks the caller's IP for 10–15 minutes, every endpoint
included. So each request waits for a token from two buckets: the process's global budget
(`ibkr_requests_per_second`, this process's share of the 10) and its endpoint's, keyed by the
path template without the query (`/portfolio/{account}/positions/{page}`).

A bucket is GCRA (the token bucket as a "theoretical arrival time"): `reserve(now)` returns how
long to wait and books the slot, so concurrent callers never overbook. Burst 1 by default: any
one-second window holds at most `rate` + 1 requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs per_second > 0 and burst ≥ 1, got {self}")

    @classmethod
    def every(cls, seconds: float) -> Rate:
        return cls(per_second=1.0 / seconds)


class TokenBucket:
    """GCRA: a request may go at `tat - (burst - 1) × interval`; each one moves `tat` on by one
    interval. Pure apart from the `now` the caller passes."""

    __slots__ = ("_interval", "_tat", "_tolerance")

    def __init__(self, rate: Rate) -> None:
        self._interval = 1.0 / rate.per_second
        self._tolerance = (rate.burst - 1) * self._interval
        self._tat = float("-inf")

    def reserve(self, now: float) -> float:
        """Book the next slot; the seconds to wait before using it (0 when it is free now)."""
        tat = max(self._tat, now)
        allowed_at = tat - self._tolerance
        self._tat = tat + self._interval
        return max(0.0, allowed_at - now)


# IBKR's documented per-endpoint limits (CP1 "Pacing Limitations"), by path template, each with a
# 10% margin: the gateway times arrivals, and two requests booked exactly one interval apart can
# arrive closer than that.
_MARGIN = 1.1
ENDPOINT_RATES: Mapping[str, Rate] = {
    "/iserver/account/orders": Rate.every(5.0 * _MARGIN),
    "/iserver/account/trades": Rate.every(5.0 * _MARGIN),
    "/iserver/account/pnl/partitioned": Rate.every(5.0 * _MARGIN),
    "/portfolio/accounts": Rate.every(5.0 * _MARGIN),
    "/portfolio/subaccounts": Rate.every(5.0 * _MARGIN),
    "/iserver/marketdata/snapshot": Rate(per_second=10.0 / _MARGIN),
    "/tickle": Rate.every(1.0 * _MARGIN),
    "/sso/validate": Rate.every(60.0 * _MARGIN),
}


@dataclass
class Pacer:
    """Waits, per request, for both the global and the endpoint's bucket."""

    global_rate: Rate
    endpoint_rates: Mapping[str, Rate] = field(default_factory=lambda: dict(ENDPOINT_RATES))
    clock: Callable[[], float] = time.monotonic
    _global: TokenBucket = field(init=False)
    _endpoints: dict[str, TokenBucket] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._global = TokenBucket(self.global_rate)

    async def acquire(self, template: str) -> None:
        # The endpoint's slot first, then the global one at the time of sending: a request held back
        # by its endpoint never books a global slot it will not use.
        rate = self.endpoint_rates.get(template)
        if rate is not None:
            bucket = self._endpoints.setdefault(template, TokenBucket(rate))
            wait = bucket.reserve(self.clock())
            if wait > 0:
                await asyncio.sleep(wait)
        wait = self._global.reserve(self.clock())
        if wait > 0:
            await asyncio.sleep(wait)
