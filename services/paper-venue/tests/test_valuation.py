"""Valuing contracts in the simulated market: the right model, the right underlying, settlement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.contracts import future, future_option, listed_option, share
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.market import MarketState, future_price, implied_vol
from deltadesk.paper_venue.domain.pricing import black_76, black_scholes
from deltadesk.paper_venue.domain.valuation import has_expired, settlement_price, value
from deltadesk.shared.instruments import Right

EXPIRY = date(2026, 12, 18)


def test_a_share_is_worth_its_price_with_a_delta_of_one(market: MarketState) -> None:
    valuation = value(market, share("KO"))
    assert (valuation.price, valuation.delta, valuation.iv, valuation.underlying_price) == (
        70.0,
        1.0,
        None,
        70.0,
    )


def test_a_future_is_worth_its_fair_value_and_is_its_own_underlying(market: MarketState) -> None:
    spec = market.config.futures[0]
    valuation = value(market, future(spec.root, spec.symbol, spec.multiplier, spec.expiry))
    assert valuation.price == valuation.underlying_price == future_price(market, spec)
    assert valuation.delta == 1.0


def test_an_index_option_is_black_scholes_on_spx_with_its_dividend_yield(market: MarketState) -> None:
    option = listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5700))
    valuation = value(market, option)
    years = (expiry_instant(EXPIRY) - market.now).total_seconds() / (365 * 86400)
    iv = implied_vol(market, option)
    expected = black_scholes(6000.0, 5700.0, years, iv, 0.04, Right.PUT, dividend_yield=0.013)
    assert valuation.price == pytest.approx(expected.price)
    assert valuation.delta == pytest.approx(expected.delta)
    assert valuation.iv == iv
    assert valuation.underlying_price == 6000.0


def test_a_futures_option_is_black_76_on_the_future_and_reports_the_futures_price(
    market: MarketState,
) -> None:
    spec = market.config.futures[0]
    es = future(spec.root, spec.symbol, spec.multiplier, spec.expiry)
    option = future_option(es, EXPIRY, Right.PUT, Decimal(5700))
    valuation = value(market, option)
    forward = future_price(market, spec)
    years = (expiry_instant(EXPIRY) - market.now).total_seconds() / (365 * 86400)
    expected = black_76(forward, 5700.0, years, implied_vol(market, option), 0.04, Right.PUT)
    assert valuation.price == pytest.approx(expected.price)
    assert valuation.underlying_price == forward


def test_the_underlying_price_is_never_the_strike(market: MarketState) -> None:
    option = listed_option("NVDA", "NVDA", EXPIRY, Right.PUT, Decimal(150))
    assert value(market, option).underlying_price == 185.0


def test_an_option_expires_at_the_close_of_its_expiry_date(market: MarketState) -> None:
    option = listed_option("SPY", "SPY", EXPIRY, Right.PUT, Decimal(580))
    close = expiry_instant(EXPIRY)
    assert not has_expired(market, option)
    assert not has_expired(replace(market, now=close.replace(minute=0, hour=15)), option)
    assert has_expired(replace(market, now=close), option)
    assert not has_expired(market, share("SPY"))


@pytest.mark.parametrize(("spx", "right", "expected"), [(5500.0, Right.PUT, 200.0), (5800.0, Right.PUT, 0.0),
                                                        (5800.0, Right.CALL, 100.0)])  # fmt: skip
def test_an_expired_option_settles_at_its_intrinsic_value(
    market: MarketState, spx: float, right: Right, expected: float
) -> None:
    option = listed_option("SPXW", "SPX", EXPIRY, right, Decimal(5700))
    at_expiry = replace(market, now=expiry_instant(EXPIRY), spx=spx)
    assert settlement_price(at_expiry, option) == pytest.approx(expected)
    assert value(at_expiry, option).price == pytest.approx(expected)


def test_an_expired_future_settles_at_spx(market: MarketState) -> None:
    spec = market.config.futures[0]
    es = future(spec.root, spec.symbol, spec.multiplier, spec.expiry)
    at_expiry = replace(market, now=expiry_instant(spec.expiry), spx=6123.45)
    assert has_expired(at_expiry, es)
    assert settlement_price(at_expiry, es) == pytest.approx(6123.45)
