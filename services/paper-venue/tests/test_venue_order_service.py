"""The paper venue's order side on a real NATS server: contracts, chains, what-if, orders placed with a
real signed approval, and its state kept across a restart in the KV bucket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.execution.testing import approve_for_test
from deltadesk.paper_venue.service import ROUTES, run
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    ChainReply,
    ContractQuoteList,
    ContractReply,
    ExecutionList,
    ExpiryList,
    OrderPlaced,
    OrderStatusReply,
    WhatIfReply,
)
from deltadesk.shared.errors import PeerUnavailable, RemoteError
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.messages import Ack
from deltadesk.shared.orders import (
    Action,
    Contract,
    LegSpec,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.paper import (
    CancelPaperOrder,
    ComputeMargin,
    FillBehaviour,
    FindPaperOrder,
    FrontMonth,
    GetPaperOrderStatus,
    GetVenueChain,
    ListPaperExecutions,
    ListPositions,
    ListVenueExpiries,
    PlacePaperOrder,
    PositionList,
    QuoteContracts,
    ResolveLeg,
    SetFillBehaviour,
)
from deltadesk.shared.signing import ensure_keypair
from deltadesk.shared.subjects import (
    CATALOG,
    VENUE_CHAIN_GET,
    VENUE_CONTRACT_RESOLVE,
    VENUE_CONTRACTS_QUOTE,
    VENUE_EXECUTIONS_LIST,
    VENUE_EXPIRIES_LIST,
    VENUE_FILLS_SET,
    VENUE_FRONTMONTH_GET,
    VENUE_MARGIN_COMPUTE,
    VENUE_ORDER_CANCEL,
    VENUE_ORDER_FIND,
    VENUE_ORDER_GET,
    VENUE_ORDER_PLACE,
    VENUE_POSITIONS_LIST,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

BusFactory = Callable[[str], Awaitable[Bus]]
SIM_START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 New York
MONTHLY = date(2026, 12, 18)


@dataclass
class Venue:
    """A paper venue that a test can stop and start again on the same NATS server."""

    settings: PaperVenueSettings
    exec: Bus  # execution: the venue's order-side requester
    cli: Bus
    keys: Path
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(run(self.settings, self.stop))

        async def answering() -> bool:
            try:
                return bool(await positions(self.exec, wait_s=1.0))
            except PeerUnavailable:
                return False

        await eventually(answering, what="the paper venue answering")

    async def halt(self) -> None:
        assert self.task is not None
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


async def positions(bus: Bus, wait_s: float = 5.0) -> PositionList:
    return await bus.request(
        VENUE_POSITIONS_LIST, ListPositions(account="PAPER"), PositionList, timeout=wait_s
    )


@pytest.fixture
async def venue(nats_url: str, bus_factory: BusFactory, tmp_path: Path) -> AsyncIterator[Venue]:
    settings = PaperVenueSettings(
        nats_url=nats_url,
        paper_seed=5,
        paper_tick_s=0.05,
        paper_start=SIM_START,
        paper_fill_latency_s=0.0,
        approval_key_dir=tmp_path / "keys",
        data_dir=tmp_path,
    )
    ensure_keypair(tmp_path / "keys")  # what `deltadesk up` does before starting the services
    running = Venue(settings, await bus_factory("execution"), await bus_factory("cli"), tmp_path / "keys")
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


async def resolved(venue: Venue, leg: LegSpec) -> Contract:
    return (await venue.exec.request(VENUE_CONTRACT_RESOLVE, ResolveLeg(leg=leg), ContractReply)).contract


async def order_of(
    venue: Venue,
    *legs: LegSpec,
    order_type: OrderType = OrderType.LIMIT,
    limit: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
) -> Order:
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=tuple(
            [
                OrderLeg(action=leg.action, quantity=leg.quantity, contract=await resolved(venue, leg))
                for leg in legs
            ]
        ),
        order_type=order_type,
        limit_price=Decimal(limit) if limit is not None else None,
        tif=tif,
        created_at=datetime.now(UTC),
    )


async def send(venue: Venue, order: Order, key_dir: Path | None = None) -> str:
    """Place the order with an approval signed by the key pair in `key_dir` (the venue's by default)."""
    approved = approve_for_test(order, key_dir or venue.keys, datetime.now(UTC))
    request = PlacePaperOrder(order=approved.order, approval=approved.approval)
    return (await venue.exec.request(VENUE_ORDER_PLACE, request, OrderPlaced)).broker_order_id


async def status_of(venue: Venue, broker_order_id: str) -> Any:
    request = GetPaperOrderStatus(account="PAPER", broker_order_id=broker_order_id)
    return (await venue.exec.request(VENUE_ORDER_GET, request, OrderStatusReply)).status


async def found(venue: Venue, order: Order) -> Any:
    request = FindPaperOrder(account="PAPER", client_order_id=order.client_order_id)
    return (await venue.exec.request(VENUE_ORDER_FIND, request, OrderStatusReply)).status


async def fills(venue: Venue, behaviour: FillBehaviour) -> None:
    assert await venue.cli.request(VENUE_FILLS_SET, SetFillBehaviour(behaviour=behaviour), Ack) == Ack()


def test_every_venue_subject_of_the_catalog_is_served() -> None:
    venue_subjects = {s.pattern for s in CATALOG if s.pattern.startswith("dd" + ".venue.")}
    assert {route.subject.pattern for route in ROUTES} == venue_subjects


async def test_contracts_expiries_chains_and_quotes_are_answered(venue: Venue) -> None:
    contract = await resolved(venue, spx_put(Action.SELL, 1, 5500))
    assert (contract.symbol, contract.trading_class) == ("SPX   261218P05500000", "SPX")
    front = await venue.exec.request(VENUE_FRONTMONTH_GET, FrontMonth(root="/ES"), ContractReply)
    assert front.contract.symbol == "/ESZ6"
    expiries = await venue.exec.request(
        VENUE_EXPIRIES_LIST, ListVenueExpiries(underlying="/MES", instrument=InstrumentType.FOP), ExpiryList
    )
    assert expiries.expiries[-1] == MONTHLY
    chain = await venue.exec.request(
        VENUE_CHAIN_GET,
        GetVenueChain(underlying="SPX", expiry=MONTHLY, instrument=InstrumentType.OPT),
        ChainReply,
    )
    assert any(row.strike == 5500 for row in chain.chain.rows)
    quotes = await venue.exec.request(
        VENUE_CONTRACTS_QUOTE, QuoteContracts(contracts=(contract, front.contract)), ContractQuoteList
    )
    assert [q.contract.symbol for q in quotes.quotes] == [contract.symbol, "/ESZ6"]
    assert quotes.quotes[0].greeks is not None
    assert quotes.quotes[1].greeks is None


async def test_an_unlisted_strike_is_answered_with_a_clear_error(venue: Venue) -> None:
    with pytest.raises(RemoteError, match=r"no 5501 strike .*nearest listed: 5500, 5505") as caught:
        await resolved(venue, spx_put(Action.SELL, 1, 5501))
    assert caught.value.remote_code == "contract_not_listed"


async def test_a_what_if_prices_the_order_against_the_account(venue: Venue) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 2, 5500), spx_put(Action.BUY, 2, 5450), limit="-3")
    reply = await venue.exec.request(VENUE_MARGIN_COMPUTE, ComputeMargin(order=order), WhatIfReply)
    assert reply.whatif.initial_margin_change == Decimal("10000.00")
    assert reply.whatif.commission == Decimal("5.00")


