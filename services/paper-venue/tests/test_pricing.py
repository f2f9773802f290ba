"""Black–Scholes and Black-76: textbook values, parity, Greeks against finite differences, T → 0."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.pricing import OptionValue, black_76, black_scholes
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import Right

spots = st.floats(min_value=1.0, max_value=10_000.0)
moneyness = st.floats(min_value=0.2, max_value=5.0)
years = st.floats(min_value=1e-4, max_value=5.0)
vols = st.floats(min_value=0.01, max_value=2.0)
rates = st.floats(min_value=0.0, max_value=0.10)
yields = st.floats(min_value=0.0, max_value=0.08)
rights = st.sampled_from(Right)


def test_hull_stock_option_example_prices_call_and_put() -> None:
    # Hull, Options, Futures and Other Derivatives, Example 15.6: c = 4.76, p = 0.81.
    call = black_scholes(42.0, 40.0, 0.5, 0.2, 0.10, Right.CALL)
    put = black_scholes(42.0, 40.0, 0.5, 0.2, 0.10, Right.PUT)
    assert call.price == pytest.approx(4.7594, abs=5e-4)
    assert put.price == pytest.approx(0.8086, abs=5e-4)


def test_haug_dividend_yield_example_prices_the_put() -> None:
    # Haug, The Complete Guide to Option Pricing Formulas, generalised BSM example: 2.4648.
    put = black_scholes(100.0, 95.0, 0.5, 0.2, 0.10, Right.PUT, dividend_yield=0.05)
    assert put.price == pytest.approx(2.4648, abs=5e-4)


def test_haug_black_76_example_prices_call_and_put_alike_at_the_money() -> None:
    # Haug, Black-76 example: F = X = 19, T = 0.75, r = 10%, σ = 28% gives 1.7011 for both.
    call = black_76(19.0, 19.0, 0.75, 0.28, 0.10, Right.CALL)
    put = black_76(19.0, 19.0, 0.75, 0.28, 0.10, Right.PUT)
    assert call.price == pytest.approx(1.7011, abs=5e-4)
    assert put.price == pytest.approx(call.price, rel=1e-12)


def test_hull_futures_option_example_prices_the_put() -> None:
    # Hull, Example 18.8: a 4-month put on a future, F = K = 20, r = 9%, σ = 25%: 1.12.
    put = black_76(20.0, 20.0, 4 / 12, 0.25, 0.09, Right.PUT)
    assert put.price == pytest.approx(1.1166, abs=5e-4)


@given(spots, moneyness, years, vols, rates, yields)
def test_put_call_parity_holds_with_a_dividend_yield(
    spot: float, m: float, t: float, vol: float, r: float, q: float
) -> None:
    strike = spot * m
    call = black_scholes(spot, strike, t, vol, r, Right.CALL, dividend_yield=q)
    put = black_scholes(spot, strike, t, vol, r, Right.PUT, dividend_yield=q)
    parity = spot * math.exp(-q * t) - strike * math.exp(-r * t)
    assert call.price - put.price == pytest.approx(parity, abs=1e-9 * max(spot, strike))
    assert call.delta - put.delta == pytest.approx(math.exp(-q * t), abs=1e-9)


@given(spots, moneyness, years, vols, rates)
def test_black_76_put_call_parity_discounts_the_forward(
    f: float, m: float, t: float, vol: float, r: float
) -> None:
    strike = f * m
    call = black_76(f, strike, t, vol, r, Right.CALL)
    put = black_76(f, strike, t, vol, r, Right.PUT)
    assert call.price - put.price == pytest.approx(math.exp(-r * t) * (f - strike), abs=1e-9 * max(f, strike))


@given(spots, moneyness, years, vols, rates, yields, rights)
def test_greeks_stay_within_their_bounds(
    spot: float, m: float, t: float, vol: float, r: float, q: float, right: Right
) -> None:
    value = black_scholes(spot, spot * m, t, vol, r, right, dividend_yield=q)
    carry = math.exp(-q * t)
    if right is Right.CALL:
        assert 0.0 <= value.delta <= carry + 1e-12
    else:
        assert -carry - 1e-12 <= value.delta <= 0.0
    assert value.gamma >= 0.0
    assert value.vega >= 0.0
    assert value.price >= 0.0


FD_CASES = [
    pytest.param(100.0, 95.0, 0.5, 0.2, 0.05, 0.02, Right.PUT, id="equity-put"),
    pytest.param(230.0, 240.0, 30 / 365, 0.26, 0.04, 0.004, Right.CALL, id="short-dated-call"),
    pytest.param(6000.0, 5600.0, 45 / 365, 0.19, 0.04, 0.013, Right.PUT, id="otm-index-put"),
    pytest.param(50.0, 40.0, 2.0, 0.6, 0.03, 0.0, Right.CALL, id="long-dated-itm-call"),
]


def _central(f: Callable[[float], float], x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize(("s", "k", "t", "vol", "r", "q", "right"), FD_CASES)
def test_black_scholes_greeks_match_finite_differences(
    s: float, k: float, t: float, vol: float, r: float, q: float, right: Right
) -> None:
    def price(spot: float = s, years: float = t, sigma: float = vol) -> float:
        return black_scholes(spot, k, years, sigma, r, right, dividend_yield=q).price

    value = black_scholes(s, k, t, vol, r, right, dividend_yield=q)
    h = s * 1e-4
    assert value.delta == pytest.approx(_central(lambda x: price(spot=x), s, h), rel=1e-5, abs=1e-8)
    gamma = (price(spot=s + h) - 2 * price() + price(spot=s - h)) / (h * h)
    assert value.gamma == pytest.approx(gamma, rel=1e-3, abs=1e-8)
    # Theta per calendar day: value lost when a day passes (T shrinks by 1/365), as a derivative.
    theta = -_central(lambda x: price(years=x), t, 1e-5) / 365.0
    assert value.theta == pytest.approx(theta, rel=1e-4, abs=1e-9)
    # Vega per volatility point: dV/dσ × 0.01.
    vega = _central(lambda x: price(sigma=x), vol, 1e-5) * 0.01
    assert value.vega == pytest.approx(vega, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("right", list(Right))
def test_black_76_greeks_match_finite_differences(right: Right) -> None:
    f, k, t, vol, r = 6010.0, 5700.0, 24 / 365, 0.19, 0.04

    def price(forward: float = f, years: float = t, sigma: float = vol) -> float:
        return black_76(forward, k, years, sigma, r, right).price

    value = black_76(f, k, t, vol, r, right)
    h = 0.5
    assert value.delta == pytest.approx(_central(lambda x: price(forward=x), f, h), rel=1e-5)
    gamma = (price(forward=f + h) - 2 * price() + price(forward=f - h)) / (h * h)
    assert value.gamma == pytest.approx(gamma, rel=1e-3)
    assert value.theta == pytest.approx(-_central(lambda x: price(years=x), t, 1e-6) / 365.0, rel=1e-4)
    assert value.vega == pytest.approx(_central(lambda x: price(sigma=x), vol, 1e-5) * 0.01, rel=1e-5)


@pytest.mark.parametrize(
    ("spot", "right", "price", "delta"),
    [
        (110.0, Right.CALL, 10.0, 1.0),
        (90.0, Right.CALL, 0.0, 0.0),
        (90.0, Right.PUT, 10.0, -1.0),
        (110.0, Right.PUT, 0.0, 0.0),
        (100.0, Right.CALL, 0.0, 0.5),
    ],
)
def test_at_expiry_an_option_is_worth_its_intrinsic_value(
    spot: float, right: Right, price: float, delta: float
) -> None:
    value = black_scholes(spot, 100.0, 0.0, 0.2, 0.05, right, dividend_yield=0.01)
    assert value == OptionValue(price=price, delta=delta, gamma=0.0, theta=0.0, vega=0.0)


def test_a_negative_time_to_expiry_prices_like_expiry() -> None:
    assert black_76(110.0, 100.0, -1.0, 0.2, 0.05, Right.CALL).price == pytest.approx(10.0)


@given(
    st.floats(min_value=1e-3, max_value=1e7),
    st.floats(min_value=1e-3, max_value=1e7),
    st.floats(min_value=0.0, max_value=30.0),
    st.floats(min_value=0.0, max_value=5.0),
    rates,
    yields,
    rights,
)
def test_nothing_is_nan_or_infinite_near_expiry_or_far_from_the_money(
    spot: float, strike: float, t: float, vol: float, r: float, q: float, right: Right
) -> None:
    value = black_scholes(spot, strike, t, vol, r, right, dividend_yield=q)
    for number in (value.price, value.delta, value.gamma, value.theta, value.vega):
        assert math.isfinite(number)


def test_an_at_the_money_option_an_instant_before_expiry_has_finite_greeks() -> None:
    value = black_scholes(100.0, 100.0, 1e-12, 0.2, 0.05, Right.PUT)
    assert value.delta == pytest.approx(-0.5, abs=1e-3)
    assert math.isfinite(value.gamma)
    assert math.isfinite(value.theta)
    assert value.price == pytest.approx(0.0, abs=1e-5)


def test_with_no_volatility_an_in_the_money_call_is_its_discounted_forward_intrinsic() -> None:
    value = black_scholes(100.0, 90.0, 1.0, 0.0, 0.05, Right.CALL, dividend_yield=0.02)
    expected = 100.0 * math.exp(-0.02) - 90.0 * math.exp(-0.05)
    assert value.price == pytest.approx(expected)
    assert value.delta == pytest.approx(math.exp(-0.02))


@pytest.mark.parametrize(
    ("spot", "strike", "vol"),
    [
        (0.0, 100.0, 0.2),
        (100.0, -5.0, 0.2),
        (100.0, 100.0, -0.1),
        (math.nan, 100.0, 0.2),
        (100.0, 100.0, math.inf),
    ],
)
def test_unusable_inputs_are_refused(spot: float, strike: float, vol: float) -> None:
    with pytest.raises(InvalidMarketData):
        black_scholes(spot, strike, 0.5, vol, 0.05, Right.CALL)
