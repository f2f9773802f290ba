"""The fake gateway served over HTTPS by uvicorn on a free port, and the real adapter pointed at it.

Waits are shortened the same way on both sides (the fake's pacing limits and the adapter's
buckets), so the tests run in seconds while the adapter still has to respect the fake's limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES, Rate
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.execution.testing import approve_for_test
from deltadesk.shared.orders import ApprovedOrder, LegSpec, Order, OrderLeg, OrderType, TimeInForce

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ACCOUNT = "DU1234567"
SLOW_S = 0.05  # the fake's "1 per 5 s" endpoints, shortened


class FixedClock:
    def now(self) -> datetime:
        return NOW


def fast_tuning(**changes: Any) -> IbkrTuning:
    rates = {path: Rate.every(SLOW_S * 1.2) for path, rate in ENDPOINT_RATES.items() if rate.per_second < 1}
    values: dict[str, Any] = {
        "snapshot_retry_s": 0.01,
        "reauth_check_s": 0.01,
        "requests_per_second": 400.0,
        "endpoint_rates": {**ENDPOINT_RATES, **rates, "/iserver/marketdata/snapshot": Rate(per_second=400)},
        "penalty_cooldown_s": 30.0,
    }
    values.update(changes)
    return IbkrTuning(**values)


def broker_settings(url: str, **changes: Any) -> BrokerSettings:
    values: dict[str, Any] = {
        "ibkr_account_id": ACCOUNT,
        "ibkr_gateway_url": url,
        "live_trading": True,
        "broker_timeout_s": 2.0,
        "ibkr_tickle_interval_s": 60.0,
    }
    values.update(changes)
    return BrokerSettings(_env_file=None, **values)


@pytest.fixture
def state() -> GatewayState:
    return GatewayState(
        ACCOUNT,
        today=NOW.date(),
        limits=Limits(global_per_s=500, slow_interval_s=SLOW_S, tickle_interval_s=0.0, penalty_s=60.0),
        wall=lambda: NOW,
    )


@pytest.fixture
async def gateway(state: GatewayState) -> AsyncIterator[FakeGateway]:
    async with FakeGateway(state) as served:
        yield served


BrokerFactory = Callable[..., IbkrBroker]


@pytest.fixture
async def make_broker(gateway: FakeGateway) -> AsyncIterator[BrokerFactory]:
    made: list[IbkrBroker] = []

    def make(*, url: str | None = None, tuning: IbkrTuning | None = None, **settings: Any) -> IbkrBroker:
        broker = IbkrBroker(
            broker_settings(url or gateway.url, **settings),
            tuning=tuning or fast_tuning(),
            clock=FixedClock(),
        )
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await broker.close()


@pytest.fixture
async def broker(make_broker: BrokerFactory) -> IbkrBroker:
    return make_broker()


@pytest.fixture
def approve(tmp_path: Path) -> Callable[[Order], ApprovedOrder]:
    def sign(order: Order) -> ApprovedOrder:
        return approve_for_test(order, tmp_path / "keys", NOW)

    return sign


async def build_order(
    broker: IbkrBroker,
    *legs: LegSpec,
    order_type: OrderType = OrderType.LIMIT,
    limit_price: Decimal | None = Decimal("-1.50"),
) -> Order:
    """An order as execution holds it: every leg resolved at IBKR by the adapter."""
    resolved = [
        OrderLeg(action=leg.action, quantity=leg.quantity, contract=await broker.resolve(leg)) for leg in legs
    ]
    return Order(
        order_id=uuid4(),
        account=ACCOUNT,
        broker="ibkr",
        legs=tuple(resolved),
        order_type=order_type,
        limit_price=limit_price if order_type is OrderType.LIMIT else None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )
