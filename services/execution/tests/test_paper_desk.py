"""Execution with the real paper venue, market-data and risk on real NATS: the whole order path as the
gateway drives it, through the real paper adapter, with approvals signed by the test key folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from deltadesk.execution.service import run as run_execution
from deltadesk.execution.settings import ExecutionSettings
from deltadesk.execution.testing import listed_put, simulate_when_ready
from deltadesk.market_data.service import run as run_market_data
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.risk.service import run as run_risk
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CreateOrder,
    GetOrder,
    ListOrders,
    OrderList,
    OrderView,
)
from deltadesk.shared.errors import DeskError, NoResponder
from deltadesk.shared.events import ApprovalIssued, FillReceived, OrderStateChanged
from deltadesk.shared.messages import Ack
from deltadesk.shared.orders import Approval, LegSpec, OrderRequest, OrderState, OrderType
from deltadesk.shared.paper import FillBehaviour, SetFillBehaviour
from deltadesk.shared.signing import ensure_keypair, load_signing_key, sign_approval
from deltadesk.shared.simulation import Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_FILL,
    EXEC_ORDER,
    EXEC_ORDERS_CREATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    VENUE_FILLS_SET,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[3] / "config"
S = OrderState
BusFactory = Callable[[str], Awaitable[Bus]]


@dataclass
class PaperDesk:
    gateway: Bus
    operator: Bus
    settings: ExecutionSettings
    signing_key_dir: Path
    orders: list[OrderStateChanged] = field(default_factory=list)
    fills: list[FillReceived] = field(default_factory=list)
    execution: asyncio.Task[None] | None = None
    execution_stop: asyncio.Event = field(default_factory=asyncio.Event)

    def start_execution(self) -> None:
        self.execution_stop = asyncio.Event()
        self.execution = asyncio.create_task(run_execution(self.settings, self.execution_stop))

    async def stop_execution(self) -> None:
        self.execution_stop.set()
        if self.execution is not None:
            await asyncio.wait_for(self.execution, 30)

    async def serving(self) -> bool:
        try:
            await self.gateway.request(EXEC_ORDERS_LIST, ListOrders(limit=1), OrderList, timeout=0.5)
        except DeskError:
            return False
        return True

    async def short_put(self, quantity: int = 1) -> LegSpec:
        """A SPY put of the nearest listed expiry about 5 % out of the money, with a market."""
        leg = await listed_put(self.gateway, "PAPER")
        return leg.model_copy(update={"quantity": quantity})

    async def create(self, leg: LegSpec, rationale: str = "") -> OrderView:
        request = OrderRequest(account="PAPER", legs=(leg,), order_type=OrderType.MARKET, rationale=rationale)
        return await self.gateway.request(
            EXEC_ORDERS_CREATE, CreateOrder(request=request, user="trader"), OrderView
        )

    async def simulate(self, order_id: UUID) -> Simulation:
        return await simulate_when_ready(self.gateway, order_id)

    async def approve(self, simulation: Simulation) -> None:
        now = datetime.now(UTC)
        approval = Approval(
            approval_id=uuid4(),
            order_id=simulation.order_id,
            simulation_id=simulation.simulation_id,
            order_hash=simulation.order_hash,
            nonce=uuid4().hex,
            issued_at=now,
            expires_at=now + timedelta(seconds=60),
            user="trader",
        )
        signed = sign_approval(approval, load_signing_key(ensure_keypair(self.signing_key_dir)[0]))
        issued = ApprovalIssued(event_id=uuid4(), occurred_at=now, account="PAPER", approval=signed)
        await self.gateway.publish(EXEC_APPROVAL, issued, account="PAPER")

    async def state(self, order_id: UUID, *wanted: OrderState) -> OrderView:
        seen: list[str] = []

        async def probe() -> OrderView | None:
            try:
                shown = await self.gateway.request(EXEC_ORDERS_GET, GetOrder(order_id=order_id), OrderView)
            except DeskError as exc:  # execution restarting
                seen.append(repr(exc))
                return None
            seen.append(f"{shown.state.value} {shown.code} {shown.reason}")
            return shown if shown.state in wanted else None

        try:
            return await eventually(probe, timeout=30, interval=0.05, what=f"order in {wanted}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last seen: {seen[-1:]}") from None

    async def fill_behaviour(self, behaviour: FillBehaviour) -> None:
        async def attempt() -> Ack | None:
            try:  # the venue subscribes its subjects one after another as it starts
                return await self.operator.request(
                    VENUE_FILLS_SET, SetFillBehaviour(behaviour=behaviour), Ack
                )
            except NoResponder:
                return None

        await eventually(attempt, timeout=10, what="the venue taking a fill behaviour")


@pytest.fixture
async def paper(nats_url: str, tmp_path: Path, bus_factory: BusFactory) -> AsyncIterator[PaperDesk]:
    keys = tmp_path / "keys"
    ensure_keypair(keys)
    common: dict[str, Any] = {
        "nats_url": nats_url,
        "data_dir": tmp_path,
        "config_dir": CONFIG,
        "approval_key_dir": keys,
    }
    stop = asyncio.Event()
    others = [
        asyncio.create_task(
            run_venue(
                PaperVenueSettings(**common, paper_seed=7, paper_tick_s=0.1, paper_fill_latency_s=0), stop
            )
        ),
        asyncio.create_task(
            run_market_data(
                MarketDataSettings(**common, md_quotes_interval_s=0.2, md_positions_interval_s=0.3), stop
            )
        ),
        asyncio.create_task(run_risk(RiskSettings(**common, beta_sources=("config",)), stop)),
    ]
    desk = PaperDesk(
        gateway=await bus_factory("gateway"),
        operator=await bus_factory("cli"),
        settings=ExecutionSettings(**common, exec_tracking_interval_s=0.1),
        signing_key_dir=keys,
    )

    async def on_order(event: OrderStateChanged) -> None:
        desk.orders.append(event)

    async def on_fill(event: FillReceived) -> None:
        desk.fills.append(event)

    await desk.gateway.subscribe(EXEC_ORDER, on_order)
    await desk.gateway.subscribe(EXEC_FILL, on_fill)
    desk.start_execution()
    try:
        await listed_put(desk.gateway, "PAPER")  # the venue and market-data answer with a chain
        await eventually(desk.serving, timeout=20, interval=0.1, what="execution serving")
        yield desk
    finally:
        await desk.stop_execution()
        stop.set()
        done, pending = await asyncio.wait(others, timeout=20)
        for task in pending:
            task.cancel()
        assert not pending, "a service did not stop within 20 s"
        for task in done:
            assert task.exception() is None, task.exception()


async def test_a_paper_order_fills_with_its_market_context(paper: PaperDesk) -> None:
    leg = await paper.short_put()
    draft = await paper.create(leg, rationale="collect theta")
    simulation = await paper.simulate(draft.order.order_id)
    assert simulation.whatif.initial_margin_change is not None
    assert simulation.whatif.initial_margin_change > 0  # a naked short put needs margin
    assert (
        simulation.risk.post_trade.spx_delta > simulation.risk.pre_trade.spx_delta
    )  # a short put adds delta

    await paper.approve(simulation)
    filled = await paper.state(draft.order.order_id, S.FILLED)
    assert filled.filled_quantity == 1

    fill = await eventually(lambda: [f for f in paper.fills if f.order_id == draft.order.order_id])
    (fill,) = fill
    assert fill.broker == "paper"
    assert fill.net_debit_credit < 0  # premium received
    assert fill.legs[0].price is not None
    assert fill.commission is not None
    assert fill.commission > 0
    assert fill.spx_price == simulation.risk.spx_price
    assert fill.pre_trade == simulation.risk.pre_trade
    assert fill.regime == simulation.risk.regime
    assert fill.rationale == "collect theta"

    def states() -> list[OrderState] | None:
        seen = [e.state for e in paper.orders if e.order.order_id == draft.order.order_id]
        return seen if seen[-1:] == [S.FILLED] else None

    seen = await eventually(states, what="the FILLED event")
    assert seen[0] is S.DRAFT
    assert seen[-3:] == [S.APPROVED, S.SUBMITTED, S.FILLED]  # a retried simulation may repeat SIMULATED


async def test_a_partial_paper_fill_survives_an_execution_restart_and_completes(paper: PaperDesk) -> None:
    await paper.fill_behaviour(FillBehaviour.PARTIAL)
    draft = await paper.create(await paper.short_put(quantity=2))
    await paper.approve(await paper.simulate(draft.order.order_id))
    partial = await paper.state(draft.order.order_id, S.PARTIAL)
    assert partial.filled_quantity == 1
    assert partial.legs[0].quantity == 1
    assert partial.legs[0].ordered == 2

    await paper.stop_execution()
    await paper.fill_behaviour(FillBehaviour.IMMEDIATE)  # the rest fills while execution is down
    paper.start_execution()
    filled = await paper.state(draft.order.order_id, S.FILLED)
    assert filled.broker_order_id == partial.broker_order_id
    fills = await eventually(
        lambda: f if len(f := [x for x in paper.fills if x.order_id == draft.order.order_id]) >= 2 else None
    )
    assert [f.order_state for f in fills] == [S.PARTIAL, S.FILLED]
    assert sum(f.quantity for f in fills) == 2


async def test_a_paper_rejection_is_rejected_with_the_venues_reason(paper: PaperDesk) -> None:
    await paper.fill_behaviour(FillBehaviour.REJECT)
    draft = await paper.create(await paper.short_put())
    await paper.approve(await paper.simulate(draft.order.order_id))
    rejected = await paper.state(draft.order.order_id, S.REJECTED)
    assert rejected.code == "BROKER_REJECTED"
    assert rejected.reason
    assert not [f for f in paper.fills if f.order_id == draft.order.order_id]
    assert Decimal(0) == rejected.filled_quantity
