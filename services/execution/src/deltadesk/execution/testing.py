"""For tests of code that takes an `ApprovedOrder` (broker adapters): one built the only way there is,
by signing an approval with a real key and passing it through `verify_approval`.

Nothing here skips a check: a test that wants an approved order gets exactly what execution would
hand an adapter after a human approved a simulated order.

Also what execution's service tests run against: a hand-written `FakeBroker` behind the Broker port
(it too takes nothing but an `ApprovedOrder`), a `FakeRisk` answering risk's what-if on a real bus,
and an `ExecutionHarness` running execution's real `run(..., brokers=…)` driven as the gateway drives
it (create, simulate, sign and publish approvals, read the blotter).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from deltadesk.execution.domain.approval import verify_approval
from deltadesk.execution.settings import ExecutionSettings
from deltadesk.shared.balances import Balances
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CancelOrder,
    ChainReply,
    ComputeRiskWhatIf,
    CreateOrder,
    ExpiryList,
    GetOptionChain,
    GetOrder,
    ListOptionExpiries,
    ListOrders,
    OrderList,
    OrderView,
    SetTradingState,
    SimulateOrder,
    TradingStateView,
)
from deltadesk.shared.errors import (
    BrokerRejected,
    BrokerUnavailable,
    DeskError,
    InvalidMarketData,
    OrderStateUnknown,
    PeerUnavailable,
)
from deltadesk.shared.events import (
    ApprovalIssued,
    FillReceived,
    OrderDenied,
    OrderStateChanged,
    TradingState,
)
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Approval,
    ApprovedOrder,
    BrokerOrderStatus,
    Contract,
    ContractQuote,
    Execution,
    LegSpec,
    OptionChain,
    Order,
    OrderLeg,
    OrderRequest,
    OrderState,
    OrderType,
    WhatIf,
    order_hash,
)
from deltadesk.shared.portfolio import PortfolioGreeks
from deltadesk.shared.positions import Greeks, Position
from deltadesk.shared.quotes import Quote
from deltadesk.shared.signing import ensure_keypair, load_signing_key, load_verify_key, sign_approval
from deltadesk.shared.simulation import RiskWhatIf, Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_AUDIT,
    EXEC_FILL,
    EXEC_ORDER,
    EXEC_ORDERS_CANCEL,
    EXEC_ORDERS_CREATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    EXEC_SIMULATE,
    EXEC_STATE_SET,
    MD_CHAIN_GET,
    MD_EXPIRIES_LIST,
    RISK_WHATIF,
)
from deltadesk.shared.testing import eventually

FLAT = PortfolioGreeks(spx_delta=0.0, gamma=0.0, theta=0.0, vega=0.0)


def simulate_for_test(order: Order, now: datetime) -> Simulation:
    """A stored simulation of the order as execution would keep it (margin and Greeks left flat)."""
    return Simulation(
        simulation_id=uuid4(),
        order_id=order.order_id,
        order_hash=order_hash(order),
        whatif=WhatIf(),
        risk=RiskWhatIf(
            account=order.account,
            pre_trade=FLAT,
            post_trade=FLAT,
            order=FLAT,
            checks=(),
            spx_price=6000.0,
            vix=None,
            regime=None,
        ),
        simulated_at=now,
        expires_at=now + timedelta(minutes=5),
    )


def approve_for_test(
    order: Order, key_dir: Path, now: datetime, *, user: str = "test-trader"
) -> ApprovedOrder:
    """Simulate, sign an approval with the key pair in `key_dir` (made if missing) and verify it."""
    private, public = ensure_keypair(key_dir)
    simulation = simulate_for_test(order, now)
    approval = Approval(
        approval_id=uuid4(),
        order_id=order.order_id,
        simulation_id=simulation.simulation_id,
        order_hash=simulation.order_hash,
        nonce=secrets.token_hex(16),
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
        user=user,
    )
    signed = sign_approval(approval, load_signing_key(private))
    return verify_approval(
        signed,
        order=order,
        simulation=simulation,
        public_key=load_verify_key(public),
        now=now,
        nonce_first_use=True,
    )


# ── a hand-written broker for service tests ─────────────────────────────────────────────────────
class PlaceBehaviour(StrEnum):
    """What `FakeBroker.place` does with an order."""

    ACCEPT = "accept"  # take it and answer with its id
    REJECT = "reject"  # refuse it: BrokerRejected with `reject_reason`
    LOSE_AFTER = "lose_after"  # take it, then lose the answer: OrderStateUnknown
    LOSE_BEFORE = "lose_before"  # never take it, and lose the answer: OrderStateUnknown
    UNAVAILABLE = "unavailable"  # never take it: BrokerUnavailable (the adapter knows it was not sent)


class FillBehaviour(StrEnum):
    IMMEDIATE = "immediate"  # every leg fills at once at its mid
    FIRST_LEG = "first_leg"  # the first leg fills, the others stay working (a legged partial fill)
    HOLD = "hold"  # nothing fills until `fill_rest`


UNDERLYING_PRICES = {"SPX": 6000.0, "SPY": 600.0, "/ES": 6000.0, "/MES": 6000.0, "AAPL": 250.0, "VIX": 16.0}


@dataclass
class FakeOrder:
    broker_order_id: str
    approved: ApprovedOrder
    state: OrderState = OrderState.SUBMITTED
    reason: str | None = None
    executions: list[Execution] = field(default_factory=list)


class FakeBroker:
    """The Broker port in memory, for execution's own tests: it resolves any leg of a known
    underlying, quotes options at bid/ask around a settable mid with per-unit Greeks, and works
    orders according to its behaviours. It keeps every `ApprovedOrder` it was handed in `placed`,
    so a test can count transmissions, and it outlives an execution restart."""

    def __init__(self, name: str = "paper") -> None:
        self._name = name
        self.place_behaviour = PlaceBehaviour.ACCEPT
        self.fill_behaviour = FillBehaviour.IMMEDIATE
        self.reject_reason = "order rejected: insufficient buying power"
        self.down = False  # every call raises BrokerUnavailable
        self.place_gate: asyncio.Event | None = None  # when set: place waits for it after taking the order
        self.gate_before_taking = False  # wait on `place_gate` before taking the order instead
        self.placed: list[ApprovedOrder] = []
        self.orders: dict[str, FakeOrder] = {}
        self.mids: dict[str, Decimal] = {}  # per symbol; options default to 2.40
        self.cancelled: list[str] = []
        self.confirmation_texts: tuple[str, ...] = ()  # what `place` "confirms" for each order
        self._confirmed: dict[str, tuple[str, ...]] = {}
        self._ids = itertools.count(1)

    @property
    def name(self) -> str:
        return self._name

    # ── read side ──────────────────────────────────────────────────────────────────────────────
    async def positions(self, account: str) -> list[Position]:
        self._check()
        return []

    async def balances(self, account: str) -> Balances:
        self._check()
        money = Decimal(1_000_000)
        return Balances(
            account=account,
            net_liquidation=money,
            cash=money,
            maintenance_margin=Decimal(0),
            as_of=datetime.now(UTC),
        )

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        self._check()
        return []

    async def resolve(self, leg: LegSpec) -> Contract:
        self._check()
        if leg.underlying not in UNDERLYING_PRICES:
            raise BrokerRejected(f"no contract for {leg.underlying}")
        if leg.instrument.is_option:
            assert leg.expiry is not None
            assert leg.strike is not None
            assert leg.right is not None
            root = leg.trading_class or leg.underlying.lstrip("/")
            strike = int(leg.strike * 1000)
            return Contract(
                symbol=f"{root:<6}{leg.expiry:%y%m%d}{leg.right.value}{strike:08d}",
                underlying=leg.underlying,
                instrument=leg.instrument,
                multiplier=Decimal(50 if leg.underlying == "/ES" else 5 if leg.underlying == "/MES" else 100),
                expiry=leg.expiry,
                strike=leg.strike,
                right=leg.right,
                trading_class=leg.trading_class,
                broker_id=f"C{strike}",
            )
        if leg.instrument is InstrumentType.FUT:
            return await self.front_month(leg.underlying)
        return Contract(
            symbol=leg.underlying, underlying=leg.underlying, instrument=leg.instrument, multiplier=Decimal(1)
        )

    async def front_month(self, root: str) -> Contract:
        self._check()
        return Contract(
            symbol=f"{root}Z6",
            underlying=root,
            instrument=InstrumentType.FUT,
            multiplier=Decimal(50 if root == "/ES" else 5),
            expiry=date(2026, 12, 18),
        )

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        self._check()
        return [date(2026, 12, 18)]

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        self._check()
        return OptionChain(
            underlying=underlying,
            instrument=instrument,
            expiry=expiry,
            underlying_price=UNDERLYING_PRICES.get(underlying),
            rows=(),
            as_of=datetime.now(UTC),
        )

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        self._check()
        return [self.quote(contract) for contract in contracts]

    def quote(self, contract: Contract) -> ContractQuote:
        price = UNDERLYING_PRICES.get(contract.underlying, 100.0)
        if contract.instrument.is_option:
            mid = self.mids.get(contract.symbol, Decimal("2.40"))
            delta = -0.3 if contract.right is Right.PUT else 0.3
            greeks: Greeks | None = Greeks(delta=delta, gamma=0.01, theta=-0.05, vega=0.4)
        else:
            mid = self.mids.get(contract.symbol, Decimal(str(price)))
            greeks = None
        spread = Decimal("0.10") if contract.instrument.is_option else Decimal("0.25")
        return ContractQuote(
            contract=contract,
            bid=mid - spread,
            ask=mid + spread,
            last=mid,
            greeks=greeks,
            iv=0.18 if greeks is not None else None,
            underlying_price=price if contract.instrument.is_option else None,
            as_of=datetime.now(UTC),
        )

    # ── write side ─────────────────────────────────────────────────────────────────────────────
    async def whatif(self, order: Order) -> WhatIf:
        self._check()
        return WhatIf(
            initial_margin_before=Decimal(100_000),
            initial_margin_change=Decimal(5_000) * len(order.legs),
            initial_margin_after=Decimal(100_000) + Decimal(5_000) * len(order.legs),
            commission=Decimal("1.30"),
        )

    async def place(self, order: ApprovedOrder) -> str:
        if not isinstance(order, ApprovedOrder):  # the port's promise, kept by the fake too
            raise TypeError("place takes an ApprovedOrder")
        self._check()
        self.placed.append(order)
        self._confirmed[order.order.client_order_id] = self.confirmation_texts
        if self.place_gate is not None and self.gate_before_taking:
            await self.place_gate.wait()
        if self.place_behaviour is PlaceBehaviour.REJECT:
            raise BrokerRejected(self.reject_reason)
        if self.place_behaviour is PlaceBehaviour.LOSE_BEFORE:
            raise OrderStateUnknown("connection lost while placing the order")
        if self.place_behaviour is PlaceBehaviour.UNAVAILABLE:
            raise BrokerUnavailable("the broker is not logged in; the order was not sent")
        broker_order_id = f"B{next(self._ids)}"
        working = FakeOrder(broker_order_id=broker_order_id, approved=order)
        self.orders[broker_order_id] = working
        if self.fill_behaviour is FillBehaviour.IMMEDIATE:
            self._fill(working, order.order.legs)
        elif self.fill_behaviour is FillBehaviour.FIRST_LEG:
            self._fill(working, order.order.legs[:1])
        if self.place_gate is not None and not self.gate_before_taking:
            await self.place_gate.wait()
        if self.place_behaviour is PlaceBehaviour.LOSE_AFTER:
            raise OrderStateUnknown("connection lost after the order was sent")
        return broker_order_id

    def confirmations(self, client_order_id: str) -> tuple[str, ...]:
        return self._confirmed.get(client_order_id, ())

    def fill_rest(self, broker_order_id: str) -> None:
        """Fill every leg not filled yet."""
        working = self.orders[broker_order_id]
        filled = {e.symbol for e in working.executions}
        self._fill(working, [leg for leg in working.approved.order.legs if leg.contract.symbol not in filled])

    def _fill(self, working: FakeOrder, legs: Sequence[OrderLeg]) -> None:
        for leg in legs:
            quote = self.quote(leg.contract)
            working.executions.append(
                Execution(
                    execution_id=f"{working.broker_order_id}-X{len(working.executions) + 1}",
                    broker_order_id=working.broker_order_id,
                    client_order_id=working.approved.order.client_order_id,
                    symbol=leg.contract.symbol,
                    action=leg.action,
                    quantity=Decimal(leg.quantity),
                    price=quote.mid or Decimal(0),
                    commission=Decimal("0.65") * leg.quantity,
                    executed_at=datetime.now(UTC),
                )
            )
        filled = {e.symbol for e in working.executions}
        every = {leg.contract.symbol for leg in working.approved.order.legs}
        if filled == every:
            working.state = OrderState.FILLED
        elif filled:
            working.state = OrderState.PARTIAL

    async def status(self, account: str, broker_order_id: str) -> BrokerOrderStatus:
        self._check()
        working = self.orders.get(broker_order_id)
        if working is None:
            raise BrokerRejected(f"no order {broker_order_id}")
        return self._status(working)

    async def find_order(self, account: str, client_order_id: str) -> BrokerOrderStatus | None:
        self._check()
        for working in self.orders.values():
            if working.approved.order.client_order_id == client_order_id:
                return self._status(working)
        return None

    async def executions(self, account: str, since: datetime) -> list[Execution]:
        self._check()
        return [
            e
            for working in self.orders.values()
            if working.approved.order.account == account
            for e in working.executions
            if e.executed_at >= since
        ]

    async def cancel(self, account: str, broker_order_id: str) -> None:
        self._check()
        working = self.orders[broker_order_id]
        if working.state.is_final:
            raise BrokerRejected(f"order {broker_order_id} is {working.state.value}")
        working.state = OrderState.CANCELLED
        working.reason = "cancelled by the trader"
        self.cancelled.append(broker_order_id)

    async def close(self) -> None:
        """Nothing to close."""

    def _status(self, working: FakeOrder) -> BrokerOrderStatus:
        return BrokerOrderStatus(
            broker_order_id=working.broker_order_id,
            client_order_id=working.approved.order.client_order_id,
            state=working.state,
            reason=working.reason,
            updated_at=datetime.now(UTC),
        )

    def _check(self) -> None:
        if self.down:
            raise BrokerUnavailable("the fake broker is down")


# ── a hand-written risk what-if responder ───────────────────────────────────────────────────────
class FakeRisk:
    """Answers `RISK_WHATIF` on a real bus as the risk service would: the portfolio's delta now
    (`pre_trade_delta`) plus each leg's beta-1 SPX-weighted delta. `halted` answers with an error."""

    def __init__(self, *, pre_trade_delta: float = 100.0, spx_price: float = 6000.0) -> None:
        self.pre_trade_delta = pre_trade_delta
        self.spx_price = spx_price
        self.halted = False
        self.asked: list[ComputeRiskWhatIf] = []

    async def answer(self, request: ComputeRiskWhatIf) -> RiskWhatIf:
        self.asked.append(request)
        if self.halted:
            raise InvalidMarketData("risk is halted: SPX price unavailable")
        order_delta = sum(
            (p.greeks.delta if p.greeks else 0.0)
            * float(p.quantity * p.multiplier)
            * (p.underlying_price or 0.0)
            / self.spx_price
            for p in request.legs
        )
        pre = PortfolioGreeks(spx_delta=self.pre_trade_delta, gamma=-10.0, theta=50.0, vega=-300.0)
        post = pre.model_copy(update={"spx_delta": self.pre_trade_delta + order_delta})
        return RiskWhatIf(
            account=request.account,
            pre_trade=pre,
            post_trade=post,
            order=PortfolioGreeks(spx_delta=order_delta, gamma=0.0, theta=0.0, vega=0.0),
            checks=(),
            spx_price=self.spx_price,
            vix=16.0,
            regime="normal",
        )


# ── execution on a real bus, driven as the gateway drives it ────────────────────────────────────
@dataclass
class Recorded:
    """What execution published on the order path, as a subscriber sees it."""

    orders: list[OrderStateChanged] = field(default_factory=list)
    fills: list[FillReceived] = field(default_factory=list)
    denials: list[OrderDenied] = field(default_factory=list)

    def states(self, order_id: UUID) -> list[OrderState]:
        return [e.state for e in self.orders if e.order.order_id == order_id]

    def denied(self, order_id: UUID | None = None) -> list[OrderDenied]:
        return [d for d in self.denials if order_id is None or d.order_id == order_id]

    def filled(self, order_id: UUID) -> list[FillReceived]:
        return [f for f in self.fills if f.order_id == order_id]


B = TypeVar("B", bound=Broker)


class ExecutionHarness(Generic[B]):
    """execution's real `run(settings, stop, brokers=…)` against a broker (a FakeBroker, or a real
    adapter pointed at a fake server) on a real NATS server,
    with a FakeRisk answering risk's what-if and a gateway that signs approvals with the key pair in
    the settings' approval key folder. `kill()` cancels the service mid-whatever (a crash: nothing
    is flushed), `stop()` stops it gracefully; `start()` again is a restart on the same broker."""

    def __init__(
        self,
        settings: ExecutionSettings,
        broker: B,
        gateway: Bus,
        risk_bus: Bus,
        *,
        risk: FakeRisk | None = None,
        account: str = "PAPER",
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.gateway = gateway
        self.risk_bus = risk_bus
        self.risk = risk or FakeRisk()
        self.account = account
        private, _ = ensure_keypair(settings.approval_keys)
        self.signing_key = load_signing_key(private)
        self.recorded = Recorded()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ExecutionHarness[B]:
        await self.risk_bus.serve(RISK_WHATIF, self.risk.answer)
        await self.gateway.subscribe(EXEC_ORDER, self._on_order)
        await self.gateway.subscribe(EXEC_FILL, self._on_fill)
        await self.gateway.subscribe(EXEC_AUDIT, self._on_denial)
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _on_order(self, event: OrderStateChanged) -> None:
        self.recorded.orders.append(event)

    async def _on_fill(self, event: FillReceived) -> None:
        self.recorded.fills.append(event)

    async def _on_denial(self, event: OrderDenied) -> None:
        self.recorded.denials.append(event)

    # ── the service's life ─────────────────────────────────────────────────────────────────────
    async def start(self) -> None:
        from deltadesk.execution.service import run  # the harness runs the real composition root

        self._stop = asyncio.Event()
        self._task = asyncio.create_task(run(self.settings, self._stop, brokers={self.account: self.broker}))
        await eventually(self._serving, timeout=15, what="execution serving")

    async def _serving(self) -> bool:
        if self._task is not None and self._task.done():
            self._task.result()  # raise what stopped it
        try:
            await self.gateway.request(EXEC_ORDERS_LIST, ListOrders(limit=1), OrderList, timeout=0.5)
        except PeerUnavailable:
            return False
        return True

    async def kill(self) -> None:
        """Cancel the service wherever it is, as a crash would stop it (cancelled again should
        nats-py swallow the first cancellation mid-publish)."""
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if task is not None and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await asyncio.wait_for(self._task, 30)
            self._task = None

    # ── the gateway's side ─────────────────────────────────────────────────────────────────────
    async def create(self, *legs: LegSpec, limit: str | None = "-2.40", **fields: Any) -> OrderView:
        request = OrderRequest(
            account=fields.pop("account", self.account),
            legs=legs or (short_put(),),
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            limit_price=Decimal(limit) if limit is not None else None,
            **fields,
        )
        return await self.gateway.request(
            EXEC_ORDERS_CREATE, CreateOrder(request=request, user="trader"), OrderView, timeout=10
        )

    async def simulate(self, order_id: UUID) -> Simulation:
        return await self.gateway.request(
            EXEC_SIMULATE, SimulateOrder(order_id=order_id, user="trader"), Simulation, timeout=15
        )

    async def order(self, order_id: UUID) -> OrderView:
        return await self.gateway.request(EXEC_ORDERS_GET, GetOrder(order_id=order_id), OrderView)

    async def cancel(self, order_id: UUID) -> OrderView:
        return await self.gateway.request(
            EXEC_ORDERS_CANCEL, CancelOrder(order_id=order_id, user="trader"), OrderView
        )

    async def set_state(self, state: TradingState, reason: str = "test") -> TradingStateView:
        request = SetTradingState(state=state, reason=reason, user="trader")
        return await self.gateway.request(EXEC_STATE_SET, request, TradingStateView)

    def approval(self, simulation: Simulation, *, signed: bool = True, **changes: Any) -> Approval:
        now = datetime.now(UTC)
        approval = Approval(
            approval_id=uuid4(),
            order_id=simulation.order_id,
            simulation_id=simulation.simulation_id,
            order_hash=simulation.order_hash,
            nonce=secrets.token_hex(16),
            issued_at=now,
            expires_at=now + timedelta(seconds=60),
            user="trader",
        ).model_copy(update=changes)
        return sign_approval(approval, self.signing_key) if signed else approval

    async def send(self, approval: Approval, *, event_id: UUID | None = None) -> ApprovalIssued:
        issued = ApprovalIssued(
            event_id=event_id or uuid4(),
            occurred_at=datetime.now(UTC),
            account=self.account,
            approval=approval,
        )
        await self.gateway.publish(EXEC_APPROVAL, issued, account=self.account)
        return issued

    async def approve(self, simulation: Simulation) -> Approval:
        approval = self.approval(simulation)
        await self.send(approval)
        return approval

    async def states_until(self, order_id: UUID, last: OrderState, timeout: float = 10) -> list[OrderState]:
        """The order's state events as a subscriber saw them, once the latest is `last`."""

        def probe() -> list[OrderState] | None:
            seen = self.recorded.states(order_id)
            return seen if seen[-1:] == [last] else None

        return await eventually(probe, timeout=timeout, what=f"state events of {order_id} up to {last}")

    async def state(self, order_id: UUID, *wanted: OrderState, timeout: float = 10) -> OrderView:
        """The order once it is in one of the `wanted` states."""

        async def probe() -> OrderView | None:
            shown = await self.order(order_id)
            return shown if shown.state in wanted else None

        return await eventually(probe, timeout=timeout, what=f"order {order_id} in {wanted}")


def short_put(strike: str = "580", quantity: int = 1, underlying: str = "SPY") -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=underlying,
        quantity=quantity,
        expiry=date(2026, 12, 18),
        strike=Decimal(strike),
        right=Right.PUT,
    )


def long_put(strike: str = "575", quantity: int = 1, underlying: str = "SPY") -> LegSpec:
    return short_put(strike, quantity, underlying).model_copy(update={"action": Action.BUY})


# ── driving a whole desk over the bus, as the gateway does (integration tests, make bench) ─────
async def listed_put(
    gateway: Bus, account: str, underlying: str = "SPY", *, moneyness: float = 0.95, min_days: int = 7
) -> LegSpec:
    """A short put of the nearest expiry at least `min_days` out, near `moneyness` × spot, with a bid,
    picked from the chain market-data serves (waiting for market-data and the broker to answer)."""

    async def listed() -> ExpiryList | None:
        try:
            request = ListOptionExpiries(account=account, underlying=underlying)
            return await gateway.request(MD_EXPIRIES_LIST, request, ExpiryList)
        except DeskError:
            return None

    expiries = await eventually(listed, timeout=30, interval=0.1, what=f"{underlying} expiries")
    expiry = next(e for e in expiries.expiries if e >= datetime.now(UTC).date() + timedelta(days=min_days))
    request = GetOptionChain(account=account, underlying=underlying, expiry=expiry)
    chain = (await gateway.request(MD_CHAIN_GET, request, ChainReply)).chain
    spot = chain.underlying_price or 0.0
    row = min(
        (r for r in chain.rows if r.put is not None and (r.put.bid or 0) > 0),
        key=lambda r: abs(float(r.strike) - spot * moneyness),
    )
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=underlying,
        quantity=1,
        expiry=expiry,
        strike=row.strike,
        right=Right.PUT,
    )


async def simulate_when_ready(gateway: Bus, order_id: UUID, *, timeout: float = 30) -> Simulation:
    """Simulate, retrying until risk can answer (it needs market-data to have reported the book)."""
    errors: list[str] = []

    async def attempt() -> Simulation | None:
        try:
            request = SimulateOrder(order_id=order_id, user="trader")
            return await gateway.request(EXEC_SIMULATE, request, Simulation, timeout=15)
        except DeskError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            return None

    try:
        return await eventually(attempt, timeout=timeout, interval=0.2, what="a simulation")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last errors: {errors[-3:]}") from None
