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
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import httpx
import pytest

from deltadesk.gateway.service import page_url, run
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.shared.embedded import free_port
from deltadesk.shared.events import BrokerState, BrokerStatusChanged, RiskUpdated
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import (
    ActiveBreach,
    Beta,
    BetaSource,
    PortfolioGreeks,
    RiskStatus,
    UnderlyingRisk,
    WeightedPosition,
)
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


# ── the gateway, running ────────────────────────────────────────────────────────────────────────
@dataclass
class Gateway:
    url: str
    stop: asyncio.Event
    task: asyncio.Task[None]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=10.0)


def settings_for(nats_url: str, port: int | None = None) -> GatewaySettings:
    return GatewaySettings(
        _env_file=None,
        nats_url=nats_url,
        gateway_port=port or free_port(),
        gateway_keepalive_s=0.5,
        # Far beyond the tests' patience: stopping must not rely on uvicorn's timeout to end streams.
        gateway_shutdown_timeout_s=120,
    )


@contextlib.asynccontextmanager
async def running_gateway(nats_url: str) -> AsyncIterator[Gateway]:
    """run() on a free port until the block ends; then stop must make it return (or the test fails)."""
    settings = settings_for(nats_url)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop), name="gateway-under-test")
    gateway = Gateway(page_url(settings), stop, task)

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
def start_gateway(nats_url: str) -> Callable[[], contextlib.AbstractAsyncContextManager[Gateway]]:
    return functools.partial(running_gateway, nats_url)


@pytest.fixture
async def gateway(nats_url: str) -> AsyncIterator[Gateway]:
    async with running_gateway(nats_url) as gateway:
        yield gateway
