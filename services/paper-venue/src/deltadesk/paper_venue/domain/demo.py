"""The demo desk: a simulated market priced like late 2026 and a premium seller's paper portfolio.

Everything is built relative to the simulated start, so expiries fall on real expiry dates: SPXW
on Fridays, equity options on monthly third Fridays, /ES and /MES on the front quarterly month
(H, M, U, Z) and the /ES option on a Friday no later than its future. Short strikes are chosen by
model delta on a listed strike grid, and average costs are the model's prices at the start.

The account starts with `start_cash` of net liquidation: the positions are bought and sold at
their marks, so cash is `start_cash` minus what the shares and options cost (plus the premium the
short options brought in).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from deltadesk.paper_venue.domain.account import Account, Holding, mark_price
from deltadesk.paper_venue.domain.contracts import Contract, future, future_option, listed_option, share
from deltadesk.paper_venue.domain.expiries import (
    NEW_YORK,
    front_quarter,
    futures_symbol,
    nearest_friday,
    nearest_monthly,
)
from deltadesk.paper_venue.domain.market import (
    FutureSpec,
    MarketConfig,
    MarketState,
    ShareSpec,
    open_market,
    spot,
)
from deltadesk.paper_venue.domain.valuation import option_value
from deltadesk.paper_venue.domain.venue import Venue
from deltadesk.shared.broker import SPX
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType, Right

SPX_START = 6000.0
VIX_START = 16.0
DEFAULT_START_CASH = Decimal(250_000)
ES_MULTIPLIER = Decimal(50)
MES_MULTIPLIER = Decimal(5)

# Sim betas: SPY 1.0, AAPL 1.2, NVDA 1.8 (high), KO 0.55 (low). IVs are at-the-money at VIX 16.
DEMO_SHARES = (
    ShareSpec("SPY", InstrumentType.ETF, SPX_START / 10, beta=1.0, idiosyncratic_vol=0.01,
              dividend_yield=0.012, atm_iv=0.144, skew=1.6),
    ShareSpec("AAPL", InstrumentType.STK, 230.0, beta=1.2, idiosyncratic_vol=0.22,
              dividend_yield=0.004, atm_iv=0.26, skew=1.0),
    ShareSpec("NVDA", InstrumentType.STK, 185.0, beta=1.8, idiosyncratic_vol=0.35,
              dividend_yield=0.0003, atm_iv=0.48, skew=0.8),
    ShareSpec("KO", InstrumentType.STK, 70.0, beta=0.55, idiosyncratic_vol=0.12,
              dividend_yield=0.029, atm_iv=0.17, skew=1.2),
)  # fmt: skip


def demo_market_config(start: datetime, *, time_scale: float = 1.0) -> MarketConfig:
    """The demo universe at `start`: SPX, VIX, the four shares, and the front /ES and /MES."""
    es_expiry = front_quarter(_trade_date(start))
    return MarketConfig(
        shares=DEMO_SHARES,
        futures=(
            FutureSpec("/ES", futures_symbol("/ES", es_expiry), ES_MULTIPLIER, es_expiry),
            FutureSpec("/MES", futures_symbol("/MES", es_expiry), MES_MULTIPLIER, es_expiry),
        ),
        spx_start=SPX_START,
        vix_start=VIX_START,
        time_scale=time_scale,
    )


def demo_venue(
    start: datetime, *, account_id: str, start_cash: Decimal = DEFAULT_START_CASH, time_scale: float = 1.0
) -> Venue:
    market = open_market(demo_market_config(start, time_scale=time_scale), start)
    return Venue(market=market, accounts=(demo_account(account_id, market, start_cash),))


def demo_account(account_id: str, market: MarketState, start_cash: Decimal = DEFAULT_START_CASH) -> Account:
    """A premium seller's book (SPX-weighted delta near flat, positive theta):

    - SPX iron condor, SPXW ~45 DTE, 2 contracts, short strikes near 0.15 delta, 50-point wings;
    - 2 short SPXW puts ~30 DTE near 0.15 delta; 5 short SPY puts ~30 DTE near 0.20 delta;
    - AAPL covered call: 200 shares, 2 short calls near 0.30 delta;
    - 3 short NVDA puts and 5 short KO puts near 0.20 delta;
    - 1 short /ES future, 2 long /MES futures, 1 short /ES put near 0.15 delta.
    """
    today = _trade_date(market.now)
    es, mes = _front_future(market, "/ES"), _front_future(market, "/MES")
    condor_expiry = nearest_friday(today + timedelta(days=45), after=today)
    put_expiry = nearest_friday(today + timedelta(days=30), after=today)
    spy_expiry = nearest_monthly(today + timedelta(days=30), after=today)
    equity_expiry = nearest_monthly(today + timedelta(days=35), after=today)
    assert es.expiry is not None
    fop_expiry = min(nearest_friday(today + timedelta(days=30), after=today), es.expiry)

    def spxw(expiry: date, right: Right) -> Callable[[Decimal], Contract]:
        return lambda strike: listed_option("SPXW", SPX, expiry, right, strike)

    def equity(symbol: str, expiry: date, right: Right) -> Callable[[Decimal], Contract]:
        return lambda strike: listed_option(symbol, symbol, expiry, right, strike)

    def es_option(expiry: date, right: Right) -> Callable[[Decimal], Contract]:
        return lambda strike: future_option(es, expiry, right, strike)

    five, one = Decimal(5), Decimal(1)
    wing = Decimal(50)
    condor_put = by_delta(market, spxw(condor_expiry, Right.PUT), -0.15, five)
    condor_call = by_delta(market, spxw(condor_expiry, Right.CALL), 0.15, five)
    assert condor_put.strike is not None
    assert condor_call.strike is not None
    plan: list[tuple[Contract, int]] = [
        (spxw(condor_expiry, Right.PUT)(condor_put.strike - wing), 2),
        (condor_put, -2),
        (condor_call, -2),
        (spxw(condor_expiry, Right.CALL)(condor_call.strike + wing), 2),
        (by_delta(market, spxw(put_expiry, Right.PUT), -0.15, five), -2),
        (by_delta(market, equity("SPY", spy_expiry, Right.PUT), -0.20, one), -5),
        (share("AAPL"), 200),
        (by_delta(market, equity("AAPL", equity_expiry, Right.CALL), 0.30, five), -2),
        (by_delta(market, equity("NVDA", equity_expiry, Right.PUT), -0.20, five), -3),
        (by_delta(market, equity("KO", equity_expiry, Right.PUT), -0.20, one), -5),
        (es, -1),
        (mes, 2),
        (by_delta(market, es_option(fop_expiry, Right.PUT), -0.15, five), -1),
    ]
    holdings = tuple(Holding(c, Decimal(q), mark_price(market, c)) for c, q in plan)
    # Futures cost nothing to open; shares and options are paid for (or bring in premium) at the mark.
    cost = sum(
        (
            h.quantity * h.contract.multiplier * h.average_cost
            for h in holdings
            if h.contract.instrument is not InstrumentType.FUT
        ),
        Decimal(0),
    )
    return Account(account_id=account_id, cash=start_cash - cost, holdings=holdings)


def by_delta(
    market: MarketState, contract_at: Callable[[Decimal], Contract], target: float, strike_step: Decimal
) -> Contract:
    """The option on the strike grid whose model delta is closest to `target` (lower strike on a tie)."""
    probe = contract_at(strike_step)
    underlying = spot(market, probe.priced_by)
    low = max(int(underlying * 0.5 / float(strike_step)), 1)
    high = int(underlying * 1.5 / float(strike_step)) + 1
    candidates = (contract_at(strike_step * n) for n in range(low, high + 1))
    return min(candidates, key=lambda c: (abs(option_value(market, c).delta - target), c.strike))


def _front_future(market: MarketState, root: str) -> Contract:
    spec = next((f for f in market.config.futures if f.root == root), None)
    if spec is None:
        raise InvalidMarketData(f"the demo needs a {root} future in the market")
    return future(spec.root, spec.symbol, spec.multiplier, spec.expiry)


def _trade_date(moment: datetime) -> date:
    return moment.astimezone(NEW_YORK).date()
