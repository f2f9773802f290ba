"""The risk service's results: beta-weighted positions and the portfolio's SPX-equivalent Greeks."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from deltadesk.shared.instruments import InstrumentType


class BetaSource(StrEnum):
    ECONOMIC = "economic"  # SPX, SPXW, ES, MES and their options: exactly 1.0 by construction (seed T002)
    INPUT = "input"  # given with the position (risk weigh FILE)
    TASTYTRADE = "tastytrade"  # Tastytrade market metrics
    YFINANCE_HISTORY = "yfinance-history"  # regression of daily returns against SPX (Risk Navigator's way)
    YFINANCE_INFO = "yfinance-info"  # Yahoo's published beta
    CONFIG = "config"  # config/beta_config.json
    DEFAULT = "default"  # nothing answered: 1.0, flagged unavailable


class Beta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: BetaSource
    method: str  # how the source arrives at it, shown on the page: the first suspect in a mismatch
    unavailable: bool = False
    as_of: AwareDatetime | None = None


class WeightedPosition(BaseModel):
    """One position after beta-weighting. Greeks here are position totals (× quantity × multiplier).

    `excluded_reason` is set when the position could not be weighted (no Greeks, no underlying
    price); its numbers are then zero and the portfolio carries a warning naming it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str | None = None  # the broker account holding it (positions of `total` come from several)
    symbol: str
    description: str
    underlying: str
    instrument: InstrumentType
    quantity: Decimal
    multiplier: Decimal
    mark: Decimal | None
    delta: float | None  # per unit, as the broker reported it
    underlying_price: float | None
    beta: Beta
    spx_delta: float
    gamma: float
    theta: float
    vega: float
    excluded_reason: str | None = None


class UnderlyingRisk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    underlying: str
    beta: float
    positions: int
    spx_delta: float
    gamma: float
    theta: float
    vega: float


class PortfolioGreeks(BaseModel):
    """Σ spx_delta; Σ greek × quantity × multiplier for gamma, theta ($/day) and vega ($/vol point)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spx_delta: float
    gamma: float
    theta: float
    vega: float
    by_underlying: tuple[UnderlyingRisk, ...] = ()


class ActiveBreach(BaseModel):
    """A limit currently breached, with the numbers: carried on every risk update while it lasts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: str
    threshold: float
    actual: float
    description: str
    since: AwareDatetime


class RiskStatus(StrEnum):
    OK = "ok"
    HALTED = "halted"  # no Greeks aggregated: the reason says why (SPX price unavailable or stale)
