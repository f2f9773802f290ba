"""Hand-written fakes of execution and market-data that speak the real wire on a real NATS server.

Their refusals carry execution's own error codes (deltadesk.execution.errors).

FakeExecution serves the EXEC_* requests, keeps orders and simulations like execution does,
publishes OrderStateChanged and TradingStateChanged, and takes approvals off EXEC_APPROVAL through
execution's own `verify_approval` with the public key of the test's key folder: an approval the
gateway signs is checked exactly as execution will check it. FakeMarketData quotes legs and serves
expiries and chains priced by Black-Scholes, so the page looks like a market.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest

from deltadesk.execution.domain.approval import ApprovalRejected, verify_approval
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CancelOrder,
    ChainReply,
    CreateOrder,
    ExpiryList,
    GetOptionChain,
    GetOrder,
    LegQuotes,
    ListOptionExpiries,
    ListOrders,
    OrderList,
    OrderView,
    QuoteLegs,
    SetTradingState,
    SimulateOrder,
    TradingStateView,
)
from deltadesk.shared.errors import BrokerRejected, DomainError
from deltadesk.shared.events import (
    ApprovalIssued,
    BrokerState,
    BrokerStatusChanged,
    OrderStateChanged,
    TradingState,
    TradingStateChanged,
)
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Approval,
    ChainRow,
    Contract,
    ContractQuote,
    LegFill,
    LegSpec,
    OptionChain,
    Order,
    OrderState,
)
from deltadesk.shared.positions import Greeks
from deltadesk.shared.signing import PUBLIC_KEY_FILE, load_verify_key
from deltadesk.shared.simulation import Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_ORDER,
    EXEC_ORDERS_CANCEL,
    EXEC_ORDERS_CREATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    EXEC_SIMULATE,
    EXEC_STATE,
    EXEC_STATE_SET,
    EXECUTION,
    MARKET_DATA,
    MD_BROKER_STATUS,
    MD_CHAIN_GET,
    MD_EXPIRIES_LIST,
    MD_LEGS_QUOTE,
)

SPOT = {"SPX": 6000.0, "SPY": 598.5, "AAPL": 231.4, "/ES": 6025.25, "/MES": 6025.25, "KO": 68.1}
STRIKE_STEP = {"SPX": 25.0, "SPY": 1.0, "AAPL": 2.5, "/ES": 25.0, "/MES": 25.0, "KO": 1.0}


class OrderMissing(DomainError):
    code: ClassVar[str] = "order_not_found"


class InvalidOrderState(DomainError):
    code: ClassVar[str] = "invalid_order_state"


class UnknownAccount(DomainError):
    code: ClassVar[str] = "unknown_account"


class LegUnresolvable(DomainError):
    code: ClassVar[str] = "leg_unresolvable"


class Fill(StrEnum):
    """What the fake does with a verified approval."""

    FILL = "fill"  # APPROVED → SUBMITTED → FILLED
    PARTIAL = "partial"  # APPROVED → SUBMITTED → PARTIAL (the last leg unfilled)
    REJECT = "reject"  # APPROVED → REJECTED with the broker's reason
    UNKNOWN = "unknown"  # APPROVED → UNKNOWN (the broker's answer was lost)
    HOLD = "hold"  # nothing: the approval is kept, the order stays SIMULATED
    WORK = "work"  # APPROVED → SUBMITTED, and it rests there (a working order to cancel)


def _now() -> datetime:
    return datetime.now(UTC)


# ── a market: Black-Scholes prices, deltas and IVs ──────────────────────────────────────────────
def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _tick(value: float, tick: float = 0.05) -> Decimal:
    steps = Decimal(str(max(value, 0.0) / tick)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * Decimal(str(tick))).quantize(Decimal("0.01"))


def option_quote(contract: Contract, as_of: datetime) -> ContractQuote:
    assert contract.strike is not None
    assert contract.expiry is not None
    spot = SPOT.get(contract.underlying, 100.0)
    strike = float(contract.strike)
    years = max((contract.expiry - as_of.date()).days, 1) / 365.0
    moneyness = math.log(spot / strike)
    iv = 0.16 + 0.9 * max(-moneyness, 0.0) ** 1.1 + 0.1 * max(moneyness, 0.0)  # a put skew
    d1 = (moneyness + 0.5 * iv * iv * years) / (iv * math.sqrt(years))
    d2 = d1 - iv * math.sqrt(years)
    if contract.right is Right.CALL:
        value, delta = spot * _cdf(d1) - strike * _cdf(d2), _cdf(d1)
    else:
        value, delta = strike * _cdf(-d2) - spot * _cdf(-d1), _cdf(d1) - 1.0
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    half = max(0.05, round(value * 0.02, 2))
    bid, ask = _tick(value - half), _tick(value + half)
    return ContractQuote(
        contract=contract,
        bid=bid,
        ask=max(ask, bid + Decimal("0.05")),
        last=_tick(value),
        greeks=Greeks(
            delta=round(delta, 4),
            gamma=pdf / (spot * iv * math.sqrt(years)),
            theta=-spot * pdf * iv / (2 * math.sqrt(years)) / 365.0,
            vega=spot * pdf * math.sqrt(years) / 100.0,
        ),
        iv=round(iv, 4),
        underlying_price=spot,
        as_of=as_of,
    )


def resolve(spec: LegSpec, tickets: Any) -> Contract:
    if spec.underlying == "NOPE":
        raise BrokerRejected(f"no contract for {spec.underlying} at the broker")
    contract: Contract = tickets.resolve_leg(spec)
    if spec.instrument.is_option and contract.trading_class == spec.underlying == "SPX":
        contract = contract.model_copy(
            update={"trading_class": "SPXW", "symbol": contract.symbol.replace("SPX", "SPXW")}
        )
    return contract


def quote(contract: Contract, as_of: datetime) -> ContractQuote:
    if contract.instrument.is_option:
        return option_quote(contract, as_of)
    spot = Decimal(str(SPOT.get(contract.underlying, 100.0)))
    spread = Decimal("0.25") if contract.instrument is InstrumentType.FUT else Decimal("0.01")
    return ContractQuote(contract=contract, bid=spot - spread, ask=spot + spread, last=spot, as_of=as_of)


# ── execution ───────────────────────────────────────────────────────────────────────────────────
@dataclass
class Record:
    order: Order
    state: OrderState = OrderState.DRAFT
    simulation: Simulation | None = None
    broker_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    legs: tuple[LegFill, ...] = ()
    code: str | None = None
    reason: str | None = None
    updated_at: datetime = field(default_factory=_now)

    def view(self) -> OrderView:
        return OrderView(
            order=self.order,
            state=self.state,
            simulation=self.simulation,
            broker_order_id=self.broker_order_id,
            filled_quantity=self.filled_quantity,
            legs=self.legs,
            code=self.code,
            reason=self.reason,
            updated_at=self.updated_at,
        )


class FakeExecution:
    def __init__(self, bus: Bus, tickets: Any, key_dir: Path) -> None:
        self.bus = bus
        self.tickets = tickets
        self.public_key = load_verify_key(key_dir / PUBLIC_KEY_FILE)
        self.orders: dict[UUID, Record] = {}
        self.approvals: list[Approval] = []
        self.approval_seen = asyncio.Event()
        self.nonces: set[str] = set()
        self.brokers = {"PAPER": "paper", "U1234567": "ibkr"}
        self.fill = Fill.FILL
        self.simulate_fault: Exception | None = None
        self.simulate_hangs = False
        self.valid_s = 300.0
        self.post_delta = 61.2
        self.trading = TradingState.ACTIVE
        self._hang = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.bus.serve(EXEC_ORDERS_CREATE, self.create)
        await self.bus.serve(EXEC_SIMULATE, self.simulate)
        await self.bus.serve(EXEC_ORDERS_GET, self.get)
        await self.bus.serve(EXEC_ORDERS_LIST, self.list)
        await self.bus.serve(EXEC_ORDERS_CANCEL, self.cancel)
        await self.bus.serve(EXEC_STATE_SET, self.set_state)
        await self.bus.subscribe(EXEC_APPROVAL, self.on_approval)

    async def close(self) -> None:
        self._hang.set()
        for task in self._tasks:
            task.cancel()

    def record(self, order_id: UUID) -> Record:
        found = self.orders.get(order_id)
        if found is None:
            raise OrderMissing(f"no order {order_id}")
        return found

    async def move(self, record: Record, state: OrderState, **fields: Any) -> None:
        previous = record.state
        record.state = state
        record.updated_at = _now()
        for name, value in fields.items():
            setattr(record, name, value)
        event = OrderStateChanged(
            event_id=uuid4(),
            occurred_at=record.updated_at,
            account=record.order.account,
            order=record.order,
            state=state,
            previous_state=previous,
            simulation_id=record.simulation.simulation_id if record.simulation else None,
            broker_order_id=record.broker_order_id,
            filled_quantity=record.filled_quantity,
            legs=record.legs,
            code=record.code,
            reason=record.reason,
        )
        await self.bus.publish(
            EXEC_ORDER, event, account=record.order.account, order_id=str(record.order.order_id)
        )

    # ── requests ────────────────────────────────────────────────────────────────────────────────
    async def create(self, request: CreateOrder) -> OrderView:
        body = request.request
        broker = self.brokers.get(body.account)
        if broker is None:
            raise UnknownAccount(f"account: no broker serves account {body.account}")
        legs = []
        for index, spec in enumerate(body.legs):
            try:
                contract = resolve(spec, self.tickets)
            except BrokerRejected as exc:
                raise LegUnresolvable(f"legs.{index}: {exc}") from exc
            legs.append(contract)
        order = self.tickets.resolve(body, broker=broker, now=_now())
        order = order.model_copy(
            update={
                "legs": tuple(
                    leg.model_copy(update={"contract": c}) for leg, c in zip(order.legs, legs, strict=True)
                )
            }
        )
        record = Record(order)
        self.orders[order.order_id] = record
        await self.move(record, OrderState.DRAFT)
        return record.view()

    async def simulate(self, request: SimulateOrder) -> Simulation:
        record = self.record(request.order_id)
        if record.state not in (OrderState.DRAFT, OrderState.SIMULATED):
            raise InvalidOrderState(
                f"order {request.order_id} is {record.state.value}: it cannot be simulated"
            )
        if self.simulate_hangs:
            await self._hang.wait()
        if self.simulate_fault is not None:
            raise self.simulate_fault
        simulation: Simulation = self.tickets.simulate(
            record.order, now=_now(), valid_s=self.valid_s, post_delta=self.post_delta
        )
        await self.move(record, OrderState.SIMULATED, simulation=simulation)
        return simulation

    async def get(self, request: GetOrder) -> OrderView:
        return self.record(request.order_id).view()

    async def list(self, request: ListOrders) -> OrderList:
        records = sorted(self.orders.values(), key=lambda r: r.order.created_at, reverse=True)
        views = [r.view() for r in records if request.account in (None, r.order.account)]
        return OrderList(orders=tuple(views[: request.limit]))

    async def cancel(self, request: CancelOrder) -> OrderView:
        record = self.record(request.order_id)
        if record.state.is_final or record.state in (OrderState.APPROVED, OrderState.UNKNOWN):
            raise InvalidOrderState(
                f"order {request.order_id} is {record.state.value}: it cannot be cancelled"
            )
        await self.move(record, OrderState.CANCELLED)
        return record.view()

    async def set_state(self, request: SetTradingState) -> TradingStateView:
        self.trading = request.state
        now = _now()
        event = TradingStateChanged(
            event_id=uuid4(),
            occurred_at=now,
            state=request.state,
            reason=request.reason,
            changed_by=request.user,
        )
        await self.bus.publish(EXEC_STATE, event)
        return TradingStateView(
            state=request.state, reason=request.reason, changed_by=request.user, changed_at=now
        )

    def tamper(self, order_id: UUID) -> None:
        """Change the stored order after its simulation (what verify_approval must catch)."""
        record = self.record(order_id)
        assert record.order.limit_price is not None
        record.order = record.order.model_copy(update={"limit_price": record.order.limit_price - 1})

    # ── approvals, as execution checks them ─────────────────────────────────────────────────────
    async def on_approval(self, event: ApprovalIssued) -> None:
        approval = event.approval
        self.approvals.append(approval)
        self.approval_seen.set()
        record = self.orders.get(approval.order_id)
        if record is None or self.fill is Fill.HOLD:
            return
        first = approval.nonce not in self.nonces
        self.nonces.add(approval.nonce)
        try:
            verify_approval(
                approval,
                order=record.order,
                simulation=record.simulation,
                public_key=self.public_key,
                now=_now(),
                nonce_first_use=first,
            )
        except ApprovalRejected as exc:
            await self.move(record, OrderState.REJECTED, code=exc.code, reason=str(exc))
            return
        if self.trading is TradingState.HALTED:
            await self.move(
                record, OrderState.REJECTED, code="TRADING_HALTED", reason="the kill switch is engaged"
            )
            return
        await self.move(record, OrderState.APPROVED)
        task = asyncio.create_task(self.transmit(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def transmit(self, record: Record) -> None:
        if self.fill is Fill.REJECT:
            await self.move(
                record,
                OrderState.REJECTED,
                code="BROKER_REJECTED",
                reason="insufficient buying power for 1 combo",
            )
            return
        if self.fill is Fill.UNKNOWN:
            await self.move(record, OrderState.UNKNOWN, reason="connection lost while placing")
            return
        await self.move(record, OrderState.SUBMITTED, broker_order_id=f"P-{len(self.approvals):05d}")
        if self.fill is Fill.WORK:
            return
        combos = Decimal(math.gcd(*(leg.quantity for leg in record.order.legs)))
        legs = tuple(
            LegFill(
                symbol=leg.contract.symbol,
                action=leg.action,
                quantity=Decimal(leg.quantity)
                if self.fill is Fill.FILL or index < len(record.order.legs) - 1
                else Decimal(0),
                ordered=Decimal(leg.quantity),
                price=quote(leg.contract, _now()).last,
            )
            for index, leg in enumerate(record.order.legs)
        )
        if self.fill is Fill.PARTIAL:
            await self.move(record, OrderState.PARTIAL, legs=legs, filled_quantity=Decimal(0))
            return
        await self.move(record, OrderState.FILLED, legs=legs, filled_quantity=combos)


# ── market-data ─────────────────────────────────────────────────────────────────────────────────
class FakeMarketData:
    def __init__(self, bus: Bus, tickets: Any) -> None:
        self.bus = bus
        self.tickets = tickets
        self.expiries = tuple(date.today() + timedelta(days=d) for d in (2, 9, 16, 30, 44, 58, 93))
        self.quote_requests = 0

    async def start(self, brokers: dict[str, str]) -> None:
        await self.bus.serve(MD_LEGS_QUOTE, self.legs)
        await self.bus.serve(MD_EXPIRIES_LIST, self.list_expiries)
        await self.bus.serve(MD_CHAIN_GET, self.chain)
        for account, broker in brokers.items():
            status = BrokerStatusChanged(
                event_id=uuid4(),
                occurred_at=_now(),
                account=account,
                broker=broker,
                state=BrokerState.UP,
                since=_now(),
            )
            await self.bus.publish(MD_BROKER_STATUS, status, account=account)

    async def legs(self, request: QuoteLegs) -> LegQuotes:
        self.quote_requests += 1
        now = _now()
        quotes: list[ContractQuote | None] = []
        errors: list[str | None] = []
        for spec in request.legs:
            if spec.underlying == "NOQUOTE":
                quotes.append(None)
                errors.append("no market data subscription for NOQUOTE")
                continue
            try:
                quotes.append(quote(resolve(spec, self.tickets), now))
                errors.append(None)
            except BrokerRejected as exc:
                quotes.append(None)
                errors.append(str(exc))
        return LegQuotes(quotes=tuple(quotes), errors=tuple(errors))

    async def list_expiries(self, request: ListOptionExpiries) -> ExpiryList:
        if request.underlying not in SPOT:
            raise BrokerRejected(f"no options listed for {request.underlying}")
        return ExpiryList(expiries=self.expiries)

    async def chain(self, request: GetOptionChain) -> ChainReply:
        spot, step = SPOT.get(request.underlying), STRIKE_STEP.get(request.underlying, 5.0)
        if spot is None:
            raise BrokerRejected(f"no options listed for {request.underlying}")
        now = _now()
        centre = round(spot / step) * step
        rows = []
        for n in range(-24, 25):
            strike = Decimal(str(centre + n * step))
            strike = (
                strike.quantize(Decimal(1)) if strike == strike.to_integral_value() else strike.normalize()
            )
            calls_puts = {}
            for right in (Right.CALL, Right.PUT):
                spec = LegSpec(
                    action="BUY",
                    instrument=request.instrument,
                    underlying=request.underlying,
                    quantity=1,
                    expiry=request.expiry,
                    strike=strike,
                    right=right,
                )
                calls_puts[right] = option_quote(resolve(spec, self.tickets), now)
            rows.append(ChainRow(strike=strike, call=calls_puts[Right.CALL], put=calls_puts[Right.PUT]))
        chain = OptionChain(
            underlying=request.underlying,
            instrument=request.instrument,
            expiry=request.expiry,
            underlying_price=spot,
            rows=tuple(rows),
            as_of=now,
        )
        return ChainReply(chain=chain)


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """The root conftest's page, except that an API call (or a login) answered with an error status
    is not a page error: the order path's refusals (4xx), outages (503) and a wrong password are
    scenarios the page must show, and Chromium logs each as "Failed to load resource". A script
    error, or any other console error, still fails the test."""
    context = await browser.new_context(viewport={"width": 1600, "height": 1000}, timezone_id="UTC")
    page = await context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        answered = "the server responded with a status of" in message.text and (
            "/api/" in url or "/login" in url
        )
        if message.type == "error" and "/api/stream" not in url and not answered:
            errors.append(message.text)

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    try:
        yield page
    finally:
        await context.close()
    assert not errors, errors


@dataclass
class Desk:
    execution: FakeExecution
    market: FakeMarketData
    Fill: ClassVar[type[Fill]] = Fill
    Record: ClassVar[type[Record]] = Record


@pytest.fixture
async def make_desk(
    bus_factory: Callable[..., Any], tickets: Any, key_dir: Path
) -> AsyncIterator[Callable[[], Awaitable[Desk]]]:
    """Start execution and market-data, faked on the test's NATS server, when the test says so."""
    started: list[Desk] = []

    async def make() -> Desk:
        execution = FakeExecution(await bus_factory(EXECUTION), tickets, key_dir)
        market = FakeMarketData(await bus_factory(MARKET_DATA), tickets)
        await execution.start()
        await market.start(execution.brokers)
        started.append(Desk(execution, market))
        return started[-1]

    try:
        yield make
    finally:
        for desk in started:
            with contextlib.suppress(Exception):
                await desk.execution.close()


@pytest.fixture
async def desk(make_desk: Callable[[], Awaitable[Desk]]) -> Desk:
    """Execution and market-data, faked on the test's NATS server, for the gateway to talk to."""
    return await make_desk()
