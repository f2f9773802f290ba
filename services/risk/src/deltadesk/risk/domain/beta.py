"""The beta model: which beta each underlying has against SPX, and how a source's answer is chosen.

Beta keys name an underlying the way every source and beta_config.json is looked up: equities
upper-cased (`AAPL`), futures as their root with a slash (`/ES`, whatever contract month or broker
spelling the position came with). The slash matters: `CL` is Colgate-Palmolive, `/CL` is crude.

SPX, SPXW, XSP, /ES and /MES and their options have an *economic* beta of exactly 1.0 (seed T002):
they are the index, so no statistical estimate may replace it.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, BetaSource

TRADING_DAYS_PER_YEAR = 252
MAX_ABS_BETA = 10.0  # beyond this a source's number is a data error, not a beta (3x funds are ~3)

ECONOMIC_KEYS = frozenset({"SPX", "SPXW", "XSP", "/ES", "/MES"})
ECONOMIC_METHOD = "economic: tracks SPX by construction, not estimated"
ECONOMIC_BETA = Beta(value=1.0, source=BetaSource.ECONOMIC, method=ECONOMIC_METHOD)
DEFAULT_BETA = Beta(value=1.0, source=BetaSource.DEFAULT, method="no source answered: 1.0", unavailable=True)
INPUT_METHOD = "given with the position"

# Futures roots that brokers (IBKR) report without the leading slash. Only when nothing says the
# position is a share, because ES alone is also Eversource Energy's ticker.
BARE_FUTURE_ROOTS = frozenset({"ES", "MES"})
_CONTRACT = re.compile(r"^(?P<root>[A-Z0-9]+?)[FGHJKMNQUVXZ]\d{1,2}$")


@lru_cache(maxsize=8192)  # pure, and called for every position on every update
def beta_key(underlying: str, instrument: InstrumentType | None = None) -> str:
    """The key an underlying's beta is known by: `AAPL`, `SPX`, `/ES` (for /ESZ6, MES futures, …)."""
    symbol = underlying.strip().upper()
    future = (
        instrument in (InstrumentType.FUT, InstrumentType.FOP)
        or symbol.startswith("/")
        or (instrument is None and symbol in BARE_FUTURE_ROOTS)
    )
    if not future:
        return symbol
    root = symbol.split()[0].lstrip("./") if symbol else symbol
    contract = _CONTRACT.match(root)
    if contract is not None:
        root = contract.group("root")
    return "/" + root


def economic_beta(key: str) -> Beta | None:
    """1.0 for the index and its futures (and their options); None for everything else."""
    return ECONOMIC_BETA if key in ECONOMIC_KEYS else None


def choose_beta(answers: Iterable[Beta | None]) -> Beta:
    """The first answer of an ordered chain of sources, or 1.0 flagged unavailable."""
    for answer in answers:
        if answer is not None:
            return answer
    return DEFAULT_BETA


def accept_beta(
    value: float | Decimal | None, source: BetaSource, method: str, *, as_of: datetime | None = None
) -> Beta | None:
    """A source's number as a Beta, or None when it is missing or cannot be a beta."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_ABS_BETA:
        return None
    return Beta(value=number, source=source, method=method, as_of=as_of)


def config_betas(data: object, *, method: str) -> dict[str, Beta]:
    """Manual betas from beta_config.json's object (`{"KO": 0.58, "MES": 1.0}`), keyed by beta key.

    Keys starting with `_` are comments. A value that is not a finite number is an error: a typo
    in a manual beta must stop the service, not silently become 1.0.
    """
    if not isinstance(data, Mapping):
        raise ValueError(
            f"beta config must be a JSON object of underlying to beta, not {type(data).__name__}"
        )
    betas: dict[str, Beta] = {}
    for name, value in data.items():
        if not isinstance(name, str) or name.startswith("_"):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"beta config {name}: {value!r} is not a number")
        beta = accept_beta(value, BetaSource.CONFIG, method)
        if beta is None:
            raise ValueError(
                f"beta config {name}: {value!r} is not a plausible beta (|beta| ≤ {MAX_ABS_BETA:g})"
            )
        betas[beta_key(name)] = beta
    return betas


def regression_beta(
    closes: Sequence[float], benchmark_closes: Sequence[float], *, window: int, min_returns: int = 60
) -> float:
    """OLS slope of the daily returns of `closes` on those of the benchmark (SPX), over the last
    `window` returns. The two series are closes of the same days, oldest first."""
    if len(closes) != len(benchmark_closes):
        raise InvalidMarketData(
            f"closes must be of the same days: {len(closes)} closes vs {len(benchmark_closes)} of SPX"
        )
    if any(not (math.isfinite(c) and c > 0) for c in (*closes, *benchmark_closes)):
        raise InvalidMarketData("every close must be a positive number")
    returns = _returns(closes)[-window:]
    benchmark = _returns(benchmark_closes)[-window:]
    if len(returns) < min_returns:
        raise InvalidMarketData(f"only {len(returns)} daily returns, at least {min_returns} needed")
    if statistics.pvariance(benchmark) == 0:
        raise InvalidMarketData("the benchmark does not move: beta is undefined")
    slope, _ = statistics.linear_regression(benchmark, returns)
    return slope


def _returns(closes: Sequence[float]) -> list[float]:
    return [today / yesterday - 1.0 for yesterday, today in pairwise(closes)]


def history_method(window: int) -> str:
    """How a regression beta was made, for the page: the first suspect when numbers disagree."""
    if window == 2 * TRADING_DAYS_PER_YEAR:
        return "OLS of 2y daily returns vs SPX (Risk Navigator's method)"
    if window % TRADING_DAYS_PER_YEAR == 0:
        return f"OLS of {window // TRADING_DAYS_PER_YEAR}y daily returns vs SPX"
    return f"OLS of {window} daily returns vs SPX"
