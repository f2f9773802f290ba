import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.risk.domain.beta import (
    DEFAULT_BETA,
    accept_beta,
    beta_key,
    choose_beta,
    config_betas,
    economic_beta,
    history_method,
    regression_beta,
)
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, BetaSource

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


# ── keys ─────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("underlying", "instrument", "key"),
    [
        ("AAPL", InstrumentType.STK, "AAPL"),
        (" spy ", InstrumentType.ETF, "SPY"),
        ("SPY", InstrumentType.OPT, "SPY"),
        ("/ES", InstrumentType.FUT, "/ES"),
        ("/ESZ6", InstrumentType.FUT, "/ES"),
        ("/MESH27", InstrumentType.FOP, "/MES"),
        ("./ESZ4 EW3U4 240920P5650", InstrumentType.FOP, "/ES"),
        ("MES", InstrumentType.FUT, "/MES"),  # IBKR reports the root without the slash (seed T002)
        ("ES", InstrumentType.FOP, "/ES"),
        ("MES", None, "/MES"),  # a bare key in beta_config.json
        ("ES", None, "/ES"),
        ("/CL", None, "/CL"),
        ("/ZN", InstrumentType.FUT, "/ZN"),
        ("CL", InstrumentType.STK, "CL"),  # Colgate-Palmolive, not crude oil
        ("ES", InstrumentType.STK, "ES"),  # Eversource, not the E-mini
    ],
)
def test_beta_key_normalises_underlyings(
    underlying: str, instrument: InstrumentType | None, key: str
) -> None:
    assert beta_key(underlying, instrument) == key


# ── economic betas (seed T002) ───────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("key", ["SPX", "SPXW", "XSP", "/ES", "/MES"])
def test_index_and_index_futures_have_an_economic_beta_of_exactly_one(key: str) -> None:
    beta = economic_beta(key)
    assert beta is not None
    assert beta.value == 1.0
    assert beta.source is BetaSource.ECONOMIC
    assert not beta.unavailable


@pytest.mark.parametrize(
    ("underlying", "instrument"), [("MES", InstrumentType.FUT), ("ES", InstrumentType.FOP)]
)
def test_bare_future_roots_from_ibkr_are_economic(underlying: str, instrument: InstrumentType) -> None:
    beta = economic_beta(beta_key(underlying, instrument))
    assert beta is not None
    assert beta.value == 1.0


@pytest.mark.parametrize("key", ["SPY", "AAPL", "ES", "/CL", "QQQ"])
def test_other_underlyings_have_no_economic_beta(key: str) -> None:
    assert economic_beta(key) is None


# ── the chain ────────────────────────────────────────────────────────────────────────────────────
def _beta(value: float, source: BetaSource) -> Beta:
    return Beta(value=value, source=source, method="test")


def test_the_first_answer_of_the_chain_wins() -> None:
    tasty = _beta(1.2, BetaSource.TASTYTRADE)
    yahoo = _beta(1.3, BetaSource.YFINANCE_INFO)
    assert choose_beta([tasty, yahoo]) is tasty


def test_a_source_without_an_answer_falls_through_to_the_next() -> None:
    config = _beta(0.6, BetaSource.CONFIG)
    assert choose_beta([None, None, config]) is config


def test_no_answer_at_all_gives_one_flagged_unavailable() -> None:
    beta = choose_beta([None, None])
    assert beta == DEFAULT_BETA
    assert beta.value == 1.0
    assert beta.unavailable
    assert beta.source is BetaSource.DEFAULT
    assert beta.method == "no source answered: 1.0"


# ── accepting a source's number ──────────────────────────────────────────────────────────────────
def test_a_plausible_number_becomes_a_beta_with_its_method() -> None:
    beta = accept_beta(1.24, BetaSource.TASTYTRADE, "Tastytrade market metrics", as_of=NOW)
    assert beta == Beta(
        value=1.24, source=BetaSource.TASTYTRADE, method="Tastytrade market metrics", as_of=NOW
    )


