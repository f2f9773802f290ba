"""The simulated market: immutable state and a pure `step` that moves it forward in time.

- SPX follows a geometric Brownian motion with its own drift and volatility.
- Each stock or ETF moves by `beta × SPX log-return` plus its own idiosyncratic noise, so its
  correlation with SPX is positive and grows with its beta.
- VIX is log-normal and mean-reverting (an exact Ornstein–Uhlenbeck step on ln VIX), pushed by
  `coupling × SPX log-return` with a negative coupling: SPX down, VIX up.
- Futures (/ES, /MES) are priced at fair value, SPX × e^{(r − q)T}, so they track SPX with carry and
  converge to it at expiry.
- Implied volatility scales with VIX (SPX's at-the-money IV is a fixed fraction of VIX; a stock's is
  its own level times VIX / the reference VIX) and has a put skew in time-scaled log-moneyness.

Simulated time advances by `dt × time_scale`, so time to expiry shrinks as the market steps. All
randomness comes from the `random.Random` passed in: a seeded generator makes every path repeatable.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from deltadesk.paper_venue.domain.contracts import (
    Contract,
    future,
    future_option,
    listed_option,
    parse_option_symbol,
    share,
)
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.shared.broker import SPX, VIX
from deltadesk.shared.errors import DomainError, InvalidMarketData
from deltadesk.shared.instruments import InstrumentType

SECONDS_PER_YEAR = 365.0 * 86400.0
# The skew is measured in log-moneyness per √(years); below a week that would grow without bound.
_SKEW_MIN_YEARS = 7.0 / 365.0
_SKEW_FLOOR, _SKEW_CAP = 0.75, 3.0


class UnknownSymbol(DomainError):
    code = "unknown_symbol"


@dataclass(frozen=True, slots=True)
class ShareSpec:
    """A stock or ETF of the simulated market."""

    symbol: str
    instrument: InstrumentType
    start_price: float
    beta: float
    idiosyncratic_vol: float  # annual volatility of what SPX does not explain
    dividend_yield: float
    atm_iv: float  # at-the-money implied vol when VIX is at the reference level
    skew: float  # IV rise per unit of log(K/F)/√T below the money (half that slope above)


@dataclass(frozen=True, slots=True)
class FutureSpec:
    """An SPX index future (/ES, /MES): priced at fair value against SPX, options quoted on it."""

    root: str
    symbol: str
    multiplier: Decimal
    expiry: date


@dataclass(frozen=True, slots=True)
class MarketConfig:
    shares: tuple[ShareSpec, ...]
    futures: tuple[FutureSpec, ...]
    spx_start: float = 6000.0
    vix_start: float = 16.0
    spx_vol: float = 0.15
    spx_drift: float = 0.05
    spx_dividend_yield: float = 0.013
    rate: float = 0.04
    vix_mean: float = 16.0  # the long-run level VIX reverts to
    vix_reversion: float = 6.0  # per year: a half-life of ln 2 / 6 ≈ 42 days
    vix_spx_coupling: float = -5.0  # change of ln VIX per unit of SPX log-return
    vix_vol: float = 0.8  # annual volatility of ln VIX beyond what SPX explains
    vix_floor: float = 9.0
    vix_cap: float = 150.0
    vix_reference: float = 16.0  # the VIX level at which a share's IV is its `atm_iv`
    spx_iv_ratio: float = 0.9  # SPX at-the-money IV = ratio × VIX / 100 (VIX carries the skew premium)
    index_skew: float = 1.6
    option_roots: tuple[tuple[str, str], ...] = (("SPX", SPX), ("SPXW", SPX))  # OCC root → underlying
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_scale) and self.time_scale > 0):
            raise InvalidMarketData(f"time_scale must be positive, was {self.time_scale}")
        if self.spx_start <= 0 or self.vix_start <= 0:
            raise InvalidMarketData("SPX and VIX must start positive")
        names = [SPX, VIX, *(s.symbol for s in self.shares), *(f.symbol for f in self.futures)]
        if len(set(names)) != len(names):
            raise InvalidMarketData(f"market symbols must be unique: {names}")
        for spec in self.shares:
            if spec.start_price <= 0 or spec.instrument not in (InstrumentType.STK, InstrumentType.ETF):
                raise InvalidMarketData(f"{spec.symbol}: a share needs a positive price and type STK or ETF")


@dataclass(frozen=True, slots=True)
class MarketState:
    """The market at simulated time `now`. `share_prices` follows the order of `config.shares`."""

    config: MarketConfig
    now: datetime
    spx: float
    vix: float
    share_prices: tuple[float, ...]


def open_market(config: MarketConfig, start: datetime) -> MarketState:
    if start.tzinfo is None:
        raise InvalidMarketData("the simulated start must be timezone-aware")
    return MarketState(
        config=config,
        now=start,
        spx=config.spx_start,
        vix=config.vix_start,
        share_prices=tuple(s.start_price for s in config.shares),
    )


def step(state: MarketState, dt_seconds: float, rng: random.Random) -> MarketState:
    """Advance the market by `dt_seconds` of wall time (× `time_scale` of simulated time)."""
    if not math.isfinite(dt_seconds) or dt_seconds < 0:
        raise InvalidMarketData(f"a market step must be a non-negative time, was {dt_seconds}")
    config = state.config
    sim_seconds = dt_seconds * config.time_scale
    dt = sim_seconds / SECONDS_PER_YEAR
    if dt == 0:
        return state
    root_dt = math.sqrt(dt)
    # Draw in a fixed order (SPX, VIX, then each share in config order) so a seed fixes the path.
    spx_return = (config.spx_drift - 0.5 * config.spx_vol**2) * dt + config.spx_vol * root_dt * rng.gauss()

    decay = math.exp(-config.vix_reversion * dt)
    log_mean = math.log(config.vix_mean)
    vix_noise = config.vix_vol * math.sqrt((1.0 - decay * decay) / (2.0 * config.vix_reversion))
    log_vix = (
        log_mean
        + (math.log(state.vix) - log_mean) * decay
        + config.vix_spx_coupling * spx_return
        + vix_noise * rng.gauss()
    )
    vix = min(max(math.exp(log_vix), config.vix_floor), config.vix_cap)

    prices = []
    for spec, price in zip(config.shares, state.share_prices, strict=True):
        idio = spec.idiosyncratic_vol
        log_return = spec.beta * spx_return - 0.5 * idio * idio * dt + idio * root_dt * rng.gauss()
        prices.append(price * math.exp(log_return))

    return replace(
        state,
        now=state.now + timedelta(seconds=sim_seconds),
        spx=state.spx * math.exp(spx_return),
        vix=vix,
        share_prices=tuple(prices),
    )


def years_to_expiry(state: MarketState, expiry: date) -> float:
    """Simulated years until the 16:00 New York close of `expiry`; 0 once it has passed."""
    seconds = (expiry_instant(expiry) - state.now).total_seconds()
    return max(seconds, 0.0) / SECONDS_PER_YEAR


def share_spec(config: MarketConfig, symbol: str) -> ShareSpec | None:
    return next((s for s in config.shares if s.symbol == symbol), None)


def future_spec(config: MarketConfig, symbol: str) -> FutureSpec | None:
    return next((f for f in config.futures if f.symbol == symbol), None)


def future_price(state: MarketState, spec: FutureSpec) -> float:
    """Fair value: SPX carried to the future's expiry at the rate minus SPX's dividend yield."""
    carry = state.config.rate - state.config.spx_dividend_yield
    return state.spx * math.exp(carry * years_to_expiry(state, spec.expiry))


def spot(state: MarketState, symbol: str) -> float:
    """The price of an index, share or futures contract of this market."""
    if symbol == SPX:
        return state.spx
    if symbol == VIX:
        return state.vix
    for spec, price in zip(state.config.shares, state.share_prices, strict=True):
        if spec.symbol == symbol:
            return price
    fut = future_spec(state.config, symbol)
    if fut is not None:
        return future_price(state, fut)
    raise UnknownSymbol(f"the simulated market has no {symbol!r}")


def dividend_yield(config: MarketConfig, underlying: str) -> float:
    """The continuous yield of an option's underlying (0 for a future: Black-76 needs none)."""
    if underlying == SPX:
        return config.spx_dividend_yield
    spec = share_spec(config, underlying)
    return spec.dividend_yield if spec is not None else 0.0


