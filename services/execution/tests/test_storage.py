"""Order records and nonces in JetStream key-value buckets on a real NATS server: compare-and-set keeps
two writers from both claiming an order, and a nonce is consumed once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.execution.adapters.nonces import NonceLedger
from deltadesk.execution.adapters.order_store import OrderNotFound, OrderStore
from deltadesk.execution.domain.record import OrderRecord, draft, simulated
from deltadesk.execution.testing import simulate_for_test
from deltadesk.shared.bus import Bus
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import Action, Contract, Order, OrderLeg, OrderState, OrderType, TimeInForce

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
BusFactory = Callable[[str], Awaitable[Bus]]


def order() -> Order:
    es = Contract(
        symbol="/ESZ6",
        underlying="/ES",
        instrument=InstrumentType.FUT,
        multiplier=Decimal(50),
        expiry=date(2026, 12, 18),
    )
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.BUY, quantity=1, contract=es),),
        order_type=OrderType.MARKET,
        limit_price=None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


class Taken(Exception):
    pass


def claim(record: OrderRecord) -> OrderRecord:
    """The shape of execution's claim: only a SIMULATED order moves on."""
    if record.state is not OrderState.SIMULATED:
        raise Taken(record.state.value)
    return record.model_copy(update={"state": OrderState.APPROVED})


async def test_two_writers_claiming_one_order_cannot_both_succeed(bus_factory: BusFactory) -> None:
    bus = await bus_factory("execution")
    first, second = await OrderStore.open(bus.js), await OrderStore.open(bus.js)
    record = draft(order(), now=NOW, event_id=uuid4())
    record = simulated(record, simulate_for_test(record.order, NOW), now=NOW, event_id=uuid4())
    await first.create(record)
    await second.load()  # both hold the same revision now

    outcomes = await asyncio.gather(
        first.update(record.order_id, claim), second.update(record.order_id, claim), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["OrderRecord", "Taken"]
    stored = await (await OrderStore.open(bus.js)).fetch(record.order_id)
    assert stored.state is OrderState.APPROVED


async def test_records_survive_a_new_store_and_unknown_ones_are_not_found(bus_factory: BusFactory) -> None:
    bus = await bus_factory("execution")
    record = draft(order(), now=NOW, event_id=uuid4())
    await (await OrderStore.open(bus.js)).create(record)
    reopened = await OrderStore.open(bus.js)
    assert [r.order_id for r in await reopened.load()] == [record.order_id]
    with pytest.raises(OrderNotFound):
        await reopened.fetch(uuid4())


async def test_a_nonce_is_consumed_once_and_remembers_by_whom(bus_factory: BusFactory) -> None:
    bus = await bus_factory("execution")
    ledger, other = await NonceLedger.open(bus.js), await NonceLedger.open(bus.js)
    first, second = uuid4(), uuid4()
    nonce = "a nonce with spaces/and*wildcards>"
    outcomes = await asyncio.gather(ledger.consume(nonce, first), other.consume(nonce, second))
    assert sorted(o.first for o in outcomes) == [False, True]
    winner = first if outcomes[0].first else second
    assert all(o.holder == winner for o in outcomes)
    again = await ledger.consume(nonce, winner)
    assert not again.first
    assert again.holder == winner
