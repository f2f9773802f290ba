"""What the simulated market lists: option expiries out to about a year, and strike grids around the
underlying's price, per option class.

Expiries (each moved to the trading day before when it falls on an exchange holiday):
- SPX: dailies on every trading day of the next 4 weeks, weeklies (Fridays) for 26 weeks, monthlies
  (third Fridays) for 12 months. Dailies and weeklies are the PM-settled `SPXW` class; a monthly is
  listed in both classes, the AM-settled `SPX` (the standard monthly, the default) and `SPXW`;
- SPY, QQQ, IWM: dailies for 4 weeks, weeklies for 13 weeks, monthlies for 12 months;
- other stocks and ETFs: weeklies for 6 weeks, monthlies for 12 months;
- options on /ES and /MES (FOP): dailies for 4 weeks and weeklies up to and including the front
  future's own (quarterly) expiry: the market lists no later future to carry them.
An expiry stays listed until its 16:00 New York close, so a same-day (0DTE) expiry is listed all day.

Strikes: bands around the underlying's price (the future's for FOP), finest nearest the money. A
strike is listed when it is a multiple of the step of the finest band whose reach covers it:
- SPX, /ES, /MES: 5 points within 10%, 25 within 25%, 100 within 40%;
- SPY, QQQ, IWM: 1 point within 15%, 5 within 40%;
- stocks by price: under $25: 0.5 / 1; under $100: 1 / 2.5; under $250: 2.5 / 5; under $1000: 5 / 10;
  above: 10 / 50 (the first within 20%, the second within 50%).
The same grid serves every expiry. As the price moves the grid moves with it; a contract someone holds
stays tradable however far the market moves away from it (see `resolution`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from deltadesk.paper_venue.domain.expiries import (
    FRIDAY,
    NEW_YORK,
    expiry_instant,
    is_trading_day,
    listed_expiry,
    monthly_expiry,
)
from deltadesk.paper_venue.domain.market import FutureSpec, MarketState, share_spec, spot
from deltadesk.paper_venue.domain.prices import plain, to_decimal
from deltadesk.shared.broker import SPX
from deltadesk.shared.errors import DomainError
from deltadesk.shared.instruments import InstrumentType

SPX_MONTHLY_CLASS = "SPX"  # AM-settled third-Friday options
SPX_WEEKLY_CLASS = "SPXW"  # PM-settled dailies, weeklies and monthlies
DAILY_ETFS = frozenset({"SPY", "QQQ", "IWM"})  # ETFs with daily expiries and 1-point strikes


class NotListed(DomainError):
    """The simulated market lists no such option class, expiry, strike or contract."""

    code = "contract_not_listed"


@dataclass(frozen=True, slots=True)
class ExpirySchedule:
    """How far ahead each kind of expiry is listed, in calendar days (0: none of that kind)."""

    daily_days: int
    weekly_days: int
    monthly_days: int


@dataclass(frozen=True, slots=True)
class StrikeBand:
    step: Decimal
    reach: Decimal  # a fraction of the underlying's price, either side


INDEX_SCHEDULE = ExpirySchedule(daily_days=28, weekly_days=182, monthly_days=366)
DAILY_ETF_SCHEDULE = ExpirySchedule(daily_days=28, weekly_days=91, monthly_days=366)
STOCK_SCHEDULE = ExpirySchedule(daily_days=0, weekly_days=42, monthly_days=366)
FUTURE_OPTION_SCHEDULE = ExpirySchedule(daily_days=28, weekly_days=366, monthly_days=0)

INDEX_BANDS = (
    StrikeBand(Decimal(5), Decimal("0.10")),
    StrikeBand(Decimal(25), Decimal("0.25")),
    StrikeBand(Decimal(100), Decimal("0.40")),
)
DAILY_ETF_BANDS = (StrikeBand(Decimal(1), Decimal("0.15")), StrikeBand(Decimal(5), Decimal("0.40")))
# (price below which the pair applies, near step, far step)
_STOCK_STEPS = (
    (Decimal(25), Decimal("0.5"), Decimal(1)),
    (Decimal(100), Decimal(1), Decimal("2.5")),
    (Decimal(250), Decimal("2.5"), Decimal(5)),
    (Decimal(1000), Decimal(5), Decimal(10)),
)
_STOCK_NEAR, _STOCK_FAR = Decimal("0.20"), Decimal("0.50")


@dataclass(frozen=True, slots=True)
class OptionClass:
    """The options of one underlying: what prices them and how they are listed.

    `underlying` is the desk's name (`SPX`, `AAPL`, `/ES`); `priced_by` the market symbol of the price
    the strikes are centred on (`SPX`, `AAPL`, `/ESZ6`); `future` is set for options on a future.
    """

    underlying: str
    instrument: InstrumentType
    priced_by: str
    schedule: ExpirySchedule
    future: FutureSpec | None = None


def option_class(state: MarketState, underlying: str, instrument: InstrumentType) -> OptionClass:
    """The option class of an underlying (`SPX`, a share, or a futures root for FOP), or NotListed."""
    config = state.config
    if instrument is InstrumentType.OPT:
        if underlying == SPX:
            return OptionClass(SPX, instrument, SPX, INDEX_SCHEDULE)
        spec = share_spec(config, underlying)
        if spec is not None:
            schedule = DAILY_ETF_SCHEDULE if underlying in DAILY_ETFS else STOCK_SCHEDULE
            return OptionClass(underlying, instrument, underlying, schedule)
    elif instrument is InstrumentType.FOP:
        future = front_future(state, underlying)
        if future is not None:
            return OptionClass(future.root, instrument, future.symbol, FUTURE_OPTION_SCHEDULE, future)
    else:
        raise NotListed(f"{instrument} is not an option type: options are OPT or FOP")
    raise NotListed(f"the paper venue lists no {instrument} options on {underlying!r}")


def class_named(
    state: MarketState, underlying: str, instrument: InstrumentType
) -> tuple[OptionClass, str | None]:
    """An option class by the name a trader uses (any case), and the trading class that name asks for:
    `SPXW` names SPX's options in the SPXW class."""
    name = underlying.strip().upper()
    if instrument is InstrumentType.OPT and name == SPX_WEEKLY_CLASS:
        return option_class(state, SPX, instrument), SPX_WEEKLY_CLASS
    return option_class(state, name, instrument), None


