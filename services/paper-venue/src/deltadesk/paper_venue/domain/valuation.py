"""What a contract is worth in the simulated market: model price, per-unit Greeks and settlement.

Options on SPX and on shares are priced with Black–Scholes on the index or share (with its dividend
yield); options on /ES and /MES with Black-76 on the future's fair value. A share or future is worth
its price with a delta of 1.

Expired options settle in cash at their intrinsic value. Equity options are cash-settled here for
simplicity, where a real broker would assign or deliver shares; futures settle in cash at SPX.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.market import (
    MarketState,
    dividend_yield,
    implied_vol,
    spot,
    years_to_expiry,
)
from deltadesk.paper_venue.domain.pricing import OptionValue, black_76, black_scholes, intrinsic_value
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType, Right


@dataclass(frozen=True, slots=True)
class Valuation:
    """Per-unit model value. `underlying_price` is what delta is taken against (never the strike)."""

    price: float
    delta: float
    gamma: float
    theta: float
    vega: float
    iv: float | None
    underlying_price: float


def value(state: MarketState, contract: Contract) -> Valuation:
    underlying_price = spot(state, contract.priced_by)
    if contract.instrument.is_linear:
        return Valuation(underlying_price, 1.0, 0.0, 0.0, 0.0, None, underlying_price)
    vol = implied_vol(state, contract)
    option = _model(state, contract, vol)
    return Valuation(
        price=option.price,
        delta=option.delta,
        gamma=option.gamma,
        theta=option.theta,
        vega=option.vega,
        iv=vol,
        underlying_price=underlying_price,
    )


def option_value(state: MarketState, contract: Contract) -> OptionValue:
    """The model price and Greeks of an option (intrinsic value once expired)."""
    return _model(state, contract, implied_vol(state, contract))


def _model(state: MarketState, contract: Contract, vol: float) -> OptionValue:
    expiry, strike, right = _option_terms(contract)
    years = years_to_expiry(state, expiry)
    underlying_price = spot(state, contract.priced_by)
    rate = state.config.rate
    if contract.instrument is InstrumentType.FOP:
        return black_76(underlying_price, strike, years, vol, rate, right)
    q = dividend_yield(state.config, contract.underlying)
    return black_scholes(underlying_price, strike, years, vol, rate, right, dividend_yield=q)


def has_expired(state: MarketState, contract: Contract) -> bool:
    """True from the 16:00 New York close of the contract's expiry date on."""
    return contract.expiry is not None and state.now >= expiry_instant(contract.expiry)


def settlement_price(state: MarketState, contract: Contract) -> float:
    """The per-unit cash a contract settles at: intrinsic for an option; the price otherwise (an
    expired index future's fair value is SPX itself)."""
    if contract.instrument.is_option:
        _, strike, right = _option_terms(contract)
        return intrinsic_value(spot(state, contract.priced_by), strike, right)
    return spot(state, contract.priced_by)


def _option_terms(contract: Contract) -> tuple[date, float, Right]:
    if contract.expiry is None or contract.strike is None or contract.right is None:
        raise InvalidMarketData(f"{contract.symbol} is not an option")
    return contract.expiry, float(contract.strike), contract.right
