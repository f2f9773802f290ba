"""Beta-weight positions into SPX-equivalent delta and sum the portfolio's Greeks.

Per position (seed T014): spx_delta = delta × quantity × multiplier × beta × underlying_price / SPX,
the SPX points of exposure the position carries: what IBKR's Risk Navigator shows. Stocks, ETFs
and futures have a delta of 1. Gamma, theta ($/day) and vega ($ per vol point) are summed as
greek × quantity × multiplier, unweighted. Sums use math.fsum, so the order of positions cannot
change a total.

A position that cannot be weighted (an option without Greeks, no underlying price) is kept with
zero numbers and a reason, and the portfolio warns about it. Nothing is ever priced at its strike
(seed T005).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import Any, NamedTuple, Protocol

from pydantic import TypeAdapter

from deltadesk.risk.domain.beta import DEFAULT_BETA, beta_key, economic_beta
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, PortfolioGreeks, UnderlyingRisk, WeightedPosition
from deltadesk.shared.positions import LINEAR_GREEKS, Greeks, Position

NO_GREEKS = "no Greeks from the broker"
NO_PRICE = "no underlying price"


class Exposure(NamedTuple):
    """What weighting needs of a position: per-unit Greeks and the price they are taken against.

    A NamedTuple, not a frozen dataclass: one is built per position on every update, and a frozen
    dataclass's __init__ costs several times more."""

    symbol: str
    description: str
    underlying: str
    instrument: InstrumentType
    quantity: Decimal  # signed: a short is negative
    multiplier: Decimal  # 1 for shares, 100 for equity and index options, 50 for /ES, 5 for /MES
    greeks: Greeks | None  # per unit; ignored for stocks, ETFs and futures (delta 1)
    underlying_price: float | None
    mark: Decimal | None = None
    account: str | None = None

    @property
    def beta_key(self) -> str:
        return beta_key(self.underlying, self.instrument)

    @property
    def size(self) -> float:
        return float(self.quantity) * float(self.multiplier)


@dataclass(frozen=True, slots=True)
class WeighedPortfolio:
    positions: tuple[WeightedPosition, ...]
    greeks: PortfolioGreeks
    warnings: tuple[str, ...]


def exposure_of(position: Position, underlying_price: float | None) -> Exposure:
    """A broker position with the underlying price the shell resolved for it (quote or reported)."""
    return Exposure(
        symbol=position.symbol,
        description=position.description,
        underlying=position.underlying,
        instrument=position.instrument,
        quantity=position.quantity,
        multiplier=position.multiplier,
        greeks=position.greeks,
        underlying_price=underlying_price,
        mark=position.mark,
        account=position.account,
    )


def _check_spx(spx_price: float) -> None:
    if not (math.isfinite(spx_price) and spx_price > 0):
        raise InvalidMarketData(f"SPX price must be a positive number, was {spx_price}")


