"""Each real beta source parses a real response shape; nothing here touches the network."""

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2
import pandas as pd
import pytest

from deltadesk.risk.adapters.beta_config import BetaConfigError, load_beta_config
from deltadesk.risk.adapters.risk_matrix import RiskMatrixError, load_risk_matrix
from deltadesk.risk.adapters.tastytrade_metrics import TastytradeBetas
from deltadesk.risk.adapters.yahoo import YahooHistoryBetas, YahooPublishedBetas, yahoo_symbol
from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX
from deltadesk.shared.portfolio import BetaSource

REPO = Path(__file__).resolve().parents[3]

# GET /market-metrics?symbols=AAPL,KO as the API documents it: dashed keys, decimals as strings.
MARKET_METRICS = {
    "data": {
        "items": [
            {
                "symbol": "AAPL",
                "implied-volatility-index": "0.3125",
                "implied-volatility-index-5-day-change": "-0.0112",
                "implied-volatility-index-rank": "0.214",
                "tos-implied-volatility-index-rank": "0.2143",
                "tw-implied-volatility-index-rank": "0.2201",
                "implied-volatility-percentile": "0.5210",
                "liquidity-rating": 4,
                "liquidity-rank": "0.8123",
                "updated-at": "2026-02-27T21:00:03.117Z",
                "beta": "1.2134",
                "beta-updated-at": "2026-02-27T10:15:00.000Z",
                "corr-spy-3month": "0.71",
                "market-cap": "3412000000000",
                "dividend-yield": "0.0044",
                "earnings": {
                    "estimated": True,
                    "late-flag": 0,
                    "visible": True,
                    "expected-report-date": "2026-04-30",
                    "time-of-day": "AMC",
                },
                "option-expiration-implied-volatilities": [
                    {
                        "expiration-date": "2026-03-20",
                        "settlement-type": "PM",
                        "option-chain-type": "Standard",
                        "implied-volatility": "0.2911",
                    }
                ],
            },
            {"symbol": "KO", "updated-at": "2026-02-27T21:00:03.117Z", "market-cap": "262000000000"},
        ]
    },
    "context": "/market-metrics",
}


def tastytrade(handler: Any) -> TastytradeBetas:
    return TastytradeBetas("secret", "refresh", timeout_s=2, transport=httpx2.MockTransport(handler))


async def test_tastytrade_market_metrics_are_read_through_the_sdk_model() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx2.Response(
                200, json={"access_token": "token-1", "expires_in": 900, "token_type": "Bearer"}
            )
        assert request.url.path == "/market-metrics"
        return httpx2.Response(200, json=MARKET_METRICS)

    async with tastytrade(handler) as source:
        betas = await source.betas(["AAPL", "KO"])
    assert set(betas) == {"AAPL"}  # KO came without a beta: no answer, the chain goes on
    beta = betas["AAPL"]
    assert beta.value == pytest.approx(1.2134)
    assert beta.source is BetaSource.TASTYTRADE
    assert beta.method == "Tastytrade market metrics"
    assert beta.as_of == datetime(2026, 2, 27, 10, 15, tzinfo=UTC)
    metrics_request = seen[-1]
    assert metrics_request.url.params["symbols"] == "AAPL,KO"
    assert metrics_request.headers["Authorization"] == "Bearer token-1"


async def test_a_tastytrade_error_is_a_source_failure() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/oauth/token":
            return httpx2.Response(200, json={"access_token": "token-1", "expires_in": 900})
        return httpx2.Response(503, json={"error": {"code": "unavailable", "message": "try later"}})

    async with tastytrade(handler) as source:
        with pytest.raises(BetaSourceFailed, match="tastytrade"):
            await source.betas(["AAPL"])


async def test_refused_tastytrade_credentials_are_a_source_failure() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(401, json={"error": {"code": "invalid_grant", "message": "Grant revoked"}})

    async with tastytrade(handler) as source:
        with pytest.raises(BetaSourceFailed, match=r"invalid_grant|Grant revoked"):
            await source.betas(["AAPL"])


# ── yfinance ─────────────────────────────────────────────────────────────────────────────────────
class FakeTicker:
    """What yfinance.Ticker offers: an `info` dict and `history()` returning a DataFrame."""

    def __init__(self, info: Mapping[str, Any] | None = None, frame: pd.DataFrame | None = None) -> None:
        self._info = dict(info or {})
        self._frame = frame if frame is not None else pd.DataFrame()
        self.history_calls: list[dict[str, Any]] = []

    @property
    def info(self) -> Mapping[str, Any]:
        return self._info

    def history(self, **kwargs: Any) -> pd.DataFrame:
        self.history_calls.append(kwargs)
        return self._frame


def tickers(by_symbol: dict[str, FakeTicker]) -> Any:
    return lambda symbol: by_symbol.get(symbol, FakeTicker())


# A trimmed Ticker("AAPL").info as yfinance 1.7 returns it, and an ETF's (no beta, only beta3Year).
AAPL_INFO = {
    "symbol": "AAPL",
    "quoteType": "EQUITY",
    "shortName": "Apple Inc.",
    "currency": "USD",
    "marketCap": 3412000000000,
    "beta": 1.094,
    "trailingPE": 33.2,
    "fiftyTwoWeekHigh": 260.1,
    "regularMarketPrice": 229.87,
}
SPY_INFO = {"symbol": "SPY", "quoteType": "ETF", "beta3Year": 1.0, "yield": 0.0121, "totalAssets": 6.1e11}


