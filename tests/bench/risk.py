"""Risk: recompute time by book size, and quote published → Greeks published on a real bus."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

from deltadesk.risk.domain.assessment import AccountView, assess, priced, quote_prices
from deltadesk.risk.domain.greeks import weigh_numbers
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX
from deltadesk.risk.service import run as run_risk
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.events import PositionsReported, QuotesReported, RiskUpdated
from deltadesk.shared.portfolio import Beta, BetaSource
from deltadesk.shared.positions import Greeks, Position
from deltadesk.shared.quotes import Quote
from deltadesk.shared.subjects import MD_POSITIONS, MD_QUOTES, RISK_UPDATED
from deltadesk.shared.testing import nats_test_server
from tests.bench.stats import summary_ms

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
UNDERLYINGS = [f"U{i:03d}" for i in range(200)]
CONFIG = Path(__file__).resolve().parents[2] / "config"


def book(size: int, seed: int = 1) -> tuple[Position, ...]:
    rng = random.Random(seed)
    positions = []
    for i in range(size):
        underlying = rng.choice(UNDERLYINGS)
        if i % 4 == 0:
            positions.append(
                Position(
                    account="BENCH",
                    symbol=underlying,
                    underlying=underlying,
                    instrument="STK",
                    quantity=Decimal(rng.randint(1, 500)),
                    multiplier=Decimal(1),
                    underlying_price=100.0,
                )
            )
        else:
            positions.append(
                Position(
                    account="BENCH",
                    symbol=f"{underlying} {i}",
                    underlying=underlying,
                    instrument="OPT",
                    quantity=Decimal(rng.choice([-5, -2, -1, 1, 2])),
                    multiplier=Decimal(100),
                    right="P" if i % 2 else "C",
                    strike=Decimal(90 + i % 20),
                    expiry=date(2026, 12, 18),
                    greeks=Greeks(delta=rng.uniform(-1, 1), gamma=0.02, theta=-0.05, vega=0.1),
                    underlying_price=100.0,
                )
            )
    return tuple(positions)


def quotes(spx: float) -> dict[str, Quote]:
    return {
        "SPX": Quote(symbol="SPX", last=Decimal(str(spx)), as_of=NOW),
        "VIX": Quote(symbol="VIX", last=Decimal("16"), as_of=NOW),
    }


def recompute_times() -> dict[str, Any]:
    """Per book size: `recompute` is the Greeks themselves (every position beta-weighted and summed,
    from the latest quotes); `assess` is everything risk does before publishing, including the
    validated RiskUpdated event with one model per position, limits and regime."""
    betas = {u: Beta(value=1.1, source=BetaSource.CONFIG, method="bench") for u in UNDERLYINGS}
    report: dict[str, Any] = {}
    for size in (10, 100, 1_000, 10_000):
        positions = book(size)
        prices = quotes(6000.0)
        view = AccountView("BENCH", positions, NOW, prices, Decimal(100_000), ("BENCH",))
        runs = max(10, min(500, 50_000 // size))

        def recompute(positions: tuple[Position, ...] = positions, prices: dict[str, Quote] = prices) -> None:
            table = quote_prices(prices)
            weigh_numbers(((p, priced(p, table)) for p in positions), betas, 6000.0)

        def full(view: AccountView = view) -> None:
            assess(
                view,
                betas=betas,
                matrix=DEFAULT_MATRIX,
                previous_breaches=(),
                now=NOW,
                spx_max_age_s=60,
                new_id=uuid4,
            )

        report[str(size)] = {"recompute": _time(recompute, runs), "assess": _time(full, runs)}
    report["target"] = "recompute of 1,000 positions under 2 ms"
    return report


def _time(func: Any, runs: int) -> dict[str, float]:
    func()  # warm caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return summary_ms(samples)


async def quote_to_greeks(samples: int = 300) -> dict[str, Any]:
    """Closed loop on a real nats-server: publish a quote with a new SPX price, wait for the
    RiskUpdated that carries it; the time between is the latency."""
    with nats_test_server() as url:
        stop = asyncio.Event()
        settings = RiskSettings(nats_url=url, config_dir=CONFIG, beta_sources=("config",))
        risk_task = asyncio.create_task(run_risk(settings, stop))
        md = await Bus.connect(url, "market-data")
        watcher = await Bus.connect(url, "gateway")
        arrived: asyncio.Queue[tuple[float, float]] = asyncio.Queue()

        async def on_risk(update: RiskUpdated) -> None:
            if update.account == "BENCH" and update.spx_price is not None:
                await arrived.put((update.spx_price, time.perf_counter()))

        await watcher.subscribe(RISK_UPDATED, on_risk, account="BENCH")
        positions = book(100)
        now = datetime.now(UTC)
        await md.publish(
            MD_POSITIONS,
            PositionsReported(
                event_id=uuid4(),
                occurred_at=now,
                account="BENCH",
                broker="paper",
                positions=positions,
                as_of=now,
            ),
            account="BENCH",
        )
        latencies = []
        for i in range(samples + 20):
            spx = 6000.0 + i * 0.25
            now = datetime.now(UTC)
            event = QuotesReported(
                event_id=uuid4(),
                occurred_at=now,
                account="BENCH",
                broker="paper",
                quotes=(
                    Quote(symbol="SPX", last=Decimal(str(spx)), as_of=now),
                    Quote(symbol="VIX", last=Decimal("16"), as_of=now),
                ),
            )
            sent = time.perf_counter()
            await md.publish(MD_QUOTES, event, account="BENCH")
            while True:
                price, at = await asyncio.wait_for(arrived.get(), 10)
                if abs(price - spx) < 1e-9:
                    break
            if i >= 20:  # warm-up excluded
                latencies.append(at - sent)
        stop.set()
        await asyncio.wait_for(risk_task, 20)
        await md.close()
        await watcher.close()
    return {**summary_ms(latencies), "positions": 100, "target": "p99 under 20 ms on loopback"}
