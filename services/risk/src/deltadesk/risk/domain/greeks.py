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

from deltadesk.risk.domain.beta import beta_key, choose_beta, economic_beta
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, PortfolioGreeks, UnderlyingRisk, WeightedPosition
from deltadesk.shared.positions import LINEAR_GREEKS, Greeks, Position

NO_GREEKS = "no Greeks from the broker"
NO_PRICE = "no underlying price"


@dataclass(frozen=True, slots=True)
class Exposure:
    """What weighting needs of a position: per-unit Greeks and the price they are taken against."""

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


def weigh(exposure: Exposure, beta: Beta, spx_price: float) -> WeightedPosition:
    """One position's SPX-equivalent delta and its dollar gamma, theta and vega."""
    _check_spx(spx_price)
    greeks = LINEAR_GREEKS if exposure.instrument.is_linear else exposure.greeks
    price = exposure.underlying_price
    reason = None
    if greeks is None:
        reason = NO_GREEKS
    elif price is None or not (math.isfinite(price) and price > 0):
        reason = NO_PRICE
    base = {
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
    }
    if reason is not None or greeks is None or price is None:
        return WeightedPosition(**base, spx_delta=0.0, gamma=0.0, theta=0.0, vega=0.0, excluded_reason=reason)
    size = float(exposure.quantity) * float(exposure.multiplier)
    return WeightedPosition(
        **base,
        spx_delta=greeks.delta * size * beta.value * price / spx_price,
        gamma=greeks.gamma * size,
        theta=greeks.theta * size,
        vega=greeks.vega * size,
    )


def aggregate(positions: Iterable[WeightedPosition]) -> PortfolioGreeks:
    """Σ of each Greek over the positions, and the same per underlying by beta key (/ESZ6 and
    /ESH7 are both /ES), sorted by key."""
    weighted = list(positions)
    groups: dict[str, list[WeightedPosition]] = {}
    for position in weighted:
        groups.setdefault(beta_key(position.underlying, position.instrument), []).append(position)
    by_underlying = tuple(
        UnderlyingRisk(
            underlying=name,
            beta=group[0].beta.value,
            positions=len(group),
            **_sums(group),
        )
        for name, group in sorted(groups.items())
    )
    return PortfolioGreeks(**_sums(weighted), by_underlying=by_underlying)


def _sums(positions: Sequence[WeightedPosition]) -> dict[str, float]:
    return {
        "spx_delta": math.fsum(p.spx_delta for p in positions),
        "gamma": math.fsum(p.gamma for p in positions),
        "theta": math.fsum(p.theta for p in positions),
        "vega": math.fsum(p.vega for p in positions),
    }


def weigh_portfolio(
    exposures: Iterable[Exposure], betas: Mapping[str, Beta], spx_price: float
) -> WeighedPortfolio:
    """Weigh every position with its underlying's beta (economic first, then `betas` by beta key,
    else 1.0 flagged unavailable) and sum them, with a warning per excluded position and per
    underlying whose beta no source gave."""
    _check_spx(spx_price)
    weighted = []
    for exposure in exposures:
        key = exposure.beta_key
        beta = choose_beta([economic_beta(key), betas.get(key)])
        weighted.append(weigh(exposure, beta, spx_price))
    warnings = [
        f"{p.description} excluded from risk: {p.excluded_reason}" for p in weighted if p.excluded_reason
    ]
    unavailable = sorted({p.underlying for p in weighted if p.beta.unavailable})
    warnings += [f"{underlying}: no beta source answered, 1.0 used" for underlying in unavailable]
    return WeighedPortfolio(tuple(weighted), aggregate(weighted), tuple(warnings))
