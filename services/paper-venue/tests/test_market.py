"""The simulated market: seeded determinism, correlations, VIX behaviour, time, futures, IV, quotes."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.contracts import future_option, listed_option
from deltadesk.paper_venue.domain.demo import demo_market_config
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.market import (
    MarketConfig,
    MarketState,
    UnknownSymbol,
    contract_for,
    future_price,
    implied_vol,
    open_market,
    spot,
    step,
    years_to_expiry,
)
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType, Right

DAY = 86_400.0
EXPIRY = date(2026, 12, 18)


def walk(state: MarketState, steps: int, seed: int, dt: float = DAY) -> list[MarketState]:
    rng = random.Random(seed)
    path = [state]
    for _ in range(steps):
        path.append(step(path[-1], dt, rng))
    return path


def log_returns(values: list[float]) -> list[float]:
    return [math.log(b / a) for a, b in itertools.pairwise(values)]


def test_the_same_seed_replays_the_same_market(market: MarketState) -> None:
    assert walk(market, 200, seed=11) == walk(market, 200, seed=11)


def test_different_seeds_give_different_markets(market: MarketState) -> None:
    assert walk(market, 5, seed=1)[-1].spx != walk(market, 5, seed=2)[-1].spx


def test_every_share_moves_with_spx_and_vix_against_it(market: MarketState) -> None:
    path = walk(market, 1000, seed=7)
    spx = log_returns([s.spx for s in path])
    for index, spec in enumerate(market.config.shares):
        share = log_returns([s.share_prices[index] for s in path])
        assert statistics.correlation(share, spx) > 0.3, spec.symbol
    vix = log_returns([s.vix for s in path])
    assert statistics.correlation(vix, spx) < -0.3


def test_a_shares_regression_slope_on_spx_is_its_beta(market: MarketState) -> None:
    path = walk(market, 2000, seed=3)
    spx = log_returns([s.spx for s in path])
    for index, spec in enumerate(market.config.shares):
        share = log_returns([s.share_prices[index] for s in path])
        slope, _ = statistics.linear_regression(spx, share)
        assert slope == pytest.approx(spec.beta, abs=0.25), spec.symbol


def test_a_high_vix_reverts_towards_its_mean(market: MarketState) -> None:
    stressed = replace(market, vix=40.0)
    finals = [walk(stressed, 90, seed=seed)[-1].vix for seed in range(30)]
    assert 12.0 < statistics.fmean(finals) < 25.0


def test_vix_stays_within_its_floor_and_cap(market: MarketState) -> None:
    wild = replace(market, config=replace(market.config, vix_vol=5.0))
    for state in walk(wild, 500, seed=5):
        assert market.config.vix_floor <= state.vix <= market.config.vix_cap


def test_a_step_advances_simulated_time_by_dt_times_the_time_scale() -> None:
    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    fast = open_market(demo_market_config(start, time_scale=3600.0), start)
    later = step(fast, 2.0, random.Random(0))
    assert later.now == start + timedelta(hours=2)


def test_time_to_expiry_shrinks_as_the_market_steps(market: MarketState) -> None:
    path = walk(market, 10, seed=1, dt=3600.0)
    remaining = [years_to_expiry(s, EXPIRY) for s in path]
    assert all(b < a for a, b in itertools.pairwise(remaining))
    assert remaining[0] - remaining[-1] == pytest.approx(10 / (365 * 24))


def test_time_to_expiry_is_zero_from_the_expiry_close_on(market: MarketState) -> None:
    at_close = replace(market, now=expiry_instant(EXPIRY))
    assert years_to_expiry(at_close, EXPIRY) == 0.0
    assert years_to_expiry(replace(at_close, now=at_close.now + timedelta(days=3)), EXPIRY) == 0.0


def test_a_zero_step_changes_nothing_and_a_negative_one_is_refused(market: MarketState) -> None:
    assert step(market, 0.0, random.Random(1)) == market
    with pytest.raises(InvalidMarketData):
        step(market, -1.0, random.Random(1))


def test_futures_trade_at_fair_value_above_spx_and_converge_at_expiry(market: MarketState) -> None:
    es = market.config.futures[0]
    config = market.config
    carry = config.rate - config.spx_dividend_yield
    expected = market.spx * math.exp(carry * years_to_expiry(market, es.expiry))
    assert future_price(market, es) == pytest.approx(expected)
    assert future_price(market, es) > market.spx
    assert spot(market, es.symbol) == future_price(market, es)
    at_expiry = replace(market, now=expiry_instant(es.expiry), spx=5800.0)
    assert future_price(at_expiry, es) == pytest.approx(5800.0)


def test_futures_follow_spx_step_by_step(market: MarketState) -> None:
    es = market.config.futures[0]
    path = walk(market, 50, seed=9, dt=3600.0)
    for state in path:
        assert future_price(state, es) / state.spx == pytest.approx(1.0, abs=0.01)


def test_at_the_money_iv_scales_with_vix(market: MarketState) -> None:
    for contract in (
        listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(6000)),
        listed_option("NVDA", "NVDA", EXPIRY, Right.CALL, Decimal(185)),
    ):
        calm = implied_vol(market, contract)
        stressed = implied_vol(replace(market, vix=market.vix * 2), contract)
        assert stressed == pytest.approx(2 * calm)


@pytest.mark.parametrize(("root", "underlying", "price"), [("SPXW", "SPX", 6000), ("AAPL", "AAPL", 230)])
def test_implied_vol_has_a_put_skew(market: MarketState, root: str, underlying: str, price: int) -> None:
    def iv(strike: float) -> float:
        option = listed_option(root, underlying, EXPIRY, Right.PUT, Decimal(str(round(strike))))
        return implied_vol(market, option)

    assert iv(price * 0.9) > iv(price) > iv(price * 1.1)


def test_spot_knows_indexes_shares_and_futures_but_nothing_else(market: MarketState) -> None:
    assert spot(market, "SPX") == 6000.0
    assert spot(market, "VIX") == 16.0
    assert spot(market, "AAPL") == 230.0
    with pytest.raises(UnknownSymbol):
        spot(market, "TSLA")


def test_the_market_refuses_a_naive_start_and_a_non_positive_time_scale() -> None:
    config = demo_market_config(datetime(2026, 11, 24, tzinfo=UTC))
    with pytest.raises(InvalidMarketData):
        open_market(config, datetime(2026, 11, 24))
    with pytest.raises(InvalidMarketData):
        replace(config, time_scale=0.0)
    with pytest.raises(InvalidMarketData):
        MarketConfig(shares=config.shares * 2, futures=())


# ── symbols ─────────────────────────────────────────────────────────────────────────────────────
def test_contract_for_resolves_every_kind_of_symbol(market: MarketState) -> None:
    config = market.config
    aapl = contract_for(config, "AAPL")
    assert aapl is not None
    assert (aapl.instrument, aapl.multiplier) == (InstrumentType.STK, Decimal(1))
    spy = contract_for(config, "SPY")
    assert spy is not None
    assert spy.instrument is InstrumentType.ETF
    es = contract_for(config, "/ESZ6")
    assert es is not None
    assert (es.instrument, es.underlying, es.underlying_contract, es.multiplier) == (
        InstrumentType.FUT,
        "/ES",
        "/ESZ6",
        Decimal(50),
    )
    spxw = contract_for(config, "SPXW  261231P05600000")
    assert spxw is not None
    assert (spxw.underlying, spxw.strike, spxw.right, spxw.expiry) == (
        "SPX",
        Decimal(5600),
        Right.PUT,
        date(2026, 12, 31),
    )
    fop = contract_for(config, "/ESZ6 261218P5600")
    assert fop is not None
    assert (fop.instrument, fop.underlying, fop.underlying_contract, fop.multiplier) == (
        InstrumentType.FOP,
        "/ES",
        "/ESZ6",
        Decimal(50),
    )


@pytest.mark.parametrize(
    "symbol",
    [
        "TSLA",  # not in this market
        "SPXW261231P05600000",  # not the canonical, padded spelling
        "TSLA  261231P00300000",  # an option on a share the market lacks
        "/ESH7",  # a future the market does not list
        "/ESZ6 270115P5600",  # an option expiring after its future
        "SPX",  # an index is quoted, not held
    ],
)
def test_contract_for_knows_nothing_else(market: MarketState, symbol: str) -> None:
    assert contract_for(market.config, symbol) is None


def test_a_futures_option_on_a_listed_future_round_trips(market: MarketState) -> None:
    es = contract_for(market.config, "/ESZ6")
    assert es is not None
    option = future_option(es, EXPIRY, Right.CALL, Decimal("6012.5"))
    assert option.symbol == "/ESZ6 261218C6012.5"
    assert contract_for(market.config, option.symbol) == option