def front_future(state: MarketState, root: str) -> FutureSpec | None:
    """The front (nearest unexpired) future of a root, `/ES` or `ES` alike; None when none is listed."""
    wanted = root if root.startswith("/") else "/" + root
    live = [f for f in state.config.futures if f.root == wanted and expiry_instant(f.expiry) > state.now]
    return min(live, key=lambda f: f.expiry, default=None)


def trade_date(state: MarketState) -> date:
    """The market's current date in New York, where every listed product here trades."""
    return state.now.astimezone(NEW_YORK).date()


def option_expiries(state: MarketState, cls: OptionClass) -> tuple[date, ...]:
    """The listed expiries of a class, ascending, each still before its 16:00 New York close."""
    today = trade_date(state)
    schedule = cls.schedule
    days: set[date] = set()
    for offset in range(schedule.daily_days + 1 if schedule.daily_days else 0):
        day = today + timedelta(days=offset)
        if is_trading_day(day):
            days.add(day)
    friday = today + timedelta(days=(FRIDAY - today.weekday()) % 7)
    while (friday - today).days <= schedule.weekly_days and schedule.weekly_days:
        days.add(listed_expiry(friday))
        friday += timedelta(weeks=1)
    if schedule.monthly_days:
        for months in range(14):
            index = today.year * 12 + today.month - 1 + months
            monthly = monthly_expiry(index // 12, index % 12 + 1)
            if (monthly - today).days <= schedule.monthly_days:
                days.add(monthly)
    if cls.future is not None:
        days = {d for d in days if d <= cls.future.expiry} | {cls.future.expiry}
    return tuple(sorted(d for d in days if d >= today and expiry_instant(d) > state.now))


def is_monthly(day: date) -> bool:
    return day == monthly_expiry(day.year, day.month)


def trading_classes(cls: OptionClass, expiry: date) -> tuple[str, ...]:
    """The trading classes an option of this class and expiry is listed in, the default first.

    Options on shares trade under the share's symbol. SPX monthlies are listed as the AM-settled
    `SPX` (the default) and the PM-settled `SPXW`; every other SPX expiry only as `SPXW`. Options on
    futures carry no trading class here.
    """
    if cls.instrument is InstrumentType.FOP:
        return ()
    if cls.underlying == SPX:
        return (SPX_MONTHLY_CLASS, SPX_WEEKLY_CLASS) if is_monthly(expiry) else (SPX_WEEKLY_CLASS,)
    return (cls.underlying,)


def strike_bands(cls: OptionClass, price: Decimal) -> tuple[StrikeBand, ...]:
    if cls.underlying == SPX or cls.instrument is InstrumentType.FOP:
        return INDEX_BANDS
    if cls.underlying in DAILY_ETFS:
        return DAILY_ETF_BANDS
    near, far = Decimal(10), Decimal(50)
    for below, near_step, far_step in _STOCK_STEPS:
        if price < below:
            near, far = near_step, far_step
            break
    return StrikeBand(near, _STOCK_NEAR), StrikeBand(far, _STOCK_FAR)


def underlying_price(state: MarketState, cls: OptionClass) -> Decimal:
    return to_decimal(spot(state, cls.priced_by))


def listed_strikes(state: MarketState, cls: OptionClass) -> tuple[Decimal, ...]:
    """Every listed strike of the class at the current price, ascending."""
    price = underlying_price(state, cls)
    strikes: set[Decimal] = set()
    for band in strike_bands(cls, price):
        low = (price * (1 - band.reach) / band.step).to_integral_value(rounding=ROUND_CEILING)
        high = (price * (1 + band.reach) / band.step).to_integral_value(rounding=ROUND_FLOOR)
        strikes.update(band.step * n for n in range(max(int(low), 1), int(high) + 1))
    return tuple(sorted(plain(s) for s in strikes if _on_grid(s, price, strike_bands(cls, price))))


def is_listed_strike(state: MarketState, cls: OptionClass, strike: Decimal) -> bool:
    price = underlying_price(state, cls)
    return strike > 0 and _on_grid(strike, price, strike_bands(cls, price))


def _on_grid(strike: Decimal, price: Decimal, bands: tuple[StrikeBand, ...]) -> bool:
    """On the step of the finest band whose reach covers the strike (a coarser band's strikes are not
    listed inside a finer band's reach: 1-point strikes near the money, no 57.5 among them)."""
    distance = abs(strike - price)
    band = next((b for b in bands if distance <= b.reach * price), None)
    return band is not None and strike % band.step == 0
