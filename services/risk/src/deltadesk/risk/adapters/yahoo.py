"""Betas from Yahoo Finance through yfinance: Yahoo's published beta, or a regression of daily
returns against the S&P 500 (^GSPC) computed by the domain, the way Risk Navigator does it.

yfinance blocks, so every call runs in a worker thread with a timeout (a timed-out thread is left
to finish on its own; its answer is dropped). With yfinance's default settings most failures come
back as an empty frame, so an empty frame is a failure here. A key's failure leaves that key out;
when every key failed, the source as a whole failed (rate limits look like this).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.risk.domain.beta import TRADING_DAYS_PER_YEAR, accept_beta, history_method, regression_beta
from deltadesk.shared.clock import Clock
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.portfolio import Beta, BetaSource

logger = logging.getLogger(__name__)
T = TypeVar("T")

BENCHMARK = "^GSPC"  # the S&P 500 index: SPX
PUBLISHED_METHOD = "Yahoo published beta (5y monthly)"
FUND_METHOD = "Yahoo published beta3Year (funds)"
# Index underlyings Yahoo knows by a caret name; a bare `RUT` or `NDX` would be another instrument.
YAHOO_INDICES = {"NDX": "^NDX", "RUT": "^RUT", "DJX": "^DJI", "VIX": "^VIX", "OEX": "^OEX", "XEO": "^OEX"}


class Ticker(Protocol):
    """The part of `yfinance.Ticker` used here."""

    @property
    def info(self) -> Mapping[str, Any]: ...

    def history(self, *, start: date, interval: str, auto_adjust: bool, timeout: float) -> Any: ...


TickerFactory = Callable[[str], Ticker]


def yfinance_ticker(symbol: str) -> Ticker:
    import yfinance  # imported on first use: it is heavy, and the service may never need it

    ticker: Ticker = yfinance.Ticker(symbol)
    return ticker


def yahoo_symbol(key: str) -> str:
    """Yahoo's name for a beta key: `/CL` → `CL=F`, `BRK.B` → `BRK-B`, `RUT` → `^RUT`."""
    if key.startswith("/"):
        return key[1:] + "=F"
    return YAHOO_INDICES.get(key, key.replace(".", "-").replace("/", "-"))


def published_beta(info: Mapping[str, Any]) -> Beta | None:
    """`info["beta"]` (stocks), else `beta3Year` (ETFs and funds carry only that)."""
    for field, method in (("beta", PUBLISHED_METHOD), ("beta3Year", FUND_METHOD)):
        value = info.get(field)
        if isinstance(value, int | float):
            beta = accept_beta(value, BetaSource.YFINANCE_INFO, method)
            if beta is not None:
                return beta
    return None


def daily_closes(frame: Any) -> dict[date, float]:
    """The `Close` column of a `Ticker.history()` frame by trading day; empty frame → failure."""
    if frame is None or getattr(frame, "empty", True) or "Close" not in frame.columns:
        raise BetaSourceFailed("yahoo returned no prices")
    closes = {}
    for stamp, value in frame["Close"].items():
        close = float(value)
        if math.isfinite(close) and close > 0:
            closes[stamp.date()] = close
    if not closes:
        raise BetaSourceFailed("yahoo returned no usable closes")
    return closes


def aligned_closes(
    closes: Mapping[date, float], benchmark: Mapping[date, float]
) -> tuple[list[float], list[float]]:
    """Closes of the days both series have, oldest first."""
    days = sorted(closes.keys() & benchmark.keys())
    return [closes[d] for d in days], [benchmark[d] for d in days]


class _Yahoo:
    def __init__(self, ticker: TickerFactory | None, timeout_s: float, concurrency: int) -> None:
        self._ticker = ticker or yfinance_ticker
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(concurrency)

    async def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run a blocking yfinance call in a thread; its errors, of any kind, become BetaSourceFailed."""
        async with self._slots:
            try:
                return await asyncio.wait_for(asyncio.to_thread(fn), self._timeout_s)
            except TimeoutError as exc:
                raise BetaSourceFailed(f"yahoo {what}: no answer within {self._timeout_s:g} s") from exc
            except BetaSourceFailed:
                raise
            except Exception as exc:  # yfinance, curl_cffi and pandas raise many kinds; all mean "no data"
                raise BetaSourceFailed(f"yahoo {what}: {exc!r}") from exc

    async def _each(self, keys: Sequence[str], one: Callable[[str], Any]) -> dict[str, Beta]:
        results = await asyncio.gather(*(one(key) for key in keys), return_exceptions=True)
        found: dict[str, Beta] = {}
        failures: list[str] = []
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, BetaSourceFailed | InvalidMarketData):
                failures.append(f"{key}: {result}")
            elif isinstance(result, BaseException):
                raise result
            elif result is not None:
                found[key] = result
        if failures:
            logger.info("yahoo had no beta for some keys", extra={"failures": failures})
        if failures and len(failures) == len(keys):
            raise BetaSourceFailed("; ".join(failures[:3]))
        return found


class YahooPublishedBetas(_Yahoo):
    source = BetaSource.YFINANCE_INFO

    def __init__(
        self, *, ticker: TickerFactory | None = None, timeout_s: float = 10.0, concurrency: int = 4
    ) -> None:
        super().__init__(ticker, timeout_s, concurrency)

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]:
        return await self._each(keys, self._one)

    async def _one(self, key: str) -> Beta | None:
        symbol = yahoo_symbol(key)
        info = await self._call(f"info {symbol}", lambda: dict(self._ticker(symbol).info))
        return published_beta(info)


class YahooHistoryBetas(_Yahoo):
    """OLS of `window` daily returns against ^GSPC (504 ≈ 2 years: Risk Navigator's method)."""

    source = BetaSource.YFINANCE_HISTORY

    def __init__(
        self,
        clock: Clock,
        *,
        window: int = 2 * TRADING_DAYS_PER_YEAR,
        ticker: TickerFactory | None = None,
        timeout_s: float = 20.0,
        concurrency: int = 4,
    ) -> None:
        super().__init__(ticker, timeout_s, concurrency)
        self._clock = clock
        self._window = window

    def _start(self) -> date:
        # calendar days for `window` returns, plus holidays and a margin
        days = math.ceil((self._window + 1) * 365 / TRADING_DAYS_PER_YEAR) + 14
        return self._clock.now().date() - timedelta(days=days)

    async def _closes(self, symbol: str, start: date) -> dict[date, float]:
        frame = await self._call(
            f"history {symbol}",
            lambda: self._ticker(symbol).history(
                start=start, interval="1d", auto_adjust=True, timeout=self._timeout_s
            ),
        )
        return daily_closes(frame)

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]:
        start = self._start()
        benchmark = await self._closes(BENCHMARK, start)
        as_of = self._clock.now()
        method = history_method(self._window)

        async def one(key: str) -> Beta | None:
            closes, spx = aligned_closes(await self._closes(yahoo_symbol(key), start), benchmark)
            value = regression_beta(closes, spx, window=self._window, min_returns=min(60, self._window))
            return accept_beta(value, BetaSource.YFINANCE_HISTORY, method, as_of=as_of)

        return await self._each(keys, one)
