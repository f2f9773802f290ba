"""The Tastytrade beta source reads market metrics through the broker adapter's call, against the fake
Tastytrade API (the real SDK, real HTTP)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from deltadesk.brokers.tastytrade.fakes.api import Fault
from deltadesk.brokers.tastytrade.fakes.server import PROVIDER_SECRET, REFRESH_TOKEN, FakeTastytrade
from deltadesk.brokers.tastytrade.metrics import MarketMetrics
from deltadesk.risk.adapters.tastytrade_metrics import METHOD, TastytradeBetas, metrics_betas
from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.shared.portfolio import BetaSource

pytestmark = pytest.mark.integration
NOW = datetime(2026, 2, 27, 21, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade() as server:
        yield server


def test_only_usable_betas_are_kept() -> None:
    metrics = [
        MarketMetrics(symbol="aapl", beta=1.21, beta_as_of=NOW, as_of=NOW),
        MarketMetrics(symbol="KO", beta=None, as_of=NOW),
        MarketMetrics(symbol="WILD", beta=1e9, as_of=NOW),
    ]
    betas = metrics_betas(metrics)
    assert set(betas) == {"AAPL"}
    assert (betas["AAPL"].value, betas["AAPL"].as_of, betas["AAPL"].method) == (1.21, NOW, METHOD)


async def test_betas_come_from_tastytrades_market_metrics(fake: FakeTastytrade) -> None:
    async with TastytradeBetas(PROVIDER_SECRET, REFRESH_TOKEN, api_url=fake.api_url, timeout_s=5) as source:
        betas = await source.betas(["AAPL", "SPY", "VIX", "NOSUCH"])
    assert set(betas) == {"AAPL", "SPY"}  # VIX has no beta, NOSUCH is unknown: the chain goes on
    assert betas["AAPL"].value == pytest.approx(1.2134)
    assert betas["AAPL"].source is BetaSource.TASTYTRADE
    (request,) = fake.api.calls("GET", "/market-metrics")
    assert request.query["symbols"] == ["AAPL,SPY,VIX,NOSUCH"]


async def test_refused_credentials_fail_the_source(fake: FakeTastytrade) -> None:
    async with TastytradeBetas(PROVIDER_SECRET, "revoked", api_url=fake.api_url, timeout_s=5) as source:
        with pytest.raises(BetaSourceFailed, match="invalid_grant"):
            await source.betas(["AAPL"])


async def test_an_outage_fails_the_source(fake: FakeTastytrade) -> None:
    fake.api.inject(Fault("GET", "/market-metrics", status=503))
    async with TastytradeBetas(PROVIDER_SECRET, REFRESH_TOKEN, api_url=fake.api_url, timeout_s=5) as source:
        with pytest.raises(BetaSourceFailed, match="HTTP 503"):
            await source.betas(["AAPL"])


def test_missing_credentials_fail_at_once() -> None:
    with pytest.raises(BetaSourceFailed, match="not configured"):
        TastytradeBetas("", "")
