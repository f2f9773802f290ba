"""Betas from Tastytrade's market metrics, read through the Tastytrade broker adapter's own call
(`deltadesk.brokers.tastytrade.metrics.market_metrics`, the one `TastytradeBroker.market_metrics`
makes) on the adapter's OAuth session: one place knows Tastytrade's session, endpoints and errors.

Enabled only when a provider secret and refresh token are configured. Tastytrade does not document
its beta's benchmark or window; its SPX beta is 1.0, so it reads as a beta against the S&P 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from deltadesk.brokers.tastytrade.metrics import MarketMetrics, market_metrics
from deltadesk.brokers.tastytrade.session import TastytradeSession
from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.risk.domain.beta import accept_beta
from deltadesk.shared.errors import BrokerError
from deltadesk.shared.portfolio import Beta, BetaSource

METHOD = "Tastytrade market metrics"


def metrics_betas(metrics: Iterable[MarketMetrics]) -> dict[str, Beta]:
    """The beta of each metric that has a usable one, keyed by its symbol."""
    found = {}
    for info in metrics:
        beta = accept_beta(info.beta, BetaSource.TASTYTRADE, METHOD, as_of=info.beta_as_of)
        if beta is not None:
            found[info.symbol.upper()] = beta
    return found


class TastytradeBetas:
    """`api_url` points at another Tastytrade API (a local fake); `client_kwargs` go to the SDK's
    httpx2 client (tests pass a MockTransport)."""

    source = BetaSource.TASTYTRADE

    def __init__(
        self,
        provider_secret: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        api_url: str | None = None,
        timeout_s: float = 10.0,
        **client_kwargs: Any,
    ) -> None:
        try:
            self._session = TastytradeSession(
                provider_secret,
                refresh_token,
                sandbox=sandbox,
                api_url=api_url,
                timeout_s=timeout_s,
                **client_kwargs,
            )
        except BrokerError as exc:
            raise BetaSourceFailed(str(exc)) from exc

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
            metrics = await market_metrics(self._session, keys)
        except BrokerError as exc:  # unavailable, refused credentials, an unreadable answer
            raise BetaSourceFailed(str(exc)) from exc
        found = metrics_betas(metrics)
        return {key: found[key] for key in keys if key in found}