@pytest.mark.parametrize("value", [None, math.nan, math.inf, 25.0, -11.0])
def test_a_missing_or_implausible_number_is_no_answer(value: float | None) -> None:
    assert accept_beta(value, BetaSource.YFINANCE_INFO, "Yahoo") is None


def test_config_betas_are_keyed_like_positions_and_ignore_comment_keys() -> None:
    betas = config_betas(
        {"_comment": "manual betas", "spy": 1.0, "MES": 1.0, "/ES": 1.0, "KO": 0.58},
        method="manual, config/beta_config.json",
    )
    assert set(betas) == {"SPY", "/MES", "/ES", "KO"}
    assert betas["KO"].value == 0.58
    assert betas["KO"].source is BetaSource.CONFIG
    assert betas["KO"].method == "manual, config/beta_config.json"


@pytest.mark.parametrize("data", [{"KO": "high"}, {"KO": None}, {"KO": math.inf}, {"KO": True}, ["KO"]])
def test_config_betas_reject_what_is_not_a_number(data: object) -> None:
    with pytest.raises(ValueError, match=r"KO|object"):
        config_betas(data, method="manual")


# ── OLS beta from daily closes ───────────────────────────────────────────────────────────────────
def test_regression_beta_of_a_stock_that_moves_twice_the_index_is_two() -> None:
    spx = [5000.0]
    stock = [100.0]
    for day in range(120):
        r = 0.01 * math.sin(day)  # any non-constant index return
        spx.append(spx[-1] * (1 + r))
        stock.append(stock[-1] * (1 + 2 * r))
    assert regression_beta(stock, spx, window=100) == pytest.approx(2.0)


def test_regression_beta_uses_only_the_last_window_returns() -> None:
    spx = [5000.0]
    stock = [100.0]
    for day in range(200):
        r = 0.01 * math.cos(day * 1.3)
        spx.append(spx[-1] * (1 + r))
        factor = 3.0 if day < 100 else 0.5  # the old regime must not count
        stock.append(stock[-1] * (1 + factor * r))
    assert regression_beta(stock, spx, window=100) == pytest.approx(0.5)


def test_regression_beta_needs_enough_returns() -> None:
    closes = [100.0 + i for i in range(30)]
    with pytest.raises(InvalidMarketData, match="29 daily returns"):
        regression_beta(closes, closes, window=504, min_returns=60)


def test_regression_beta_needs_series_of_the_same_length() -> None:
    with pytest.raises(InvalidMarketData, match="same days"):
        regression_beta([1.0, 2.0, 3.0], [1.0, 2.0], window=10, min_returns=1)


def test_regression_beta_rejects_non_positive_closes() -> None:
    with pytest.raises(InvalidMarketData, match="positive"):
        regression_beta([1.0, 0.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], window=10, min_returns=2)


def test_regression_beta_of_a_flat_index_is_undefined() -> None:
    with pytest.raises(InvalidMarketData, match="does not move"):
        regression_beta([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0], window=10, min_returns=2)


@given(
    st.lists(st.floats(min_value=-0.05, max_value=0.05), min_size=40, max_size=80),
    st.floats(min_value=-3, max_value=3),
)
def test_regression_recovers_the_slope_of_a_noiseless_series(returns: list[float], slope: float) -> None:
    if max(returns) - min(returns) < 1e-3:
        return  # a flat index has no beta; covered above
    spx, stock = [5000.0], [50.0]
    for r in returns:
        spx.append(spx[-1] * (1 + r))
        stock.append(stock[-1] * (1 + slope * r))
    if min(stock) <= 0:
        return
    assert regression_beta(stock, spx, window=len(returns), min_returns=10) == pytest.approx(slope, abs=1e-6)


def test_history_method_names_the_window_like_risk_navigator() -> None:
    assert history_method(504) == "OLS of 2y daily returns vs SPX (Risk Navigator's method)"
    assert history_method(252) == "OLS of 1y daily returns vs SPX"
    assert history_method(300) == "OLS of 300 daily returns vs SPX"