class Weighable(Protocol):
    """What weighting reads of a position: a broker `Position` or an `Exposure` both qualify."""

    @property
    def account(self) -> str | None: ...
    @property
    def symbol(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def underlying(self) -> str: ...
    @property
    def instrument(self) -> InstrumentType: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def multiplier(self) -> Decimal: ...
    @property
    def mark(self) -> Decimal | None: ...
    @property
    def greeks(self) -> Greeks | None: ...
    @property
    def size(self) -> float: ...


def _row(exposure: Weighable, price: float | None, beta: Beta, spx_price: float) -> dict[str, Any]:
    """One position's fields as plain data: its SPX-equivalent delta and dollar Greeks, or zeros and
    the reason it could not be weighted."""
    greeks = LINEAR_GREEKS if exposure.instrument.is_linear else exposure.greeks
    reason = None
    spx_delta = gamma = theta = vega = 0.0
    if greeks is None:
        reason = NO_GREEKS
    elif price is None or not (math.isfinite(price) and price > 0):
        reason = NO_PRICE
    else:
        size = exposure.size
        spx_delta = greeks.delta * size * beta.value * price / spx_price
        gamma = greeks.gamma * size
        theta = greeks.theta * size
        vega = greeks.vega * size
    return {
        "account": exposure.account,
        "symbol": exposure.symbol,
        "description": exposure.description,
        "underlying": exposure.underlying,
        "instrument": exposure.instrument,
        "quantity": exposure.quantity,
        "multiplier": exposure.multiplier,
        "mark": exposure.mark,
        "delta": greeks.delta if greeks is not None else None,
        "underlying_price": price,
        "beta": beta,
        "excluded_reason": reason,
        "spx_delta": spx_delta,
        "gamma": gamma,
        "theta": theta,
        "vega": vega,
    }


def weigh(exposure: Exposure, beta: Beta, spx_price: float) -> WeightedPosition:
    """One position's SPX-equivalent delta and its dollar gamma, theta and vega."""
    _check_spx(spx_price)
    return WeightedPosition.model_validate(_row(exposure, exposure.underlying_price, beta, spx_price))


def aggregate(positions: Iterable[WeightedPosition]) -> PortfolioGreeks:
    """Σ of each Greek over the positions, and the same per underlying by beta key (/ESZ6 and
    /ESH7 are both /ES), sorted by key."""
    return _aggregate(
        [
            (beta_key(p.underlying, p.instrument), p.beta.value, p.spx_delta, p.gamma, p.theta, p.vega)
            for p in positions
        ]
    )


_Sums = tuple[str, float, float, float, float, float]  # key, beta, spx_delta, gamma, theta, vega
_UNDERLYINGS = TypeAdapter(tuple[UnderlyingRisk, ...])


def _aggregate(rows: Sequence[_Sums]) -> PortfolioGreeks:
    """One pass collecting each Greek per beta key, then math.fsum of each list: exact, so no order
    of positions can change a total by even one ulp."""
    groups: dict[str, tuple[float, list[float], list[float], list[float], list[float]]] = {}
    for key, beta, spx_delta, gamma, theta, vega in rows:
        group = groups.get(key)
        if group is None:
            group = groups[key] = (beta, [], [], [], [])
        group[1].append(spx_delta)
        group[2].append(gamma)
        group[3].append(theta)
        group[4].append(vega)
    ordered = sorted(groups.items())
    by_underlying = _UNDERLYINGS.validate_python(
        [
            {"underlying": key, "beta": g[0], "positions": len(g[1]), **_sums(g[1], g[2], g[3], g[4])}
            for key, g in ordered
        ]
    )
    groups_only = [g for _, g in ordered]
    return PortfolioGreeks(
        **_sums(
            list(chain.from_iterable(g[1] for g in groups_only)),
            list(chain.from_iterable(g[2] for g in groups_only)),
            list(chain.from_iterable(g[3] for g in groups_only)),
            list(chain.from_iterable(g[4] for g in groups_only)),
        ),
        by_underlying=by_underlying,
    )


def _sums(
    spx_delta: list[float], gamma: list[float], theta: list[float], vega: list[float]
) -> dict[str, float]:
    return {
        "spx_delta": math.fsum(spx_delta),
        "gamma": math.fsum(gamma),
        "theta": math.fsum(theta),
        "vega": math.fsum(vega),
    }


_POSITIONS = TypeAdapter(tuple[WeightedPosition, ...])


def weigh_numbers(
    items: Iterable[tuple[Weighable, float | None]], betas: Mapping[str, Beta], spx_price: float
) -> tuple[list[dict[str, Any]], PortfolioGreeks]:
    """The recompute itself: every (position, underlying price) weighted (economic beta first, then
    `betas` by beta key, else 1.0 flagged unavailable) as plain rows, and the portfolio's sums."""
    _check_spx(spx_price)
    rows = []
    sums: list[_Sums] = []
    chosen: dict[tuple[str, InstrumentType], tuple[str, Beta]] = {}  # many positions share an underlying
    for item, price in items:
        found = chosen.get((item.underlying, item.instrument))
        if found is None:
            key = beta_key(item.underlying, item.instrument)
            found = chosen[(item.underlying, item.instrument)] = (
                key,
                economic_beta(key) or betas.get(key) or DEFAULT_BETA,
            )
        key, beta = found
        row = _row(item, price, beta, spx_price)
        rows.append(row)
        sums.append((key, beta.value, row["spx_delta"], row["gamma"], row["theta"], row["vega"]))
    return rows, _aggregate(sums)


def weigh_portfolio(
    exposures: Iterable[Exposure], betas: Mapping[str, Beta], spx_price: float
) -> WeighedPortfolio:
    """Every exposure weighted at its own underlying price (see `weigh_positions`)."""
    return _portfolio(weigh_numbers(((e, e.underlying_price) for e in exposures), betas, spx_price))


def weigh_positions(
    items: Iterable[tuple[Weighable, float | None]], betas: Mapping[str, Beta], spx_price: float
) -> WeighedPortfolio:
    """`weigh_numbers`, with the rows validated into models in one batch (several times faster than
    one model at a time) and a warning per excluded position and per underlying without a beta."""
    return _portfolio(weigh_numbers(items, betas, spx_price))


def _portfolio(weighed: tuple[list[dict[str, Any]], PortfolioGreeks]) -> WeighedPortfolio:
    rows, greeks = weighed
    warnings = [
        f"{r['description']} excluded from risk: {r['excluded_reason']}" for r in rows if r["excluded_reason"]
    ]
    unavailable = sorted({r["underlying"] for r in rows if r["beta"].unavailable})
    warnings += [f"{underlying}: no beta source answered, 1.0 used" for underlying in unavailable]
    return WeighedPortfolio(_POSITIONS.validate_python(rows), greeks, tuple(warnings))
