"""European option prices and per-unit Greeks: Black–Scholes(–Merton) for options on stocks, ETFs and
indexes (continuous dividend yield), Black-76 for options on futures.

Both are the generalised Black–Scholes model with a cost of carry `b` (Haug, *The Complete Guide to
Option Pricing Formulas*, 2nd ed., §1.1.6): b = r − q for an underlying paying a yield q, b = 0 for a
future (Black-76). Greeks are per unit of the underlying: delta and gamma per 1.0 move, theta in
price per calendar day (d/dt ÷ 365), vega in price per one volatility point (d/dσ ÷ 100).

At expiry (or with no volatility) the option is worth its discounted forward intrinsic value; its
delta is then a step, and gamma, theta and vega are zero, so nothing returns NaN near T = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import Right

DAYS_PER_YEAR = 365.0
_N = NormalDist()
# Below this σ√T the lognormal spread is numerically a point: price on the intrinsic branch instead.
_DEGENERATE_STDEV = 1e-9


@dataclass(frozen=True, slots=True)
class OptionValue:
    """A model price with per-unit Greeks (see the module docstring for units)."""

    price: float
    delta: float
    gamma: float
    theta: float
    vega: float


def black_scholes(
    spot: float,
    strike: float,
    years: float,
    vol: float,
    rate: float,
    right: Right,
    dividend_yield: float = 0.0,
) -> OptionValue:
    """A European option on a stock, ETF or index paying a continuous dividend yield."""
    return _generalised(spot, strike, years, vol, rate, rate - dividend_yield, right)


def black_76(
    forward: float, strike: float, years: float, vol: float, rate: float, right: Right
) -> OptionValue:
    """A European option on a future (delta and gamma per 1.0 move of the future)."""
    return _generalised(forward, strike, years, vol, rate, 0.0, right)


def intrinsic_value(underlying: float, strike: float, right: Right) -> float:
    if right is Right.CALL:
        return max(underlying - strike, 0.0)
    return max(strike - underlying, 0.0)


def _generalised(s: float, k: float, t: float, vol: float, r: float, b: float, right: Right) -> OptionValue:
    _check_inputs(s, k, t, vol, r, b)
    t = max(t, 0.0)
    carry = math.exp((b - r) * t)  # e^{-qT}: e^{-rT} for a future
    discount = math.exp(-r * t)
    stdev = vol * math.sqrt(t)
    sign = 1.0 if right is Right.CALL else -1.0
    if stdev < _DEGENERATE_STDEV:
        return _degenerate(s, k, t, r, b, right, carry, discount)

    d1 = (math.log(s / k) + (b + 0.5 * vol * vol) * t) / stdev
    d2 = d1 - stdev
    pdf_d1 = _N.pdf(d1)
    cdf_1 = _N.cdf(sign * d1)
    cdf_2 = _N.cdf(sign * d2)
    price = sign * (s * carry * cdf_1 - k * discount * cdf_2)
    delta = sign * carry * cdf_1
    gamma = carry * pdf_d1 / (s * stdev)
    vega = s * carry * pdf_d1 * math.sqrt(t)
    # ∂V/∂t (calendar time passing), Haug eq. (1.8)–(1.9): decay, carry and interest terms.
    theta_year = (
        -s * carry * pdf_d1 * vol / (2.0 * math.sqrt(t))
        - sign * (b - r) * s * carry * cdf_1
        - sign * r * k * discount * cdf_2
    )
    return OptionValue(
        price=price if price > 0 else 0.0,  # never -0.0 or a rounding-error negative
        delta=delta,
        gamma=gamma,
        theta=theta_year / DAYS_PER_YEAR,
        vega=vega / 100.0,
    )


def _degenerate(
    s: float, k: float, t: float, r: float, b: float, right: Right, carry: float, discount: float
) -> OptionValue:
    """No uncertainty left: the option pays its forward intrinsic value for sure."""
    forward = s * math.exp(b * t)
    sign = 1.0 if right is Right.CALL else -1.0
    moneyness = sign * (forward - k)
    if moneyness > 0:
        exercise = 1.0
    elif moneyness == 0:
        exercise = 0.5  # exactly at the money: the delta step's midpoint
    else:
        exercise = 0.0
    price = discount * max(moneyness, 0.0)
    # With certainty the value still drifts with interest and carry while time remains.
    theta_year = r * price - exercise * sign * (b * s * carry) if t > 0 else 0.0
    return OptionValue(
        price=price,
        delta=sign * carry * exercise,
        gamma=0.0,
        theta=theta_year / DAYS_PER_YEAR,
        vega=0.0,
    )


def _check_inputs(s: float, k: float, t: float, vol: float, r: float, b: float) -> None:
    if not all(math.isfinite(x) for x in (s, k, t, vol, r, b)):
        raise InvalidMarketData(f"option inputs must be finite: spot={s} strike={k} years={t} vol={vol}")
    if s <= 0 or k <= 0:
        raise InvalidMarketData(f"spot and strike must be positive: spot={s} strike={k}")
    if vol < 0:
        raise InvalidMarketData(f"volatility cannot be negative: vol={vol}")
