"""The paper adapter against the real paper venue service on a real NATS server: the whole Broker
port, with orders approved the only way there is (`approve_for_test` → `verify_approval`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from deltadesk.brokers.paper import PaperBroker
from deltadesk.execution.testing import approve_for_test
from deltadesk.paper_venue.service import run
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, OrderStateUnknown
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.messages import Ack
from deltadesk.shared.orders import (
    Action,
    ApprovedOrder,
    Contract,
    LegSpec,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.paper import FaultKind, FillBehaviour, InjectFault, SetFillBehaviour
from deltadesk.shared.signing import ensure_keypair
from deltadesk.shared.subjects import VENUE_FAULT_SET, VENUE_FILLS_SET
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

BusFactory = Callable[[str], Awaitable[Bus]]
SIM_START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 New York
MONTHLY = date(2026, 12, 18)


@dataclass
class Desk:
    """The paper venue (restartable), the adapter as market-data and as execution hold it, and the CLI."""

    settings: PaperVenueSettings
    broker: PaperBroker  # market-data's: the read side
    trader: PaperBroker  # execution's: the write side
    cli: Bus
    keys: Path
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(run(self.settings, self.stop))

        async def answering() -> bool:
            try:
                return bool(await self.broker.positions("PAPER"))
            except BrokerUnavailable:
                return False

        await eventually(answering, what="the paper venue answering")

    async def halt(self) -> None:
        assert self.task is not None
        self.stop.set()
        await asyncio.wait({self.task}, timeout=30)
        assert self.task.done()

    def approve(self, order: Order, key_dir: Path | None = None) -> ApprovedOrder:
        return approve_for_test(order, key_dir or self.keys, datetime.now(UTC))


async def inject(cli: Bus, kind: FaultKind) -> None:
    assert await cli.request(VENUE_FAULT_SET, InjectFault(kind=kind), Ack) == Ack()


async def fills(cli: Bus, behaviour: FillBehaviour) -> None:
    assert await cli.request(VENUE_FILLS_SET, SetFillBehaviour(behaviour=behaviour), Ack) == Ack()


@pytest.fixture
async def desk(nats_url: str, bus_factory: BusFactory, tmp_path: Path) -> AsyncIterator[Desk]:
    keys = tmp_path / "keys"
    ensure_keypair(keys)  # what `deltadesk up` does before starting the services
    settings = PaperVenueSettings(
        nats_url=nats_url,
        paper_seed=3,
        paper_tick_s=0.05,
        paper_start=SIM_START,
        paper_fill_latency_s=0.0,
        approval_key_dir=keys,
        data_dir=tmp_path,
    )
    running = Desk(
        settings,
        PaperBroker(await bus_factory("market-data"), timeout=0.5),
        PaperBroker(await bus_factory("execution"), timeout=0.5),
        await bus_factory("cli"),
        keys,
    )
    await running.start()
    yield running
    await running.halt()


def spx_put(action: Action, quantity: int, strike: int, expiry: date = MONTHLY) -> LegSpec:
    return LegSpec(
        action=action,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=quantity,
        expiry=expiry,
        strike=Decimal(strike),
        right=Right.PUT,
    )


async def order_of(
    desk: Desk,
    *legs: LegSpec,
    order_type: OrderType = OrderType.LIMIT,
    limit: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
) -> Order:
    resolved = [
        OrderLeg(action=leg.action, quantity=leg.quantity, contract=await desk.trader.resolve(leg))
        for leg in legs
    ]
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=tuple(resolved),
        order_type=order_type,
        limit_price=Decimal(limit) if limit is not None else None,
        tif=tif,
        created_at=datetime.now(UTC),
    )


# ── the port ────────────────────────────────────────────────────────────────────────────────────
async def test_the_paper_broker_is_a_broker_named_paper(bus_factory: BusFactory) -> None:
    broker: Broker = PaperBroker(await bus_factory("market-data"))
    assert broker.name == "paper"


async def test_a_non_positive_timeout_is_refused(bus_factory: BusFactory) -> None:
    with pytest.raises(ValueError, match="timeout"):
        PaperBroker(await bus_factory("market-data"), timeout=0)


# ── read side ───────────────────────────────────────────────────────────────────────────────────
async def test_positions_come_back_as_domain_positions(desk: Desk) -> None:
    positions = await desk.broker.positions("PAPER")
    assert len(positions) == 13
    by_symbol = {p.symbol: p for p in positions}
    assert by_symbol["AAPL"].quantity == 200
    assert by_symbol["/ESZ6"].instrument is InstrumentType.FUT
    assert by_symbol["/ESZ6"].multiplier == 50
    assert by_symbol["/MESZ6"].multiplier == 5
    assert all(p.account == "PAPER" for p in positions)


async def test_balances_come_back_for_the_account(desk: Desk) -> None:
    balances = await desk.broker.balances("PAPER")
    assert balances.account == "PAPER"
    assert balances.net_liquidation == pytest.approx(Decimal(500_000), rel=Decimal("0.05"))
    assert balances.maintenance_margin > 0


async def test_quotes_leave_unknown_symbols_out(desk: Desk) -> None:
    quotes = await desk.broker.quotes(["SPX", "VIX", "TSLA", "/ESZ6", "SPX"])
    assert [q.symbol for q in quotes] == ["SPX", "VIX", "/ESZ6"]
    assert all(q.bid is not None and q.ask is not None and q.bid < q.ask for q in quotes)


async def test_no_symbols_need_no_request(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.SILENT)  # a request would time out
    assert await desk.broker.quotes([]) == []
    assert await desk.broker.contract_quotes([]) == []
    await inject(desk.cli, FaultKind.NONE)


async def test_more_symbols_than_one_request_takes_are_sent_in_batches(desk: Desk) -> None:
    many = ["SPX", *(f"X{n}" for n in range(600)), "VIX"]
    quotes = await desk.broker.quotes(many)
    assert [q.symbol for q in quotes] == ["SPX", "VIX"]


async def test_legs_resolve_to_listed_contracts(desk: Desk) -> None:
    monthly = await desk.broker.resolve(spx_put(Action.SELL, 1, 5500))
    assert (monthly.symbol, monthly.trading_class, monthly.multiplier) == (
        "SPX   261218P05500000",
        "SPX",
        100,
    )
    weekly = await desk.broker.resolve(spx_put(Action.SELL, 1, 5500, date(2026, 12, 11)))
    assert weekly.trading_class == "SPXW"
    future = await desk.broker.resolve(
        LegSpec(action=Action.BUY, instrument=InstrumentType.FUT, underlying="/MES", quantity=1)
    )
    assert future == await desk.broker.front_month("/MES")
    assert future.symbol == "/MESZ6"
    with pytest.raises(BrokerRejected, match=r"no 5501 strike .*nearest listed: 5500, 5505"):
        await desk.broker.resolve(spx_put(Action.SELL, 1, 5501))


async def test_expiries_chains_and_contract_quotes(desk: Desk) -> None:
    expiries = await desk.broker.expiries("SPX", InstrumentType.OPT)
    assert expiries[0] == date(2026, 11, 24)
    assert MONTHLY in expiries
    assert (await desk.broker.expiries("/ES", InstrumentType.FOP))[-1] == MONTHLY
    chain = await desk.broker.chain("SPX", MONTHLY, InstrumentType.OPT)
    row = next(r for r in chain.rows if r.strike == 5500)
    assert row.put is not None
    assert row.put.greeks is not None
    assert row.put.greeks.delta < 0
    quotes = await desk.broker.contract_quotes([row.put.contract, await desk.broker.front_month("/ES")])
    assert [q.contract.symbol for q in quotes] == ["SPX   261218P05500000", "/ESZ6"]
    with pytest.raises(BrokerRejected, match="2026-12-19"):
        await desk.broker.chain("SPX", date(2026, 12, 19), InstrumentType.OPT)


async def test_an_unknown_account_is_rejected_with_the_venues_reason(desk: Desk) -> None:
    with pytest.raises(BrokerRejected, match="no account 'U404'"):
        await desk.broker.positions("U404")
    with pytest.raises(BrokerRejected, match="no account 'U404'"):
        await desk.broker.balances("U404")


# ── write side ──────────────────────────────────────────────────────────────────────────────────
async def test_a_what_if_reports_margin_and_commission(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 2, 5500), spx_put(Action.BUY, 2, 5450), limit="-3")
    whatif = await desk.trader.whatif(order)
    assert whatif.initial_margin_change == Decimal("10000.00")
    assert whatif.commission == Decimal("5.00")
    assert whatif.initial_margin_after == whatif.initial_margin_before + whatif.initial_margin_change  # type: ignore[operator]


async def test_an_approved_order_is_placed_filled_and_reported(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 2, 5500), order_type=OrderType.MARKET)
    assert await desk.trader.find_order("PAPER", order.client_order_id) is None
    since = datetime.now(UTC) - timedelta(seconds=1)
    broker_order_id = await desk.trader.place(desk.approve(order))
    status = await desk.trader.status("PAPER", broker_order_id)
    assert status.state is OrderState.FILLED
    assert (status.filled_quantity, status.remaining_quantity) == (2, 0)
    assert status.average_price is not None
    assert status.average_price < 0  # a credit
    assert await desk.trader.find_order("PAPER", order.client_order_id) == status
    (execution,) = await desk.trader.executions("PAPER", since)
    assert (execution.broker_order_id, execution.symbol, execution.quantity) == (
        broker_order_id,
        "SPX   261218P05500000",
        2,
    )
    assert execution.price == -status.average_price
    held = {p.symbol: p.quantity for p in await desk.broker.positions("PAPER")}
    assert held["SPX   261218P05500000"] == -2


async def test_place_takes_nothing_but_an_approved_order(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    with pytest.raises(TypeError, match="only an ApprovedOrder"):
        await desk.trader.place(order)  # type: ignore[arg-type]
    assert await desk.trader.find_order("PAPER", order.client_order_id) is None


async def test_a_resting_order_is_cancelled(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), limit="-400")
    broker_order_id = await desk.trader.place(desk.approve(order))
    assert (await desk.trader.status("PAPER", broker_order_id)).state is OrderState.SUBMITTED
    await desk.trader.cancel("PAPER", broker_order_id)
    cancelled = await desk.trader.status("PAPER", broker_order_id)
    assert cancelled.state is OrderState.CANCELLED
    assert cancelled.reason == "cancelled by the trader"
    with pytest.raises(BrokerRejected, match="only a working order can be cancelled"):
        await desk.trader.cancel("PAPER", broker_order_id)


async def test_a_partial_fill_stays_working(desk: Desk) -> None:
    await fills(desk.cli, FillBehaviour.PARTIAL)
    order = await order_of(
        desk, spx_put(Action.SELL, 4, 5500), spx_put(Action.BUY, 4, 5450), order_type=OrderType.MARKET
    )
    broker_order_id = await desk.trader.place(desk.approve(order))
    status = await desk.trader.status("PAPER", broker_order_id)
    assert status.state is OrderState.PARTIAL
    assert (status.filled_quantity, status.remaining_quantity) == (2, 2)
    assert [(leg.quantity, leg.ordered) for leg in status.legs] == [(2, 4), (2, 4)]
    assert len(await desk.trader.executions("PAPER", status.updated_at)) == 2
    first_spx = (await desk.broker.quotes(["SPX"]))[0].last

    async def ticked() -> bool:
        return (await desk.broker.quotes(["SPX"]))[0].last != first_spx

    await eventually(ticked, what="the market ticking")
    later = await desk.trader.status("PAPER", broker_order_id)
    assert later.state is OrderState.PARTIAL  # never auto-cancelled, nor filled while PARTIAL lasts
    assert later.filled_quantity == 2


async def test_a_rejection_comes_back_with_its_reason(desk: Desk) -> None:
    await fills(desk.cli, FillBehaviour.REJECT)
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    with pytest.raises(BrokerRejected, match="fill behaviour REJECT"):
        await desk.trader.place(desk.approve(order))
    found = await desk.trader.find_order("PAPER", order.client_order_id)
    assert found is not None
    assert found.state is OrderState.REJECTED
    assert found.reason is not None
    assert "fill behaviour REJECT" in found.reason


async def test_an_order_beyond_buying_power_is_rejected(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 300, 5500), order_type=OrderType.MARKET)
    with pytest.raises(BrokerRejected, match="insufficient buying power"):
        await desk.trader.place(desk.approve(order))


async def test_an_approval_signed_with_another_key_is_refused(desk: Desk, tmp_path: Path) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    forged = desk.approve(order, key_dir=tmp_path / "someone-elses-keys")
    with pytest.raises(BrokerRejected, match="not signed by the approval key"):
        await desk.trader.place(forged)
    assert await desk.trader.find_order("PAPER", order.client_order_id) is None


async def test_a_duplicate_client_order_id_is_refused(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    first = await desk.trader.place(desk.approve(order))
    with pytest.raises(
        BrokerRejected, match=f"already has an order with client order id {order.client_order_id}"
    ):
        await desk.trader.place(desk.approve(order))  # approved again, but the same order
    assert (await desk.trader.find_order("PAPER", order.client_order_id)).broker_order_id == first  # type: ignore[union-attr]


async def test_the_status_of_an_unknown_order_is_rejected(desk: Desk) -> None:
    with pytest.raises(BrokerRejected, match="no order 'po-404'"):
        await desk.trader.status("PAPER", "po-404")


async def test_orders_fills_and_positions_survive_a_venue_restart(desk: Desk) -> None:
    filled = await order_of(desk, spx_put(Action.SELL, 2, 5500), order_type=OrderType.MARKET)
    filled_id = await desk.trader.place(desk.approve(filled))
    resting = await order_of(desk, spx_put(Action.SELL, 1, 5505), limit="-400", tif=TimeInForce.GTC)
    resting_id = await desk.trader.place(desk.approve(resting))
    since = datetime.now(UTC) - timedelta(minutes=1)
    before = (await desk.trader.status("PAPER", filled_id), await desk.trader.executions("PAPER", since))
    held_before = {p.symbol: p.quantity for p in await desk.broker.positions("PAPER")}

    await desk.halt()
    await desk.start()

    assert (
        await desk.trader.status("PAPER", filled_id),
        await desk.trader.executions("PAPER", since),
    ) == before
    assert {p.symbol: p.quantity for p in await desk.broker.positions("PAPER")} == held_before
    assert (await desk.trader.status("PAPER", resting_id)).state is OrderState.SUBMITTED
    await desk.trader.cancel("PAPER", resting_id)  # still working after the restart


# ── failures ────────────────────────────────────────────────────────────────────────────────────
async def test_place_during_a_silent_fault_is_order_state_unknown_and_found_later(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    approved = desk.approve(order)
    await inject(desk.cli, FaultKind.SILENT)
    with pytest.raises(OrderStateUnknown, match=order.client_order_id):
        await desk.trader.place(approved)
    await inject(desk.cli, FaultKind.NONE)

    async def arrived() -> bool:
        found = await desk.trader.find_order("PAPER", order.client_order_id)
        return found is not None and found.state is OrderState.FILLED

    await eventually(arrived, what="the held order arriving once the venue answers again")


async def test_place_at_an_unavailable_venue_is_broker_unavailable(desk: Desk) -> None:
    order = await order_of(desk, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    await inject(desk.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable, match="fault injected"):
        await desk.trader.place(desk.approve(order))
    await inject(desk.cli, FaultKind.NONE)
    assert await desk.trader.find_order("PAPER", order.client_order_id) is None


async def test_place_with_no_venue_running_is_broker_unavailable(
    bus_factory: BusFactory, tmp_path: Path
) -> None:
    trader = PaperBroker(await bus_factory("execution"), timeout=0.5)
    contract_leg = OrderLeg(
        action=Action.BUY,
        quantity=1,
        contract=Contract(
            symbol="AAPL", underlying="AAPL", instrument=InstrumentType.STK, multiplier=Decimal(1)
        ),
    )
    order = Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(contract_leg,),
        order_type=OrderType.MARKET,
        limit_price=None,
        tif=TimeInForce.DAY,
        created_at=datetime.now(UTC),
    )
    with pytest.raises(BrokerUnavailable, match="not received"):
        await trader.place(approve_for_test(order, tmp_path / "keys", datetime.now(UTC)))


async def test_an_unavailable_venue_raises_broker_unavailable(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable, match="fault injected"):
        await desk.broker.positions("PAPER")
    with pytest.raises(BrokerUnavailable):
        await desk.broker.balances("PAPER")
    with pytest.raises(BrokerUnavailable):
        await desk.broker.quotes(["SPX"])
    with pytest.raises(BrokerUnavailable):
        await desk.broker.expiries("SPX", InstrumentType.OPT)


async def test_a_silent_venue_raises_broker_unavailable_after_the_timeout(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.SILENT)
    with pytest.raises(BrokerUnavailable, match=r"no answer .* within 0.5 s"):
        await desk.broker.positions("PAPER")
    with pytest.raises(BrokerUnavailable, match=r"no answer"):
        await desk.trader.find_order("PAPER", "dd-nothing")


async def test_the_broker_recovers_when_the_fault_clears(desk: Desk) -> None:
    await inject(desk.cli, FaultKind.UNAVAILABLE)
    with pytest.raises(BrokerUnavailable):
        await desk.broker.positions("PAPER")
    await inject(desk.cli, FaultKind.SILENT)
    with pytest.raises(BrokerUnavailable):
        await desk.broker.balances("PAPER")
    await inject(desk.cli, FaultKind.NONE)
    assert len(await desk.broker.positions("PAPER")) == 13
    assert (await desk.broker.balances("PAPER")).account == "PAPER"


async def test_a_venue_that_is_not_running_is_unavailable(bus_factory: BusFactory) -> None:
    broker = PaperBroker(await bus_factory("market-data"), timeout=0.5)
    with pytest.raises(BrokerUnavailable, match="nobody answers"):
        await broker.positions("PAPER")
    await broker.close()
