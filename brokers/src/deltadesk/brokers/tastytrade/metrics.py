"""Tastytrade's market metrics (GET /market-metrics): beta, IV index, IV rank and liquidity per symbol.

The risk service's first beta source reads betas through `market_metrics`. Tastytrade does not
document its beta's benchmark or window; its SPX beta is 1.0, so it reads as a beta against the
S&P 500. IV figures are fractions (0.3125 = 31.25 %); the SDK keeps IV rank and percentile as
strings, converted here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from pydantic import AwareDatetime, BaseModel, ConfigDict
from tastytrade import Session
from tastytrade.metrics import MarketMetricInfo, get_market_metrics

from deltadesk.brokers.tastytrade.errors import mapped

SYMBOLS_PER_REQUEST = 100  # keeps the query string short; the API documents no limit


class MarketMetrics(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    beta: float | None = None
    beta_as_of: AwareDatetime | None = None
    iv_index: float | None = None
    iv_rank: float | None = None
    iv_percentile: float | None = None
    liquidity_rating: int | None = None
    as_of: AwareDatetime


def metrics_from(info: MarketMetricInfo) -> MarketMetrics:
    return MarketMetrics(
        symbol=info.symbol.upper(),
        beta=_number(info.beta),
        beta_as_of=_utc(info.beta_updated_at) if info.beta_updated_at else None,
        iv_index=_number(info.implied_volatility_index),
        iv_rank=_number(info.tw_implied_volatility_index_rank)
        if info.tw_implied_volatility_index_rank is not None
        else _number(info.implied_volatility_index_rank),
        iv_percentile=_number(info.implied_volatility_percentile),
        liquidity_rating=info.liquidity_rating,
        as_of=_utc(info.updated_at),
    )


async def market_metrics(session: Session, symbols: Sequence[str]) -> list[MarketMetrics]:
    """Metrics of the symbols Tastytrade knows, in batches; unknown symbols are left out."""
    wanted = list(dict.fromkeys(s.upper() for s in symbols))
    found: list[MarketMetrics] = []
    with mapped("market metrics"):
        for start in range(0, len(wanted), SYMBOLS_PER_REQUEST):
            batch = wanted[start : start + SYMBOLS_PER_REQUEST]
            found.extend(metrics_from(info) for info in await get_market_metrics(session, batch))
    return found


def _number(value: Decimal | str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None
    return number if math.isfinite(number) else None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
