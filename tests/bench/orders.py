"""The order path: simulate latency (paper and fake IBKR), approval → transmitted, orders per second.

Paper runs the whole read and write side in this process (paper venue, market-data, risk, execution)
on an embedded nats-server; IBKR runs execution with the real adapter against the fake gateway and a
stand-in for risk's what-if. Orders are driven over the bus exactly as the gateway drives them, with
approvals signed by a throwaway key pair.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.fake.books import monthly, seed_demo
from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES, Rate
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.execution.service import run as run_execution
from deltadesk.execution.settings import ExecutionSettings
from deltadesk.execution.testing import ExecutionHarness, FakeRisk, listed_put, simulate_when_ready
from deltadesk.market_data.service import run as run_market_data
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.risk.service import run as run_risk
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CreateOrder,
    OrderView,
)
from deltadesk.shared.events import ApprovalIssued, OrderStateChanged
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, Approval, LegSpec, OrderRequest, OrderState, OrderType
from deltadesk.shared.signing import ensure_keypair, load_signing_key, sign_approval
from deltadesk.shared.simulation import Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_ORDER,
    EXEC_ORDERS_CREATE,
)
from deltadesk.shared.testing import nats_test_server
from tests.bench.stats import summary_ms

CONFIG = Path(__file__).resolve().parents[2] / "config"
RELAXED = {  # the bench sends many alike orders quickly: these controls would (rightly) stop it
    "exec_duplicate_window_s": 0.001,
    "exec_max_orders_per_minute": 100_000,
}


class Timeline:
    """When each order reached each state, from the order events on the bus."""

    def __init__(self) -> None:
        self.seen: dict[tuple[UUID, OrderState], float] = {}
        self.changed = asyncio.Event()

    async def on_order(self, event: OrderStateChanged) -> None:
        self.seen.setdefault((event.order.order_id, event.state), time.perf_counter())
        self.changed.set()

    async def reached(self, order_id: UUID, *states: OrderState, timeout: float = 30) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            for state in states:
                if (order_id, state) in self.seen:
                    return self.seen[(order_id, state)]
            if time.perf_counter() > deadline:
                raise TimeoutError(f"order {order_id} did not reach {states}")
            self.changed.clear()
            await asyncio.wait({asyncio.ensure_future(self.changed.wait())}, timeout=0.5)


async def _approve(gateway: Bus, keys: Path, simulation: Simulation, account: str) -> None:
    now = datetime.now(UTC)
    approval = Approval(
        approval_id=uuid4(),
        order_id=simulation.order_id,
        simulation_id=simulation.simulation_id,
        order_hash=simulation.order_hash,
        nonce=uuid4().hex,
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
        user="bench",
    )
    signed = sign_approval(approval, load_signing_key(ensure_keypair(keys)[0]))
    event = ApprovalIssued(event_id=uuid4(), occurred_at=now, account=account, approval=signed)
    await gateway.publish(EXEC_APPROVAL, event, account=account)


@asynccontextmanager
async def _paper_desk(url: str, data: Path) -> AsyncIterator[Path]:
    keys = data / "keys"
    ensure_keypair(keys)
    common: dict[str, Any] = {
        "nats_url": url,
        "data_dir": data,
        "config_dir": CONFIG,
        "approval_key_dir": keys,
    }
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            run_venue(
                PaperVenueSettings(**common, paper_seed=4, paper_tick_s=0.05, paper_fill_latency_s=0.0), stop
            )
        ),
        asyncio.create_task(
            run_market_data(
                MarketDataSettings(**common, md_quotes_interval_s=0.2, md_positions_interval_s=0.5), stop
            )
        ),
        asyncio.create_task(run_risk(RiskSettings(**common, beta_sources=("config",)), stop)),
        asyncio.create_task(run_execution(ExecutionSettings(**common, **RELAXED), stop)),
    ]
    try:
        yield keys
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=30)


async def paper_orders(count: int = 30) -> dict[str, Any]:
    with nats_test_server() as url, tempfile.TemporaryDirectory(prefix="dd-bench-orders-") as data:
        async with _paper_desk(url, Path(data)) as keys:
            gateway = await Bus.connect(url, "gateway")
            timeline = Timeline()
            await gateway.subscribe(EXEC_ORDER, timeline.on_order)
            leg = await listed_put(gateway, "PAPER")
            request = OrderRequest(account="PAPER", legs=(leg,), order_type=OrderType.MARKET)
            warm = await gateway.request(
                EXEC_ORDERS_CREATE, CreateOrder(request=request, user="bench"), OrderView
            )
            await simulate_when_ready(
                gateway, warm.order.order_id
            )  # the first waits for risk to know the book
            simulate, transmit, whole = [], [], []
            started = time.perf_counter()
            for _ in range(count):
                begin = time.perf_counter()
                view = await gateway.request(
                    EXEC_ORDERS_CREATE, CreateOrder(request=request, user="bench"), OrderView
                )
                t0 = time.perf_counter()
                simulation = await simulate_when_ready(gateway, view.order.order_id)
                simulate.append(time.perf_counter() - t0)
                sent = time.perf_counter()
                await _approve(gateway, keys, simulation, "PAPER")
                submitted = await timeline.reached(
                    view.order.order_id, OrderState.SUBMITTED, OrderState.FILLED
                )
                transmit.append(submitted - sent)
                await timeline.reached(view.order.order_id, OrderState.FILLED, OrderState.REJECTED)
                whole.append(time.perf_counter() - begin)
            elapsed = time.perf_counter() - started
            await gateway.close()
    return {
        "simulate": {**summary_ms(simulate), "target": "seed: within 5 s; goal: p99 under 100 ms on paper"},
        "approval_to_transmitted": summary_ms(transmit),
        "create_to_filled": summary_ms(whole),
        "orders_per_second_full_path": round(count / elapsed, 2),
        "orders": count,
        "note": "one order at a time (create → simulate → approve → filled): latency-bound, not a load test",
    }


async def ibkr_simulate(count: int = 30) -> dict[str, Any]:
    state = GatewayState(
        "DU1234567",
        # the adapter's own pacing is what is measured here, so the fake does not police it
        limits=Limits(global_per_s=10_000, slow_interval_s=0.0, tickle_interval_s=0.0),
        wall=lambda: datetime.now(UTC),
    )
    seed_demo(state)
    fast = {path: Rate.every(0.06) for path, rate in ENDPOINT_RATES.items() if rate.per_second < 1}
    tuning = IbkrTuning(
        snapshot_retry_s=0.01,
        reauth_check_s=0.01,
        requests_per_second=400.0,
        endpoint_rates={**ENDPOINT_RATES, **fast, "/iserver/marketdata/snapshot": Rate(per_second=400)},
    )
    with nats_test_server() as url, tempfile.TemporaryDirectory(prefix="dd-bench-ibkr-") as data:
        async with FakeGateway(state) as fake:
            broker = IbkrBroker(
                BrokerSettings(
                    _env_file=None,
                    ibkr_account_id="DU1234567",  # type: ignore[call-arg]
                    ibkr_gateway_url=fake.url,
                    live_trading=True,
                ),
                tuning=tuning,
            )
            settings = ExecutionSettings(
                nats_url=url,
                data_dir=Path(data),
                approval_key_dir=Path(data) / "keys",
                live_trading=True,
                **RELAXED,
            )
            gateway, risk_bus = await Bus.connect(url, "gateway"), await Bus.connect(url, "risk")
            harness = ExecutionHarness(
                settings, broker, gateway, risk_bus, risk=FakeRisk(), account="DU1234567"
            )
            leg = LegSpec(
                action=Action.SELL,
                instrument=InstrumentType.OPT,
                underlying="SPX",
                quantity=1,
                expiry=monthly(state),
                strike=Decimal(5800),
                right=Right.PUT,
                trading_class="SPXW",
            )
            simulate, transmit = [], []
            async with harness:
                (quote,) = await broker.contract_quotes([await broker.resolve(leg)])
                limit = str(-(quote.mid or Decimal("1.00")))  # at the mid: inside the price collar
                for index in range(count + 1):
                    draft = await harness.create(leg, limit=limit)
                    t0 = time.perf_counter()
                    simulation = await harness.simulate(draft.order.order_id)
                    if index == 0:
                        continue  # warm-up: contract lookups and the first snapshot
                    simulate.append(time.perf_counter() - t0)
                    if index <= 10:  # a few through to the gateway's order ticket
                        sent = time.perf_counter()
                        await harness.approve(simulation)
                        await harness.state(draft.order.order_id, OrderState.SUBMITTED)
                        transmit.append(time.perf_counter() - sent)
            await broker.close()
            await gateway.close()
            await risk_bus.close()
    return {
        "simulate": {**summary_ms(simulate), "note": "fake gateway, pacing lifted; risk's what-if stubbed"},
        "approval_to_transmitted": summary_ms(transmit),
    }


def bench_orders() -> dict[str, Any]:
    return {"paper": asyncio.run(paper_orders()), "ibkr": asyncio.run(ibkr_simulate())}


if __name__ == "__main__":
    import json

    print(json.dumps(bench_orders(), indent=2))
