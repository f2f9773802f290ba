"""Fixtures for the gateway's tests: a realistic demo book as risk would publish it, and a browser.

The demo book: an SPX iron condor and short SPXW puts, short SPY puts, an AAPL covered call, short
NVDA and KO puts (KO's beta unavailable), /ES and /MES futures and a short /ES future put. The
SPX-equivalent deltas are computed here the way risk does, only to make realistic test data:
the gateway itself never computes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from deltadesk.gateway.domain.throttle import LoginThrottle
from deltadesk.gateway.gatekeeper import Access
from deltadesk.gateway.password import PasswordCheck
from deltadesk.gateway.service import page_url, run
from deltadesk.gateway.sessions import SessionStore
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.gateway.testing import log_in, log_in_sync
from deltadesk.shared.clock import Clock
from deltadesk.shared.commands import OrderView
from deltadesk.shared.embedded import free_port
from deltadesk.shared.events import BrokerState, BrokerStatusChanged, RiskUpdated
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Contract,
    LegSpec,
    Order,
    OrderLeg,
    OrderRequest,
    OrderState,
    OrderType,
    WhatIf,
    order_hash,
)
from deltadesk.shared.portfolio import (
    ActiveBreach,
    Beta,
    BetaSource,
    PortfolioGreeks,
    RiskStatus,
    UnderlyingRisk,
    WeightedPosition,
)
from deltadesk.shared.signing import ensure_keypair
from deltadesk.shared.simulation import LimitCheck, RiskWhatIf, Simulation
from deltadesk.shared.testing import eventually

NOW = datetime(2026, 3, 18, 14, 30, 0, tzinfo=UTC)
EXPIRY = date(2026, 12, 18)
SPX = 6000.0


@dataclass(frozen=True)
class Leg:
    """One position of the demo book, with per-unit Greeks as for a long unit."""

    symbol: str
    description: str
    underlying: str
    instrument: InstrumentType
    quantity: int
    multiplier: int
    mark: str
    delta: float
    underlying_price: float
    beta: Beta
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0
    excluded_reason: str | None = None


ECONOMIC = Beta(value=1.0, source=BetaSource.ECONOMIC, method="SPX, SPXW, /ES and /MES: 1.0 by construction")


def _tasty(value: float) -> Beta:
    return Beta(value=value, source=BetaSource.TASTYTRADE, method="Tastytrade market metrics: beta vs SPX")


KO_BETA = Beta(
    value=1.0, source=BetaSource.DEFAULT, method="no source answered; 1.0 assumed", unavailable=True
)
NVDA_BETA = Beta(
    value=1.86, source=BetaSource.YFINANCE_HISTORY, method="regression of 1y daily returns against SPX"
)


def _option(underlying: str, root: str, strike: int, right: str) -> tuple[str, str]:
    return f"{root} {EXPIRY:%y%m%d}{right}{strike}", f"{root} {EXPIRY.isoformat()} {strike} {right}"


def demo_legs(es_quantity: int = 1) -> list[Leg]:
    opt, fut, fop, stk = InstrumentType.OPT, InstrumentType.FUT, InstrumentType.FOP, InstrumentType.STK
    legs = []
    for strike, right, qty, mark, delta, gamma, theta, vega in (
        (5600, "P", -1, "12.40", -0.08, 0.0004, -0.35, 2.1),
        (5500, "P", 1, "8.10", -0.055, 0.0003, -0.28, 1.9),
        (6400, "C", -1, "9.80", 0.09, 0.0005, -0.33, 2.4),
        (6500, "C", 1, "5.20", 0.05, 0.0003, -0.22, 1.7),
        (5300, "P", -2, "4.60", -0.035, 0.0002, -0.15, 1.2),
    ):
        symbol, description = _option("SPX", "SPXW", strike, right)
        legs.append(
            Leg(symbol, description, "SPX", opt, qty, 100, mark, delta, SPX, ECONOMIC, gamma, theta, vega)
        )
    spy, spy_desc = _option("SPY", "SPY", 560, "P")
    aapl_c, aapl_c_desc = _option("AAPL", "AAPL", 240, "C")
    nvda, nvda_desc = _option("NVDA", "NVDA", 160, "P")
    ko, ko_desc = _option("KO", "KO", 65, "P")
    legs += [
        Leg(spy, spy_desc, "SPY", opt, -5, 100, "3.85", -0.18, 598.5, _tasty(1.0), 0.011, -0.09, 0.42),
        Leg("AAPL", "AAPL", "AAPL", stk, 100, 1, "231.40", 1.0, 231.4, _tasty(1.21)),
        Leg(aapl_c, aapl_c_desc, "AAPL", opt, -1, 100, "3.20", 0.31, 231.4, _tasty(1.21), 0.018, -0.07, 0.33),
        Leg(nvda, nvda_desc, "NVDA", opt, -1, 100, "4.10", -0.27, 176.2, NVDA_BETA, 0.012, -0.11, 0.29),
        Leg(ko, ko_desc, "KO", opt, -2, 100, "0.85", -0.22, 68.1, KO_BETA, 0.05, -0.02, 0.08),
        Leg("/ESZ6", "/ESZ6", "/ES", fut, es_quantity, 50, "6025.25", 1.0, 6025.25, ECONOMIC),
        Leg("/MESZ6", "/MESZ6", "/MES", fut, -2, 5, "6025.25", 1.0, 6025.25, ECONOMIC),
        Leg(
            "/ESZ6 P5700",
            "/ES 2026-12-18 5700 P",
            "/ES",
            fop,
            -1,
            50,
            "28.50",
            -0.12,
            6025.25,
            ECONOMIC,
            0.0002,
            -1.9,
            9.5,
        ),
    ]
    return legs


def weigh(leg: Leg, spx_price: float = SPX) -> WeightedPosition:
    size = leg.quantity * leg.multiplier
    weighted = leg.excluded_reason is None
    return WeightedPosition(
        symbol=leg.symbol,
        description=leg.description,
        underlying=leg.underlying,
        instrument=leg.instrument,
        quantity=Decimal(leg.quantity),
        multiplier=Decimal(leg.multiplier),
        mark=Decimal(leg.mark),
        delta=leg.delta,
        underlying_price=leg.underlying_price,
        beta=leg.beta,
        spx_delta=leg.delta * size * leg.beta.value * leg.underlying_price / spx_price if weighted else 0.0,
        gamma=leg.gamma * size if weighted else 0.0,
        theta=leg.theta * size if weighted else 0.0,
        vega=leg.vega * size if weighted else 0.0,
        excluded_reason=leg.excluded_reason,
    )


def aggregate(positions: list[WeightedPosition]) -> PortfolioGreeks:
    groups: dict[str, list[WeightedPosition]] = defaultdict(list)
    for position in positions:
        groups[position.underlying].append(position)
    by_underlying = tuple(
        UnderlyingRisk(
            underlying=name,
            beta=group[0].beta.value,
            positions=len(group),
            spx_delta=sum(p.spx_delta for p in group),
            gamma=sum(p.gamma for p in group),
            theta=sum(p.theta for p in group),
            vega=sum(p.vega for p in group),
        )
        for name, group in groups.items()
    )
    return PortfolioGreeks(
        spx_delta=sum(p.spx_delta for p in positions),
        gamma=sum(p.gamma for p in positions),
        theta=sum(p.theta for p in positions),
        vega=sum(p.vega for p in positions),
        by_underlying=by_underlying,
    )


def demo_risk(
    account: str = "total",
    *,
    occurred_at: datetime = NOW,
    es_quantity: int = 1,
    halted: str | None = None,
    breaches: tuple[ActiveBreach, ...] = (),
    legs: list[Leg] | None = None,
    warnings: tuple[str, ...] = (),
    accounts: tuple[str, ...] = ("PAPER",),
    event_id: UUID | None = None,
) -> RiskUpdated:
    """A RiskUpdated for the demo book; `halted` gives the halt reason of a halted update."""
    positions = [weigh(leg) for leg in (legs if legs is not None else demo_legs(es_quantity))]
    if halted is not None:
        positions = [p.model_copy(update={"spx_delta": 0.0}) for p in positions]
    return RiskUpdated(
        event_id=event_id or uuid4(),
        occurred_at=occurred_at,
        account=account,
        status=RiskStatus.HALTED if halted is not None else RiskStatus.OK,
        halt_reason=halted,
        greeks=None if halted is not None else aggregate(positions),
        positions=tuple(positions),
        warnings=warnings,
        spx_price=None if halted is not None else SPX,
        vix=16.42,
        regime="normal",
        net_liquidation=Decimal("1284512.37"),
        positions_as_of=occurred_at,
        breaches=breaches,
        accounts=accounts if account == "total" else (),
    )


def delta_breach(actual: float, since: datetime = NOW) -> ActiveBreach:
    return ActiveBreach(
        limit="max_portfolio_delta",
        threshold=50.0,
        actual=actual,
        description="Portfolio SPX delta above the normal-regime limit",
        since=since,
    )


def broker_status(
    account: str = "PAPER",
    state: BrokerState = BrokerState.DOWN,
    reason: str | None = "connection refused",
    occurred_at: datetime = NOW,
) -> BrokerStatusChanged:
    return BrokerStatusChanged(
        event_id=uuid4(),
        occurred_at=occurred_at,
        account=account,
        broker="paper",
        state=state,
        reason=reason if state is BrokerState.DOWN else None,
        since=occurred_at,
    )


class Book:
    """The demo book's builders, handed to tests as one fixture (tests cannot import conftest)."""

    now = NOW
    spx = SPX
    legs = staticmethod(demo_legs)
    weigh = staticmethod(weigh)
    risk = staticmethod(demo_risk)
    breach = staticmethod(delta_breach)
    status = staticmethod(broker_status)
    Leg = Leg
    KO_BETA = KO_BETA


@pytest.fixture
def book() -> type[Book]:
    return Book


# ── orders as execution would hold them ─────────────────────────────────────────────────────────
IC_EXPIRY = date(2026, 4, 17)
MULTIPLIERS = {"/ES": Decimal(50), "/MES": Decimal(5)}


def iron_condor_request(
    account: str = "PAPER", quantity: int = 1, limit: str = "-8.60", expiry: date = IC_EXPIRY
) -> OrderRequest:
    """Buy the 5500 put, sell the 5600 put and the 6400 call, buy the 6500 call: a credit of 8.60."""
    legs = tuple(
        LegSpec(
            action=action,
            instrument=InstrumentType.OPT,
            underlying="SPX",
            quantity=quantity,
            expiry=expiry,
            strike=Decimal(strike),
            right=right,
            trading_class="SPXW",
        )
        for action, strike, right in (
            (Action.BUY, 5500, Right.PUT),
            (Action.SELL, 5600, Right.PUT),
            (Action.SELL, 6400, Right.CALL),
            (Action.BUY, 6500, Right.CALL),
        )
    )
    return OrderRequest(
        account=account,
        legs=legs,
        order_type=OrderType.LIMIT,
        limit_price=Decimal(limit),
        rationale="theta: sell the 16-delta wings",
    )


def resolve_leg(spec: LegSpec) -> Contract:
    """A contract as a broker would resolve the leg (futures without expiry: the front month)."""
    if spec.instrument.is_option:
        assert spec.expiry is not None
        assert spec.strike is not None
        assert spec.right is not None
        root = spec.trading_class or spec.underlying
        strike = format(spec.strike.normalize(), "f")
        return Contract(
            symbol=f"{root} {spec.expiry:%y%m%d}{spec.right.value}{strike}",
            underlying=spec.underlying,
            instrument=spec.instrument,
            multiplier=MULTIPLIERS.get(spec.underlying, Decimal(100)),
            expiry=spec.expiry,
            strike=spec.strike,
            right=spec.right,
            trading_class=root,
            broker_id=f"conid-{root}-{strike}{spec.right.value}",
        )
    if spec.instrument is InstrumentType.FUT:
        return Contract(
            symbol=f"{spec.underlying}M6",
            underlying=spec.underlying,
            instrument=spec.instrument,
            multiplier=MULTIPLIERS.get(spec.underlying, Decimal(50)),
            expiry=spec.expiry or date(2026, 6, 19),
        )
    return Contract(
        symbol=spec.underlying, underlying=spec.underlying, instrument=spec.instrument, multiplier=Decimal(1)
    )


def resolve_order(
    request: OrderRequest, *, broker: str = "paper", order_id: UUID | None = None, now: datetime = NOW
) -> Order:
    return Order(
        order_id=order_id or uuid4(),
        account=request.account,
        broker=broker,
        legs=tuple(
            OrderLeg(action=leg.action, quantity=leg.quantity, contract=resolve_leg(leg))
            for leg in request.legs
        ),
        order_type=request.order_type,
        limit_price=request.limit_price,
        tif=request.tif,
        rationale=request.rationale,
        suggestion_id=request.suggestion_id,
        created_at=now,
    )


PRE = PortfolioGreeks(spx_delta=65.9, gamma=-18.58, theta=210.0, vega=-1093.0)


def simulate(
    order: Order,
    *,
    now: datetime = NOW,
    valid_s: float = 300.0,
    post_delta: float = 61.2,
    limit: float = 300.0,
) -> Simulation:
    """A simulation as execution stores it; `post_delta` above `limit` breaches max_portfolio_delta."""
    post = PortfolioGreeks(spx_delta=post_delta, gamma=-19.1, theta=236.5, vega=-1180.0)
    checks = (
        LimitCheck(
            limit="max_portfolio_delta",
            threshold=limit,
            actual=abs(post_delta),
            breached=abs(post_delta) > limit,
            description="largest |SPX-equivalent delta|",
        ),
        LimitCheck(limit="min_theta", threshold=0.0, actual=236.5, breached=False, description="theta floor"),
    )
    return Simulation(
        simulation_id=uuid4(),
        order_id=order.order_id,
        order_hash=order_hash(order),
        whatif=WhatIf(
            initial_margin_before=Decimal("182400"),
            initial_margin_change=Decimal("9140"),
            initial_margin_after=Decimal("191540"),
            commission=Decimal("2.64"),
        ),
        risk=RiskWhatIf(
            account=order.account,
            pre_trade=PRE,
            post_trade=post,
            order=PortfolioGreeks(spx_delta=post_delta - PRE.spx_delta, gamma=-0.52, theta=26.5, vega=-87.0),
            checks=checks,
            spx_price=SPX,
            vix=16.42,
            regime="normal",
        ),
        simulated_at=now,
        expires_at=now + timedelta(seconds=valid_s),
    )


def order_view(
    order: Order,
    state: OrderState = OrderState.DRAFT,
    simulation: Simulation | None = None,
    *,
    updated_at: datetime = NOW,
    **fields: Any,
) -> OrderView:
    return OrderView(order=order, state=state, simulation=simulation, updated_at=updated_at, **fields)


class Tickets:
    """Orders, simulations and views as execution would hand them out (tests cannot import conftest)."""

    now = NOW
    expiry = IC_EXPIRY
    iron_condor = staticmethod(iron_condor_request)
    resolve_leg = staticmethod(resolve_leg)
    resolve = staticmethod(resolve_order)
    simulate = staticmethod(simulate)
    view = staticmethod(order_view)


@pytest.fixture
def tickets() -> type[Tickets]:
    return Tickets


# ── logging in ──────────────────────────────────────────────────────────────────────────────────
PASSWORD = "correct horse battery staple"
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only: fast to verify
_CHECK = PasswordCheck.from_password(PASSWORD, CHEAP_ARGON2)


def make_access(clock: Clock, **fields: Any) -> Access:
    """The login of an app under test: PASSWORD, checked with cheap argon2 parameters."""
    settings: dict[str, Any] = {
        "password": _CHECK,
        "sessions": SessionStore(idle_s=3600, max_s=8 * 3600),
        "throttle": LoginThrottle(),
        "clock": clock,
        "user": "trader",
    }
    settings.update(fields)
    return Access(**settings)


class Login:
    password = PASSWORD
    hasher = CHEAP_ARGON2
    access = staticmethod(make_access)
    log_in = staticmethod(log_in)
    log_in_sync = staticmethod(log_in_sync)


@pytest.fixture
def login() -> type[Login]:
    return Login


# ── the gateway, running ────────────────────────────────────────────────────────────────────────
@dataclass
class Gateway:
    url: str
    stop: asyncio.Event
    task: asyncio.Task[None]
    settings: GatewaySettings

    def client(self) -> httpx.AsyncClient:
        """A client that has not logged in."""
        return httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=10.0)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client logged in with the gateway's password, sending its CSRF token."""
        async with self.client() as client:
            await log_in(client, PASSWORD)
            yield client


def settings_for(nats_url: str, port: int | None = None, **fields: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "gateway_port": port or free_port(),
        "gateway_keepalive_s": 0.5,
        # Far beyond the tests' patience: stopping must not rely on uvicorn's timeout to end streams.
        "gateway_shutdown_timeout_s": 120,
        "ui_password": SecretStr(PASSWORD),
        "data_dir": Path(tempfile.gettempdir()) / "dd-gateway-tests-unused",
    }
    values.update(fields)
    return GatewaySettings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running_gateway(nats_url: str, **fields: Any) -> AsyncIterator[Gateway]:
    """run() on a free port until the block ends; then stop must make it return (or the test fails)."""
    settings = settings_for(nats_url, **fields)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop), name="gateway-under-test")
    gateway = Gateway(page_url(settings), stop, task, settings)

    async def healthy() -> bool | None:
        if task.done():
            task.result()  # raise what stopped it
        async with gateway.client() as client:
            try:
                return (await client.get("/api/health")).status_code == 200
            except httpx.TransportError:
                return False

    try:
        await eventually(healthy, what="gateway health")
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@pytest.fixture
def gateway_settings() -> Callable[..., GatewaySettings]:
    return settings_for


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    """A real approval key pair, as `deltadesk up` makes it."""
    ensure_keypair(tmp_path / "keys")
    return tmp_path / "keys"


@pytest.fixture
def start_gateway(
    nats_url: str, key_dir: Path
) -> Callable[..., contextlib.AbstractAsyncContextManager[Gateway]]:
    return functools.partial(running_gateway, nats_url, approval_key_dir=key_dir)


@pytest.fixture
async def gateway(nats_url: str, key_dir: Path) -> AsyncIterator[Gateway]:
    async with running_gateway(nats_url, approval_key_dir=key_dir) as gateway:
        yield gateway
