"""Shared fixtures of the paper venue's tests: the demo market at a fixed simulated start, and orders
built the way execution builds them (every leg resolved by the venue)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.paper_venue.domain.contracts import describe
from deltadesk.paper_venue.domain.demo import demo_market_config, demo_venue
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.market import MarketState, open_market
from deltadesk.paper_venue.domain.resolution import resolve
from deltadesk.paper_venue.domain.venue import Venue, held_symbols
from deltadesk.shared.orders import LegSpec, Order, OrderLeg, OrderType, TimeInForce

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
WALL = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)  # the desk's clock: never the simulated time

OrderFactory = Callable[..., Order]


@pytest.fixture
def market() -> MarketState:
    return open_market(demo_market_config(START), START)


@pytest.fixture
def rates() -> MarginRates:
    return MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)})


@pytest.fixture
def venue() -> Venue:
    return demo_venue(START, account_id="PAPER", start_cash=Decimal(500_000))


@pytest.fixture
def order_of(venue: Venue) -> OrderFactory:
    """`order_of(leg, …, order_type=…, limit=…, tif=…)`: an order of the demo venue's contracts."""

    def build(
        *legs: LegSpec,
        order_type: OrderType = OrderType.LIMIT,
        limit: str | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        account: str = "PAPER",
        broker: str = "paper",
    ) -> Order:
        held = held_symbols(venue)
        return Order(
            order_id=uuid4(),
            account=account,
            broker=broker,
            legs=tuple(
                OrderLeg(
                    action=leg.action,
                    quantity=leg.quantity,
                    contract=describe(resolve(venue.market, leg, held)),
                )
                for leg in legs
            ),
            order_type=order_type,
            limit_price=Decimal(limit) if limit is not None else None,
            tif=tif,
            created_at=WALL,
        )

    return build
