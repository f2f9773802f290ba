"""Betas from Tastytrade's market metrics (GET /market-metrics) through the tastytrade SDK.

Enabled only when a provider secret and refresh token are configured (OAuth; see the SDK's
Session). Tastytrade does not document its beta's benchmark or window; its SPX beta is 1.0, so it
reads as a beta against the S&P 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx2
from pydantic import ValidationError
from tastytrade import Session
from tastytrade.metrics import MarketMetricInfo, get_market_metrics
from tastytrade.utils import TastytradeError

from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.risk.domain.beta import accept_beta
from deltadesk.shared.portfolio import Beta, BetaSource

METHOD = "Tastytrade market metrics"


def metrics_betas(metrics: Iterable[MarketMetricInfo]) -> dict[str, Beta]:
    """The beta of each metric that has a usable one, keyed by its symbol."""
    found = {}
    for info in metrics:
        beta = accept_beta(info.beta, BetaSource.TASTYTRADE, METHOD, as_of=info.beta_updated_at)
        if beta is not None:
            found[info.symbol.upper()] = beta
    return found


class TastytradeBetas:
    """`client_kwargs` go to the SDK's httpx2 client (tests pass a MockTransport)."""

    source = BetaSource.TASTYTRADE

    def __init__(
        self,
        provider_secret: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        timeout_s: float = 10.0,
        **client_kwargs: Any,
    ) -> None:
        self._session = Session(
            provider_secret, refresh_token, is_test=sandbox, timeout=timeout_s, **client_kwargs
        )

    async def __aenter__(self) -> TastytradeBetas:
        await self._session.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._session.__aexit__(exc_type, exc, tb)

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]:
        if not keys:
            return {}
        try:
            metrics = await get_market_metrics(self._session, list(keys))
        except TastytradeError as exc:
            raise BetaSourceFailed(f"tastytrade: {exc}") from exc
        except httpx2.HTTPError as exc:
            raise BetaSourceFailed(f"tastytrade unreachable: {exc!r}") from exc
        except (ValidationError, KeyError, TypeError) as exc:
            raise BetaSourceFailed(f"tastytrade answered market metrics we cannot read: {exc}") from exc
        found = metrics_betas(metrics)
        return {key: found[key] for key in keys if key in found}