async def test_an_approved_order_fills_and_is_found_by_its_client_order_id(venue: Venue) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 2, 5500), order_type=OrderType.MARKET)
    assert await found(venue, order) is None
    since = datetime.now(UTC) - timedelta(seconds=1)
    broker_order_id = await send(venue, order)
    status = await status_of(venue, broker_order_id)
    assert status.state is OrderState.FILLED
    assert status.client_order_id == order.client_order_id
    assert await found(venue, order) == status
    executions = await venue.exec.request(
        VENUE_EXECUTIONS_LIST, ListPaperExecutions(account="PAPER", since=since), ExecutionList
    )
    (execution,) = executions.executions
    assert (execution.broker_order_id, execution.quantity, execution.commission) == (
        broker_order_id,
        2,
        Decimal("2.50"),
    )
    held = {p.symbol: p for p in (await positions(venue.exec)).positions}
    assert held["SPX   261218P05500000"].quantity == -2


async def test_an_approval_signed_with_another_key_is_refused_and_nothing_recorded(
    venue: Venue, tmp_path: Path
) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    with pytest.raises(RemoteError, match="not signed by the approval key") as caught:
        await send(venue, order, key_dir=tmp_path / "other-keys")
    assert caught.value.remote_code == "approval_refused"
    assert await found(venue, order) is None


