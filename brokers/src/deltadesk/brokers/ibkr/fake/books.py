"""Portfolios to load into the fake gateway: a small demo book, and books of any size for benchmarks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from deltadesk.brokers.ibkr.fake.market import Listed, add_months, third_friday
from deltadesk.brokers.ibkr.fake.state import GatewayState


def monthly(state: GatewayState, months_ahead: int = 1) -> date:
    """The third Friday `months_ahead` months from the fake's today."""
    year, month = add_months(state.market.today, months_ahead)
    return third_friday(year, month)


def seed_demo(state: GatewayState) -> None:
    """A premium seller's book: short SPXW and SPY puts, an SPX put spread, SPY shares, one /ES
    future and a short /ES put, AAPL shares with a covered call."""
    market = state.market
    expiry = monthly(state)
    spx = market.underlyings["SPX"].price
    spy = market.underlyings["SPY"].price

    def option(symbol: str, right: str, strike: Decimal, trading_class: str | None = None) -> Listed:
        return market.find_option(symbol, "OPT", expiry, right, strike, trading_class)

    state.hold(option("SPX", "P", _round(spx * Decimal("0.93"), 5), "SPXW").conid, -2, "14.20")
    state.hold(option("SPX", "P", _round(spx * Decimal("0.95"), 5), "SPX").conid, -1, "21.40")
    state.hold(option("SPX", "P", _round(spx * Decimal("0.90"), 5), "SPX").conid, 1, "9.10")
    state.hold(option("SPY", "P", _round(spy * Decimal("0.95"), 1)).conid, -5, "3.05")
    state.hold(market.underlyings["SPY"].conid, 200, "580.10")
    state.hold(market.underlyings["AAPL"].conid, 100, "221.40")
    aapl = market.underlyings["AAPL"].price
    state.hold(option("AAPL", "C", _round(aapl * Decimal("1.08"), Decimal("2.5"))).conid, -1, "2.35")
    future = market.futures("ES")[0]
    state.hold(future.conid, 1, "5990.00")
    trading_class, day, on = market.fop_expiries("ES")[0]
    price = market.future_prices[on.conid]
    fop = market.find_option("ES", "FOP", day, "P", _round(price * Decimal("0.94"), 5), trading_class)
    state.hold(fop.conid, -1, "18.50")


def seed_book(state: GatewayState, size: int) -> None:
    """`size` positions: one in five shares, the rest options across underlyings, strikes, rights and
    expiries (about as many underlyings as a real book: a handful)."""
    market = state.market
    shares = ["SPY", "QQQ", "AAPL", "MSFT", "KO"]
    held = 0
    for symbol in shares:
        if held >= size:
            return
        state.hold(market.underlyings[symbol].conid, 100, str(market.underlyings[symbol].price))
        held += 1
    families = ["SPX", "SPY", "QQQ", "AAPL", "MSFT"]
    for i in range(size * 4):
        if held >= size:
            return
        symbol = families[i % len(families)]
        under = market.underlyings[symbol]
        assert under.options is not None
        series = [s for s in market.option_series(symbol, "OPT") if s[0] == under.options.classes[-1][0]]
        trading_class, expiry, _, _, strikes = series[(i // len(families)) % len(series)]
        middle = len(strikes) // 2
        strike = strikes[max(0, min(len(strikes) - 1, middle - 10 + (i * 7) % 21))]
        listed = market.find_option(symbol, "OPT", expiry, "P" if i % 2 else "C", strike, trading_class)
        if listed.conid in state.holdings.get(state.account, {}):
            continue
        state.hold(listed.conid, -1 - i % 3, "1.00")
        held += 1


def _round(value: Decimal, step: Decimal | int) -> Decimal:
    step = Decimal(step)
    return (value / step).to_integral_value() * step
