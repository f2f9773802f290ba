"""IBKR: positions → Greeks for a 200-position account against the fake Client Portal gateway.

One refresh cycle is what market-data does per account: `positions` (every page, then the batched
snapshot that brings Greeks and underlying prices) and `balances`. The adapter runs with its
production pacing (`ibkr_requests_per_second` = 5, IBKR's per-endpoint limits) against a fake that
enforces IBKR's own limits, so the times include the pacing a real gateway imposes; the counts
show the request budget a refresh costs (the goal: batched snapshots, no request per position).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.fake.books import seed_book
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.settings import BrokerSettings
from tests.bench.stats import summary_ms

POSITIONS = 200
WARM_CYCLES = 5


def bench_ibkr() -> dict[str, Any]:
    report = asyncio.run(_refresh_cycles(paced=True))
    unpaced = asyncio.run(_refresh_cycles(paced=False))
    report["steady_refresh_unpaced"] = {
        key: value for key, value in unpaced["steady_refresh"].items() if key.endswith("_ms") or key == "n"
    }
    report["steady_refresh_unpaced"]["note"] = (
        "the same cycle with pacing lifted on both sides: the adapter's and the fake's own cost"
    )
    return report


async def _refresh_cycles(*, paced: bool) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    # Paced: IBKR's 10/s and 1-per-5-s limits at the fake, the production pacing in the adapter.
    limits = Limits() if paced else Limits(global_per_s=100_000, slow_interval_s=0.0, tickle_interval_s=0.0)
    state = GatewayState(today=today, limits=limits)
    seed_book(state, POSITIONS)
    async with FakeGateway(state) as gateway:
        settings = BrokerSettings(
            _env_file=None,
            ibkr_account_id=state.account,
            ibkr_gateway_url=gateway.url,
        )
        tuning = None if paced else IbkrTuning(requests_per_second=100_000.0, endpoint_rates={})
        broker = IbkrBroker(settings, tuning=tuning)
        try:
            cold, cold_requests = await _cycle(broker, state)
            warm: list[float] = []
            warm_requests: Counter[str] = Counter()
            for _ in range(WARM_CYCLES):
                seconds, requests = await _cycle(broker, state)
                warm.append(seconds)
                warm_requests = requests  # every warm cycle costs the same; keep the last
        finally:
            await broker.close()
    return {
        "positions": POSITIONS,
        "requests_per_second_setting": settings.ibkr_requests_per_second,
        "first_refresh": {
            "ms": round(cold * 1000, 1),
            "requests_by_endpoint": dict(sorted(cold_requests.items())),
            "requests": sum(cold_requests.values()),
            "note": "includes authentication, the accounts pre-flights, contract lookups of futures "
            "and the snapshot pre-flight (first answer empty)",
        },
        "steady_refresh": {
            **summary_ms(warm),
            "requests_by_endpoint": dict(sorted(warm_requests.items())),
            "requests": sum(warm_requests.values()),
        },
        "rate_limited": state.refused[429],
        "goal": "a refresh costs a handful of requests whatever the book size: pages of 100 and one "
        "snapshot per 100 conids, never one request per position",
    }


async def _cycle(broker: IbkrBroker, state: GatewayState) -> tuple[float, Counter[str]]:
    state.requests.clear()
    started = time.perf_counter()
    positions = await broker.positions(state.account)
    await broker.balances(state.account)
    elapsed = time.perf_counter() - started
    if len(positions) != POSITIONS:
        raise RuntimeError(f"expected {POSITIONS} positions, got {len(positions)}")
    return elapsed, Counter(state.requests)


if __name__ == "__main__":
    import json

    print(json.dumps(bench_ibkr(), indent=2))
