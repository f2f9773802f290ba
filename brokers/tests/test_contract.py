"""The Broker contract: one suite, run against the paper venue, the fake IBKR gateway and the fake
Tastytrade API, through each real adapter. What a caller may rely on whichever broker answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.fake.books import seed_demo
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.paper import PaperBroker
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.execution.testing import approve_for_test
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.broker import SPX, Broker
from deltadesk.shared.bus import Bus
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    ApprovedOrder,
    LegSpec,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.signing import ensure_keypair
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
BusFactory = Callable[[str], Awaitable[Bus]]


@dataclass
class Venue:
    """A broker under test: the adapter, its account, and how to approve an order for it."""

    name: str
    broker: Broker
    account: str
    approve: Callable[[Order], ApprovedOrder]


def _keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    ensure_keypair(keys)
    return keys


@pytest.fixture(params=["paper", "ibkr", "tastytrade"])
async def venue(request: pytest.FixtureRequest, tmp_path: Path, nats_url: str) -> AsyncIterator[Venue]:
    keys = _keys(tmp_path)

    def approve(order: Order) -> ApprovedOrder:
        return approve_for_test(order, keys, datetime.now(UTC))

    if request.param == "paper":
        stop = asyncio.Event()
        settings = PaperVenueSettings(
            nats_url=nats_url,
            paper_seed=3,
            paper_tick_s=0.05,
            paper_fill_latency_s=0.0,
            approval_key_dir=keys,
            data_dir=tmp_path,
        )
        task = asyncio.create_task(run_venue(settings, stop))
        bus = await Bus.connect(nats_url, "execution")
        broker = PaperBroker(bus, timeout=2.0)
        try:
            await eventually(lambda: _answers(broker, "PAPER"), what="the paper venue")
            yield Venue("paper", broker, "PAPER", approve)
        finally:
            await bus.close()
            stop.set()
            await asyncio.wait_for(task, 20)
    elif request.param == "ibkr":
        state = GatewayState(
            "DU1234567",
            today=datetime.now(UTC).date(),
            limits=Limits(global_per_s=500, slow_interval_s=0.05, tickle_interval_s=0.0, penalty_s=60.0),
        )
        seed_demo(state)
        async with FakeGateway(state) as gateway:
            ibkr = IbkrBroker(
                BrokerSettings(
                    _env_file=None,
                    ibkr_account_id="DU1234567",
                    ibkr_gateway_url=gateway.url,
                    live_trading=True,
                    broker_timeout_s=5.0,
                ),
                tuning=IbkrTuning(requests_per_second=400.0, snapshot_retry_s=0.01, reauth_check_s=0.01),
            )
            try:
                yield Venue("ibkr", ibkr, "DU1234567", approve)
            finally:
                await ibkr.close()
    else:
        async with FakeTastytrade(account_number="5WT00001") as fake:
            fake.hold_demo_book()
            tasty = TastytradeBroker(fake.settings(live_trading=True), first_data_wait_s=5.0)
            try:
                yield Venue("tastytrade", tasty, "5WT00001", approve)
            finally:
                await tasty.close()


async def _answers(broker: Broker, account: str) -> bool:
    try:
        return bool(await broker.positions(account))
    except Exception:  # not up yet
        return False


async def _first_listed(venue: Venue, underlying: str = SPX) -> tuple[date, Any]:
    """The nearest expiry at least a week out, and a put from its chain near 0.15 delta."""
    expiries = await venue.broker.expiries(underlying, InstrumentType.OPT)
    later = [e for e in expiries if e >= datetime.now(UTC).date() + timedelta(days=7)] or expiries
    chain = await venue.broker.chain(underlying, later[0], InstrumentType.OPT)
    puts = [row.put for row in chain.rows if row.put is not None and row.put.greeks is not None]
    assert puts, f"{venue.name}: the chain has no puts with Greeks"
    put = min(puts, key=lambda q: abs(abs(q.greeks.delta) - 0.15) if q.greeks else 9.0)
    return later[0], put


async def _order(venue: Venue, legs: list[LegSpec], limit: Decimal | None, kind: OrderType) -> Order:
    resolved = []
    for leg in legs:
        resolved.append(
            OrderLeg(action=leg.action, quantity=leg.quantity, contract=await venue.broker.resolve(leg))
        )
    return Order(
        order_id=uuid4(),
        account=venue.account,
        broker=venue.broker.name,
        legs=resolved,
        order_type=kind,
        limit_price=limit,
        tif=TimeInForce.DAY,
        created_at=datetime.now(UTC),
    )


# ── the read side ───────────────────────────────────────────────────────────────────────────────
async def test_positions_are_domain_positions_priced_against_their_underlying(venue: Venue) -> None:
    positions = await venue.broker.positions(venue.account)
    assert positions, f"{venue.name}: the fake holds a book"
    for position in positions:
        assert position.account == venue.account
        assert position.multiplier > 0
        if position.instrument.is_option and position.greeks is not None:
            assert position.underlying_price is not None, f"{position.symbol}: seed T005"
            assert position.underlying_price != float(position.strike or 0) or position.strike is None


async def test_balances_carry_net_liquidation(venue: Venue) -> None:
    balances = await venue.broker.balances(venue.account)
    assert balances.account == venue.account
    assert balances.net_liquidation > 0


async def test_quotes_give_spx_and_leave_unknown_symbols_out(venue: Venue) -> None:
    quotes = {q.symbol: q for q in await venue.broker.quotes([SPX, "NOSUCHSYMBOL"])}
    assert "NOSUCHSYMBOL" not in quotes
    assert quotes[SPX].price is not None
    assert quotes[SPX].price > 0


async def test_futures_resolve_to_the_front_month_with_their_multiplier(venue: Venue) -> None:
    es = await venue.broker.front_month("/ES")
    assert es.instrument is InstrumentType.FUT
    assert es.multiplier == Decimal(50)
    mes = await venue.broker.front_month("/MES")
    assert mes.multiplier == Decimal(5)
    leg = LegSpec(action=Action.BUY, instrument=InstrumentType.FUT, underlying="/ES", quantity=1)
    assert (await venue.broker.resolve(leg)).symbol == es.symbol


async def test_expiries_ascend_and_a_chain_has_both_rights_with_delta_and_iv(venue: Venue) -> None:
    expiries = await venue.broker.expiries(SPX, InstrumentType.OPT)
    assert expiries == sorted(expiries)
    assert len(expiries) >= 2
    expiry, put = await _first_listed(venue)
    chain = await venue.broker.chain(SPX, expiry, InstrumentType.OPT)
    strikes = [row.strike for row in chain.rows]
    assert strikes == sorted(strikes)
    assert any(row.call is not None and row.put is not None for row in chain.rows)
    assert put.greeks is not None
    assert put.greeks.delta < 0
    assert put.iv is not None
    assert put.iv > 0


async def test_a_chain_row_resolves_and_quotes_as_a_contract(venue: Venue) -> None:
    expiry, put = await _first_listed(venue)
    leg = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=SPX,
        quantity=1,
        expiry=expiry,
        strike=put.contract.strike,
        right=Right.PUT,
        trading_class=put.contract.trading_class,
    )
    contract = await venue.broker.resolve(leg)
    assert contract.symbol == put.contract.symbol
    assert contract.multiplier == Decimal(100)
    (quote,) = await venue.broker.contract_quotes([contract])
    assert quote.contract.symbol == contract.symbol
    assert quote.greeks is not None


# ── the write side ──────────────────────────────────────────────────────────────────────────────
async def test_whatif_prices_margin_and_commission_without_placing(venue: Venue) -> None:
    expiry, put = await _first_listed(venue)
    leg = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=SPX,
        quantity=1,
        expiry=expiry,
        strike=put.contract.strike,
        right=Right.PUT,
        trading_class=put.contract.trading_class,
    )
    order = await _order(venue, [leg], Decimal("-0.05"), OrderType.LIMIT)
    whatif = await venue.broker.whatif(order)
    assert whatif.initial_margin_change is not None
    assert whatif.initial_margin_change > 0, "a naked short put needs margin"
    assert whatif.commission is not None
    assert await venue.broker.find_order(venue.account, order.client_order_id) is None


async def test_only_an_approved_order_can_be_placed(venue: Venue) -> None:
    expiry, put = await _first_listed(venue)
    leg = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=SPX,
        quantity=1,
        expiry=expiry,
        strike=put.contract.strike,
        right=Right.PUT,
        trading_class=put.contract.trading_class,
    )
    order = await _order(venue, [leg], Decimal("-0.05"), OrderType.LIMIT)
    with pytest.raises(TypeError):
        await venue.broker.place(order)  # type: ignore[arg-type]
    assert await venue.broker.find_order(venue.account, order.client_order_id) is None


async def test_an_approved_order_is_placed_found_tracked_and_cancelled(venue: Venue) -> None:
    expiry, put = await _first_listed(venue)
    leg = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=SPX,
        quantity=1,
        expiry=expiry,
        strike=put.contract.strike,
        right=Right.PUT,
        trading_class=put.contract.trading_class,
    )
    # asks far more credit than the market gives: it rests, so it can be cancelled
    order = await _order(venue, [leg], Decimal("-999.00"), OrderType.LIMIT)
    broker_id = await venue.broker.place(venue.approve(order))
    assert broker_id
    found = await venue.broker.find_order(venue.account, order.client_order_id)
    assert found is not None
    assert found.broker_order_id == broker_id
    status = await venue.broker.status(venue.account, broker_id)
    assert status.state in {OrderState.SUBMITTED, OrderState.PARTIAL}
    await venue.broker.cancel(venue.account, broker_id)

    async def cancelled() -> bool:
        return (await venue.broker.status(venue.account, broker_id)).state is OrderState.CANCELLED

    await eventually(cancelled, timeout=15, what=f"{venue.name}: the order cancelled")