async def test_without_its_key_file_the_venue_refuses_every_order(venue: Venue) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    approved = approve_for_test(order, venue.keys, datetime.now(UTC))
    (venue.keys / "approval-signing.pub").unlink()
    request = PlacePaperOrder(order=approved.order, approval=approved.approval)
    with pytest.raises(RemoteError, match="cannot read the approval key") as caught:
        await venue.exec.request(VENUE_ORDER_PLACE, request, OrderPlaced)
    assert caught.value.remote_code == "approval_refused"


async def test_a_client_order_id_is_taken_once(venue: Venue) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    await send(venue, order)
    with pytest.raises(RemoteError, match=order.client_order_id) as caught:
        await send(venue, order)
    assert caught.value.remote_code == "duplicate_order"


async def test_a_rejected_order_is_answered_with_its_reason_and_recorded(venue: Venue) -> None:
    await fills(venue, FillBehaviour.REJECT)
    order = await order_of(venue, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    with pytest.raises(RemoteError, match="fill behaviour REJECT") as caught:
        await send(venue, order)
    assert caught.value.remote_code == "order_rejected"
    status = await found(venue, order)
    assert status.state is OrderState.REJECTED
    assert "fill behaviour REJECT" in status.reason


async def test_a_resting_order_is_cancelled(venue: Venue) -> None:
    order = await order_of(venue, spx_put(Action.SELL, 1, 5500), limit="-400")
    broker_order_id = await send(venue, order)
    assert (await status_of(venue, broker_order_id)).state is OrderState.SUBMITTED
    cancel = CancelPaperOrder(account="PAPER", broker_order_id=broker_order_id)
    assert await venue.exec.request(VENUE_ORDER_CANCEL, cancel, Ack) == Ack()
    assert (await status_of(venue, broker_order_id)).state is OrderState.CANCELLED
    with pytest.raises(RemoteError) as caught:
        await venue.exec.request(VENUE_ORDER_CANCEL, cancel, Ack)
    assert caught.value.remote_code == "order_not_working"


async def test_a_held_order_fills_on_a_tick_once_the_behaviour_allows(venue: Venue) -> None:
    await fills(venue, FillBehaviour.HOLD)
    broker_order_id = await send(
        venue, await order_of(venue, spx_put(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    )
    assert (await status_of(venue, broker_order_id)).state is OrderState.SUBMITTED
    await fills(venue, FillBehaviour.IMMEDIATE)

    async def filled() -> bool:
        return (await status_of(venue, broker_order_id)).state is OrderState.FILLED

    await eventually(filled, what="the held order filling on a tick")


async def test_accounts_orders_and_fills_survive_a_restart(venue: Venue) -> None:
    filled_order = await order_of(venue, spx_put(Action.SELL, 2, 5500), order_type=OrderType.MARKET)
    filled_id = await send(venue, filled_order)
    resting = await order_of(venue, spx_put(Action.SELL, 1, 5505), limit="-400", tif=TimeInForce.GTC)
    resting_id = await send(venue, resting)
    before = {p.symbol: p.quantity for p in (await positions(venue.exec)).positions}
    filled_before = await status_of(venue, filled_id)

    await venue.halt()
    await venue.start()

    after = {p.symbol: p.quantity for p in (await positions(venue.exec)).positions}
    assert after == before
    assert after["SPX   261218P05500000"] == -2
    assert await status_of(venue, filled_id) == filled_before
    assert (await found(venue, resting)).state is OrderState.SUBMITTED
    with pytest.raises(RemoteError, match=r"already has an order"):
        await send(venue, filled_order)  # the client order id is still remembered
    cancel = CancelPaperOrder(account="PAPER", broker_order_id=resting_id)
    assert await venue.exec.request(VENUE_ORDER_CANCEL, cancel, Ack) == Ack()