def forward(state: MarketState, contract: Contract) -> float:
    """The forward price of an option's underlying at the option's expiry."""
    if contract.expiry is None:
        raise InvalidMarketData(f"{contract.symbol} has no expiry")
    if contract.instrument is InstrumentType.FOP:
        return spot(state, contract.priced_by)
    q = dividend_yield(state.config, contract.underlying)
    years = years_to_expiry(state, contract.expiry)
    return spot(state, contract.priced_by) * math.exp((state.config.rate - q) * years)


def implied_vol(state: MarketState, contract: Contract) -> float:
    """The model's implied volatility for an option: at-the-money level from VIX, plus put skew."""
    if contract.strike is None or contract.expiry is None:
        raise InvalidMarketData(f"{contract.symbol} is not an option")
    config = state.config
    spec = share_spec(config, contract.underlying)
    if spec is None:  # SPX, SPXW and the SPX futures' options
        atm, skew = config.spx_iv_ratio * state.vix / 100.0, config.index_skew
    else:
        atm, skew = spec.atm_iv * state.vix / config.vix_reference, spec.skew
    years = max(years_to_expiry(state, contract.expiry), _SKEW_MIN_YEARS)
    moneyness = math.log(float(contract.strike) / forward(state, contract)) / math.sqrt(years)
    slope = skew if moneyness < 0 else 0.5 * skew
    return atm * min(max(1.0 - slope * moneyness, _SKEW_FLOOR), _SKEW_CAP)


def contract_for(config: MarketConfig, symbol: str) -> Contract | None:
    """The contract a symbol names in this market (a share, a future or an option), else None.

    Only the canonical spelling is accepted (OCC roots padded to six characters), so a quote always
    carries exactly the symbol asked for. Indexes (SPX, VIX) are quoted but are not contracts.
    """
    spec = share_spec(config, symbol)
    if spec is not None:
        return share(spec.symbol, spec.instrument)
    fut = future_spec(config, symbol)
    if fut is not None:
        return future(fut.root, fut.symbol, fut.multiplier, fut.expiry)
    parsed = parse_option_symbol(symbol)
    if parsed is None:
        return None
    contract: Contract | None = None
    if parsed.on_future:
        fut = future_spec(config, parsed.root)
        if fut is not None and parsed.expiry <= fut.expiry:
            underlying_future = future(fut.root, fut.symbol, fut.multiplier, fut.expiry)
            contract = future_option(underlying_future, parsed.expiry, parsed.right, parsed.strike)
    else:
        underlying = dict(config.option_roots).get(parsed.root)
        if underlying is None and share_spec(config, parsed.root) is not None:
            underlying = parsed.root
        if underlying is not None:
            contract = listed_option(parsed.root, underlying, parsed.expiry, parsed.right, parsed.strike)
    if contract is None or contract.symbol != symbol:
        return None
    return contract