async def test_yahoo_published_beta_is_read_from_the_info_dict() -> None:
    source = YahooPublishedBetas(ticker=tickers({"AAPL": FakeTicker(AAPL_INFO), "SPY": FakeTicker(SPY_INFO)}))
    betas = await source.betas(["AAPL", "SPY", "ZZZ"])
    assert betas["AAPL"].value == 1.094
    assert betas["AAPL"].method == "Yahoo published beta (5y monthly)"
    assert betas["SPY"].value == 1.0
    assert betas["SPY"].method == "Yahoo published beta3Year (funds)"
    assert "ZZZ" not in betas


async def test_yahoo_with_no_beta_for_any_key_answers_nothing() -> None:
    assert await YahooPublishedBetas(ticker=tickers({})).betas(["ZZZ"]) == {}


async def test_a_yahoo_call_that_raises_for_every_key_is_a_source_failure() -> None:
    class RateLimited(FakeTicker):
        @property
        def info(self) -> Mapping[str, Any]:
            raise RuntimeError("Too Many Requests. Rate limited. Try after a while.")

    with pytest.raises(BetaSourceFailed, match="Rate limited"):
        await YahooPublishedBetas(ticker=lambda symbol: RateLimited()).betas(["AAPL", "KO"])


def history_frame(closes: list[float], start: str = "2024-01-02") -> pd.DataFrame:
    """The shape Ticker.history() returns: a tz-aware DatetimeIndex named Date and OHLCV columns."""
    index = pd.bdate_range(start, periods=len(closes), tz="America/New_York", name="Date")
    return pd.DataFrame(
        {
            "Open": closes,
            "High": [c * 1.01 for c in closes],
            "Low": [c * 0.99 for c in closes],
            "Close": closes,
            "Volume": [1_000_000] * len(closes),
            "Dividends": [0.0] * len(closes),
            "Stock Splits": [0.0] * len(closes),
        },
        index=index,
    )


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


async def test_yahoo_history_regresses_daily_returns_against_the_sp500() -> None:
    spx, stock = [5000.0], [100.0]
    for day in range(300):
        r = 0.008 * ((day * 7919) % 13 - 6) / 6  # a deterministic, varied index path
        spx.append(spx[-1] * (1 + r))
        stock.append(stock[-1] * (1 + 1.5 * r))
    gspc = FakeTicker(frame=history_frame(spx))
    # the stock is missing its first 50 days: only the days both have count
    nvda = FakeTicker(frame=history_frame(stock[50:], start=str(history_frame(spx).index[50].date())))
    source = YahooHistoryBetas(FixedClock(), window=252, ticker=tickers({"^GSPC": gspc, "NVDA": nvda}))
    betas = await source.betas(["NVDA"])
    assert betas["NVDA"].value == pytest.approx(1.5)
    assert betas["NVDA"].source is BetaSource.YFINANCE_HISTORY
    assert betas["NVDA"].method == "OLS of 1y daily returns vs SPX"
    (call,) = gspc.history_calls
    assert call["interval"] == "1d"
    assert call["start"] < date(2025, 3, 2)  # far enough back for 252 returns


async def test_an_empty_history_frame_is_a_failure() -> None:
    source = YahooHistoryBetas(FixedClock(), ticker=tickers({}))
    with pytest.raises(BetaSourceFailed, match="no prices"):
        await source.betas(["NVDA"])


@pytest.mark.parametrize(
    ("key", "symbol"),
    [("AAPL", "AAPL"), ("BRK.B", "BRK-B"), ("/CL", "CL=F"), ("RUT", "^RUT"), ("/ZN", "ZN=F")],
)
def test_yahoo_symbols(key: str, symbol: str) -> None:
    assert yahoo_symbol(key) == symbol


# ── config files ─────────────────────────────────────────────────────────────────────────────────
def test_the_shipped_beta_config_has_the_manual_betas_and_economic_mes(tmp_path: Path) -> None:
    config = load_beta_config(REPO / "config" / "beta_config.json")
    for key in (
        "SPY",
        "QQQ",
        "IWM",
        "DIA",
        "AAPL",
        "MSFT",
        "NVDA",
        "KO",
        "AMZN",
        "GOOGL",
        "META",
        "TSLA",
        "JPM",
        "XOM",
    ):
        assert config.lookup(key) is not None, key
    raw = json.loads((REPO / "config" / "beta_config.json").read_text())
    assert raw["MES"] == 1.0  # seed T002: economic, not the statistical 0.986
    assert raw["ES"] == 1.0


def test_a_missing_beta_config_means_no_manual_betas(tmp_path: Path) -> None:
    assert load_beta_config(tmp_path / "nope.json").lookup("KO") is None


def test_a_broken_beta_config_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "beta_config.json"
    path.write_text('{"KO": "0.58"}')
    with pytest.raises(BetaConfigError, match="KO"):
        load_beta_config(path)
    path.write_text("{KO: 0.58")
    with pytest.raises(BetaConfigError, match=r"beta_config\.json"):
        load_beta_config(path)


def test_the_shipped_risk_matrix_is_the_built_in_default() -> None:
    assert load_risk_matrix(REPO / "config" / "risk_matrix.yaml") == DEFAULT_MATRIX


def test_a_risk_matrix_with_a_typo_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "risk_matrix.yaml"
    path.write_text("limits:\n  max_portfolio_delt: 300\nvix_regimes:\n  - {name: any}\n")
    with pytest.raises(RiskMatrixError, match="max_portfolio_delt"):
        load_risk_matrix(path)


def test_a_missing_risk_matrix_is_reported_as_none(tmp_path: Path) -> None:
    assert load_risk_matrix(tmp_path / "nope.yaml") is None
