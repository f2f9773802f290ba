"""The fake Tastytrade (REST on one port, DXLink on another) and the real adapter pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.market import OptionTerms
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.execution.testing import approve_for_test
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, ApprovedOrder, Contract, Order, OrderLeg, OrderType, TimeInForce

ACCOUNT = "5WT00001"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade(account_number=ACCOUNT) as server:
        yield server


@pytest.fixture
async def open_broker(fake: FakeTastytrade) -> AsyncIterator[Callable[..., TastytradeBroker]]:
    """`open_broker(live_trading=True, …)`: an adapter on the fake with those settings (closed after)."""
    opened: list[TastytradeBroker] = []

    def build(*, adapter: dict[str, Any] | None = None, **settings: Any) -> TastytradeBroker:
        broker = TastytradeBroker(fake.settings(**settings), first_data_wait_s=5.0, **(adapter or {}))
        opened.append(broker)
        return broker

    yield build
    for broker in opened:
        await broker.close()


@pytest.fixture
def broker(open_broker: Callable[..., TastytradeBroker]) -> TastytradeBroker:
    return open_broker(live_trading=True)


Pick = Callable[..., OptionTerms]


@pytest.fixture
def pick(fake: FakeTastytrade) -> Pick:
    """`pick("SPXW", Right.PUT, 5900)`: a listed option of the fake market (its nearest expiry, or
    the `nth_expiry`); roots ES and MES mean the first option root on that future product."""

    def option(root: str, right: Right, strike: int, nth_expiry: int = 0) -> OptionTerms:
        if root in ("ES", "MES"):
            root = next(s.root for s in fake.market.series if s.future.product == root)
        options = fake.market.future_options() if root[:2] in ("EW", "MW") else fake.market.equity_options()
        expiries = sorted({t.expiry for t in options if t.root == root})
        return next(
            t
            for t in options
            if t.root == root and t.right is right and t.strike == strike and t.expiry == expiries[nth_expiry]
        )

    return option


@pytest.fixture
def book(fake: FakeTastytrade, pick: Pick) -> dict[str, OptionTerms]:
    """A premium seller's book: 2 short SPXW puts, 1 short /ES put, 100 AAPL, 5 short SPY puts."""
    now = datetime.now(UTC)
    spxw = pick("SPXW", Right.PUT, 5900)
    es_put = pick("ES", Right.PUT, 5900)
    spy = pick("SPY", Right.PUT, 580)
    fake.account.hold(spxw.symbol, -2, "12.40", now)
    fake.account.hold(es_put.symbol, -1, "31.25", now)
    fake.account.hold("AAPL", 100, "201.10", now)
    fake.account.hold(spy.symbol, -5, "3.10", now)
    return {"spxw": spxw, "es_put": es_put, "spy": spy}


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def approve(key_dir: Path) -> Iterator[Callable[[Order], ApprovedOrder]]:
    """An order approved the only way there is: a signed approval through verify_approval."""

    def approved(order: Order) -> ApprovedOrder:
        return approve_for_test(order, key_dir, datetime.now(UTC))

    return approved


MakeOrder = Callable[..., Order]


@pytest.fixture
def make_order() -> MakeOrder:
    """`make_order(("SELL", 1, contract), …, limit="-1.20")`: a desk order for the fake's account
    (a market order when `limit` is None)."""

    def order(*legs: tuple[str, int, Contract], limit: str | None = "-1.20") -> Order:
        return Order(
            order_id=uuid4(),
            account=ACCOUNT,
            broker="tastytrade",
            legs=tuple(OrderLeg(action=Action(a), quantity=q, contract=c) for a, q, c in legs),
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            limit_price=Decimal(limit) if limit is not None else None,
            tif=TimeInForce.DAY,
            created_at=datetime.now(UTC),
        )

    return order
