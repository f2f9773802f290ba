"""Execution with the real IBKR adapter against the fake Client Portal gateway (HTTPS, IBKR's JSON):
simulate, the reply/confirm step kept on the order events, fills tracked from IBKR's trades."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.fake.books import monthly
from deltadesk.brokers.ibkr.fake.records import PRICE_CONSTRAINT
from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES, Rate
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.execution.testing import ExecutionHarness, FakeRisk
from deltadesk.shared.bus import Bus
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec, OrderState
from deltadesk.shared.testing import eventually

from .conftest import desk_settings

pytestmark = pytest.mark.integration
ACCOUNT = "DU1234567"
S = OrderState
BusFactory = Callable[[str], Awaitable[Bus]]


@pytest.fixture
def state() -> GatewayState:
    return GatewayState(
        ACCOUNT,
        limits=Limits(global_per_s=500, slow_interval_s=0.05, tickle_interval_s=0.0, penalty_s=60.0),
        wall=lambda: datetime.now(UTC),
    )


@pytest.fixture
async def ibkr(state: GatewayState) -> AsyncIterator[IbkrBroker]:
    fast = {path: Rate.every(0.06) for path, rate in ENDPOINT_RATES.items() if rate.per_second < 1}
    tuning = IbkrTuning(
        snapshot_retry_s=0.01,
        reauth_check_s=0.01,
        requests_per_second=400.0,
        endpoint_rates={**ENDPOINT_RATES, **fast, "/iserver/marketdata/snapshot": Rate(per_second=400)},
    )
    async with FakeGateway(state) as gateway:
        settings = BrokerSettings(
            _env_file=None,  # type: ignore[call-arg]
            ibkr_account_id=ACCOUNT,
            ibkr_gateway_url=gateway.url,
            live_trading=True,
            broker_timeout_s=2.0,
            ibkr_tickle_interval_s=60.0,
        )
        broker = IbkrBroker(settings, tuning=tuning)
        try:
            yield broker
        finally:
            await broker.close()


@pytest.fixture
async def desk(
    nats_url: str, tmp_path: Path, bus_factory: BusFactory, ibkr: IbkrBroker
) -> AsyncIterator[ExecutionHarness[IbkrBroker]]:
    settings = desk_settings(nats_url, tmp_path, live_trading=True)
    harness = ExecutionHarness(
        settings,
        ibkr,
        await bus_factory("gateway"),
        await bus_factory("risk"),
        risk=FakeRisk(spx_price=6000.0),
        account=ACCOUNT,
    )
    async with harness:
        yield harness


def spx_put(state: GatewayState, strike: str = "5800") -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=1,
        expiry=monthly(state),
        strike=Decimal(strike),
        right=Right.PUT,
        trading_class="SPXW",
    )


async def test_an_ibkr_order_confirms_ibkrs_questions_and_fills(
    desk: ExecutionHarness[IbkrBroker], state: GatewayState, ibkr: IbkrBroker
) -> None:
    leg = spx_put(state)
    contract = await ibkr.resolve(leg)
    (quote,) = await ibkr.contract_quotes([contract])
    assert quote.mid is not None
    draft = await desk.create(leg, limit=str(-quote.mid))
    simulation = await desk.simulate(draft.order.order_id)
    assert simulation.whatif.initial_margin_change is not None
    assert desk.risk.asked[-1].legs[0].greeks is not None  # IBKR's snapshot Greeks reach risk

    state.questions = [PRICE_CONSTRAINT]  # IBKR asks one question before it takes the order
    await desk.approve(simulation)
    submitted = await desk.state(draft.order.order_id, S.SUBMITTED)
    assert submitted.broker_order_id is not None

    state.fill(int(submitted.broker_order_id))
    filled = await desk.state(draft.order.order_id, S.FILLED)
    assert filled.filled_quantity == 1
    (fill,) = await eventually(lambda: desk.recorded.filled(draft.order.order_id), what="the fill")
    assert fill.broker == "ibkr"
    assert fill.net_debit_credit < 0  # a short put: premium received
    (last,) = await eventually(
        lambda: [
            e
            for e in desk.recorded.orders
            if e.order.order_id == draft.order.order_id and e.state is S.FILLED
        ],
        what="the FILLED event",
    )
    assert len(last.confirmations) == 1
    assert last.confirmations[0].startswith("o163: ")
