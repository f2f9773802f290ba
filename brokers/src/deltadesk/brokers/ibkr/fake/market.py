"""The fake gateway's world: what IBKR would list (indexes, shares, futures, options and futures
options, each with a conid) and what it is worth (Black-Scholes prices and per-unit Greeks).

Conids of real instruments are IBKR's where IBKR or well-kept clients publish them (SPX 416904,
AAPL 265598, SPY 756733, the ES index 11004968, the NQ index 11004958, the MES index 362673777,
VIX 13455763); futures and options get conids from 700,000,000 on, made when first listed.
Option listings follow the exchanges' patterns closely enough to exercise the adapter: SPX
AM-settled monthlies (class SPX) and SPXW PM-settled dailies, weeklies and monthlies; SPY
Monday/Wednesday/Friday weeklies; quarterly ES and MES futures with options on the quarterly
future (classes ES, MES) and end-of-month options (EW, EX); monthly CL whose contract month
follows its expiry month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from deltadesk.brokers.ibkr.symbols import MONTH_CODES, month_token, occ_symbol
from deltadesk.shared.instruments import Right

RATE = 0.04
OPTION_HORIZON_DAYS = 75  # weeklies and dailies are listed this far ahead
MONTHLY_MONTHS = 6  # third-Friday monthlies this many months ahead
FUTURE_COUNT = 4


@dataclass(frozen=True, slots=True)
class Listed:
    """One instrument as the fake gateway lists it."""

    conid: int
    sec_type: str  # IND, STK, FUT, OPT, FOP
    symbol: str  # IBKR's symbol: SPX, AAPL, ES
    local_symbol: str
    trading_class: str
    multiplier: Decimal
    exchange: str
    company: str
    expiry: date | None = None
    strike: Decimal | None = None
    right: str | None = None
    underlying_conid: int | None = None
    contract_month: date | None = None


@dataclass(frozen=True, slots=True)
class OptionFamily:
    """The option classes listed on one underlying, and how."""

    classes: tuple[tuple[str, str], ...]  # (trading class, listing pattern)
    strike_step: Decimal
    strike_span: float  # ± this fraction of the price at listing time
    exchange: str = "SMART"


@dataclass(slots=True)
class Underlying:
    conid: int
    sec_type: str  # IND or STK (shares and ETFs), or IND for a futures root's index
    symbol: str
    company: str
    exchange: str
    price: Decimal
    vol: float
    options: OptionFamily | None = None


@dataclass(frozen=True, slots=True)
class FuturesRoot:
    symbol: str
    index_conid: int
    company: str
    multiplier: Decimal
    exchange: str
    price: Decimal  # of the front contract; later contracts add `carry` each
    carry: Decimal
    vol: float
    cycle: str  # "quarterly", "monthly" (CL: contract month after expiry), "bimonthly"
    fop: OptionFamily | None = None


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def last_business_day(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    day = nxt - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def money(value: float, tick: Decimal = Decimal("0.01")) -> Decimal:
    return (Decimal(str(value)) / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick


@dataclass
class Mark:
    """What a conid trades at now; Greeks and IV for options only."""

    bid: Decimal | None
    ask: Decimal | None
    last: Decimal
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    iv: float | None = None


@dataclass
class Market:
    today: date
    underlyings: dict[str, Underlying] = field(default_factory=dict)
    roots: dict[str, FuturesRoot] = field(default_factory=dict)
    listed: dict[int, Listed] = field(default_factory=dict)
    _keys: dict[tuple[object, ...], int] = field(default_factory=dict)
    _next_conid: int = 700_000_001
    future_prices: dict[int, Decimal] = field(default_factory=dict)

    @classmethod
    def standard(cls, today: date) -> Market:
        market = cls(today)
        d = Decimal
        index_opts = OptionFamily((("SPX", "monthly"), ("SPXW", "daily")), d(5), 0.12)
        equity = OptionFamily
        for u in (
            Underlying(416904, "IND", "SPX", "S&P 500 Stock Index", "CBOE", d("6000.00"), 0.16, index_opts),
            Underlying(13455763, "IND", "VIX", "CBOE Volatility Index", "CBOE", d("16.20"), 0.9),
            Underlying(
                756733,
                "STK",
                "SPY",
                "SPDR S&P 500 ETF TRUST",
                "ARCA",
                d("598.50"),
                0.16,
                equity((("SPY", "mwf"),), d(1), 0.12),
            ),
            Underlying(
                320227571,
                "STK",
                "QQQ",
                "INVESCO QQQ TRUST SERIES 1",
                "NASDAQ",
                d("510.25"),
                0.2,
                equity((("QQQ", "weekly"),), d(5), 0.12),
            ),
            Underlying(
                265598,
                "STK",
                "AAPL",
                "APPLE INC",
                "NASDAQ",
                d("230.10"),
                0.28,
                equity((("AAPL", "weekly"),), d("2.5"), 0.2),
            ),
            Underlying(
                272093,
                "STK",
                "MSFT",
                "MICROSOFT CORP",
                "NASDAQ",
                d("420.30"),
                0.25,
                equity((("MSFT", "weekly"),), d(5), 0.2),
            ),
            Underlying(
                8894,
                "STK",
                "KO",
                "COCA-COLA CO/THE",
                "NYSE",
                d("62.40"),
                0.15,
                equity((("KO", "monthly"),), d(1), 0.2),
            ),
        ):
            market.underlyings[u.symbol] = u
        es_fop = OptionFamily((("ES", "future"), ("EW", "month-end")), d(5), 0.06, "CME")
        mes_fop = OptionFamily((("MES", "future"), ("EX", "month-end")), d(5), 0.06, "CME")
        for root in (
            FuturesRoot(
                "ES",
                11004968,
                "E-mini S&P 500",
                d(50),
                "CME",
                d("6025.25"),
                d("30.00"),
                0.16,
                "quarterly",
                es_fop,
            ),
            FuturesRoot(
                "MES",
                362673777,
                "Micro E-Mini S&P 500 Stock Price Index",
                d(5),
                "CME",
                d("6025.25"),
                d("30.00"),
                0.16,
                "quarterly",
                mes_fop,
            ),
            FuturesRoot(
                "NQ",
                11004958,
                "E-mini NASDAQ 100",
                d(20),
                "CME",
                d("21050.50"),
                d("110.00"),
                0.2,
                "quarterly",
            ),
            FuturesRoot(
                "RTY",
                80795060,
                "E-mini Russell 2000 Index",
                d(50),
                "CME",
                d("2310.40"),
                d("12.00"),
                0.22,
                "quarterly",
            ),
            FuturesRoot(
                "CL",
                17340715,
                "Light Sweet Crude Oil",
                d(1000),
                "NYMEX",
                d("70.55"),
                d("0.30"),
                0.35,
                "monthly",
            ),
            FuturesRoot("GC", 69067924, "Gold", d(100), "COMEX", d("2650.10"), d("12.00"), 0.15, "bimonthly"),
        ):
            market.roots[root.symbol] = root
        for root in market.roots.values():
            market.futures(root.symbol)  # conids in a stable order
        return market

    # ── listing ───────────────────────────────────────────────────────────────────────────────────
    def _conid(self, key: tuple[object, ...]) -> int:
        conid = self._keys.get(key)
        if conid is None:
            conid = self._next_conid
            self._next_conid += 1
            self._keys[key] = conid
        return conid

    def futures(self, root_symbol: str) -> list[Listed]:
        root = self.roots[root_symbol]
        found: list[Listed] = []
        for offset in range(1, 40):
            year, month = add_months(self.today, offset - 1)
            if root.cycle == "quarterly" and month % 3:
                continue
            if root.cycle == "bimonthly" and month % 2:
                continue
            if root.cycle == "monthly":
                # CL: the contract month's future stops trading in the month before it.
                contract_month = date(*add_months(date(year, month, 1), 1), 1)
                expiry = date(year, month, 20)
                while expiry.weekday() >= 5:
                    expiry -= timedelta(days=1)
            else:
                contract_month = date(year, month, 1)
                expiry = (
                    third_friday(year, month) if root.cycle == "quarterly" else last_business_day(year, month)
                )
            if expiry < self.today:
                continue
            local = f"{root.symbol}{MONTH_CODES[contract_month.month - 1]}{contract_month.year % 10}"
            conid = self._conid(("FUT", root.symbol, expiry))
            if conid not in self.listed:
                self.listed[conid] = Listed(
                    conid,
                    "FUT",
                    root.symbol,
                    local,
                    root.symbol,
                    root.multiplier,
                    root.exchange,
                    root.company,
                    expiry=expiry,
                    underlying_conid=root.index_conid,
                    contract_month=contract_month,
                )
                self.future_prices[conid] = root.price + root.carry * len(found)
            found.append(self.listed[conid])
            if len(found) == FUTURE_COUNT + (2 if root.cycle == "monthly" else 0):
                break
        return found

    def option_expiries(self, underlying: str, trading_class: str, pattern: str) -> list[date]:
        days: set[date] = set()
        for months in range(MONTHLY_MONTHS + 1):
            year, month = add_months(self.today, months)
            days.add(third_friday(year, month))
        if pattern != "monthly":
            for offset in range(OPTION_HORIZON_DAYS):
                day = self.today + timedelta(days=offset)
                weekday = day.weekday()
                if (
                    (pattern == "daily" and weekday < 5)
                    or (pattern == "mwf" and weekday in (0, 2, 4))
                    or (pattern == "weekly" and weekday == 4)
                ):
                    days.add(day)
        return sorted(d for d in days if d >= self.today)

    def fop_expiries(self, root_symbol: str) -> list[tuple[str, date, Listed]]:
        """(trading class, expiry, the future it is on) of every listed futures option expiry."""
        root = self.roots[root_symbol]
        if root.fop is None:
            return []
        futures = self.futures(root_symbol)
        found = []
        for trading_class, pattern in root.fop.classes:
            if pattern == "future":
                found += [(trading_class, f.expiry, f) for f in futures[:2] if f.expiry is not None]
            else:
                for months in range(4):
                    year, month = add_months(self.today, months)
                    day = last_business_day(year, month)
                    if day < self.today or day == third_friday(year, month):
                        continue
                    future = next((f for f in futures if f.expiry and f.expiry >= day), None)
                    if future is not None:
                        found.append((trading_class, day, future))
        return found

    def strikes(self, price: Decimal, step: Decimal, span: float) -> list[Decimal]:
        low = (price * Decimal(str(1 - span)) / step).to_integral_value() * step
        high = (price * Decimal(str(1 + span)) / step).to_integral_value() * step
        count = int((high - low) / step) + 1
        return [low + step * i for i in range(count)]

    def option_series(
        self, symbol: str, sec_type: str
    ) -> list[tuple[str, date, int, Decimal, list[Decimal]]]:
        """(class, expiry, underlying conid, multiplier, strikes) of every series on `symbol`."""
        series = []
        if sec_type == "OPT":
            u = self.underlyings.get(symbol)
            if u is None or u.options is None:
                return []
            strikes = self.strikes(u.price, u.options.strike_step, u.options.strike_span)
            for trading_class, pattern in u.options.classes:
                for day in self.option_expiries(symbol, trading_class, pattern):
                    series.append((trading_class, day, u.conid, Decimal(100), strikes))
        elif sec_type == "FOP":
            root = self.roots.get(symbol)
            if root is None or root.fop is None:
                return []
            for trading_class, day, future in self.fop_expiries(symbol):
                price = self.future_prices[future.conid]
                strikes = self.strikes(price, root.fop.strike_step, root.fop.strike_span)
                series.append((trading_class, day, future.conid, root.multiplier, strikes))
        return series

    def option(
        self,
        sec_type: str,
        trading_class: str,
        expiry: date,
        right: str,
        strike: Decimal,
        underlying_conid: int,
        symbol: str,
        multiplier: Decimal,
    ) -> Listed:
        key = (sec_type, trading_class, expiry, right, strike)
        conid = self._conid(key)
        if conid not in self.listed:
            if sec_type == "OPT":
                local = occ_symbol(trading_class, expiry, Right(right), strike)
                exchange, company = "SMART", self.underlyings[symbol].company
            else:
                code = f"{MONTH_CODES[expiry.month - 1]}{expiry.year % 10}"
                local = f"{trading_class}{code} {right}{format(strike.normalize(), 'f')}"
                exchange, company = "CME", self.roots[symbol].company
            self.listed[conid] = Listed(
                conid,
                sec_type,
                symbol,
                local,
                trading_class,
                multiplier,
                exchange,
                company,
                expiry=expiry,
                strike=strike,
                right=right,
                underlying_conid=underlying_conid,
            )
        return self.listed[conid]

    def find_option(
        self,
        symbol: str,
        sec_type: str,
        expiry: date,
        right: str,
        strike: Decimal,
        trading_class: str | None = None,
    ) -> Listed:
        """A listed option (made on first use), for tests and for seeding positions."""
        for series_class, day, under, multiplier, strikes in self.option_series(symbol, sec_type):
            if day == expiry and strike in strikes and trading_class in (None, series_class):
                return self.option(sec_type, series_class, day, right, strike, under, symbol, multiplier)
        raise KeyError(f"{symbol} {sec_type} {trading_class or ''} {expiry} {strike} {right} is not listed")

    def months(self, symbol: str, sec_type: str) -> list[str]:
        if sec_type == "FUT":
            days = [f.expiry for f in self.futures(symbol) if f.expiry]
        else:
            days = [day for _, day, _, _, _ in self.option_series(symbol, sec_type)]
        return sorted({month_token(d) for d in days}, key=lambda t: (t[3:], _MONTH_ORDER.index(t[:3])))

    # ── prices ────────────────────────────────────────────────────────────────────────────────────
    def underlying_by_conid(self, conid: int) -> Underlying | None:
        return next((u for u in self.underlyings.values() if u.conid == conid), None)

    def root_by_index(self, conid: int) -> FuturesRoot | None:
        return next((r for r in self.roots.values() if r.index_conid == conid), None)

    def price_of(self, conid: int) -> Decimal | None:
        if (u := self.underlying_by_conid(conid)) is not None:
            return u.price
        if (root := self.root_by_index(conid)) is not None:
            return self.underlyings["SPX"].price if root.symbol in ("ES", "MES") else root.price
        if conid in self.future_prices:
            return self.future_prices[conid]
        listed = self.listed.get(conid)
        if listed is not None and listed.sec_type in ("OPT", "FOP"):
            return self.quote(conid).last
        return None

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move an underlying (`SPX`, `AAPL`) or every future of a root (`ES`) to a new price."""
        if symbol in self.underlyings:
            self.underlyings[symbol].price = price
            return
        root = self.roots[symbol]
        for i, future in enumerate(self.futures(symbol)):
            self.future_prices[future.conid] = price + root.carry * i

    def vol_of(self, listed: Listed) -> float:
        if listed.sec_type == "FOP":
            return self.roots[listed.symbol].vol
        return self.underlyings[listed.symbol].vol

    def quote(self, conid: int) -> Mark:
        listed = self.listed.get(conid)
        if listed is None or listed.sec_type not in ("OPT", "FOP"):
            price = self.price_of(conid)
            if price is None:
                raise KeyError(conid)
            under = self.underlying_by_conid(conid)
            if (under is not None and under.sec_type == "IND") or self.root_by_index(conid) is not None:
                return Mark(None, None, price)  # indexes: last only
            tick = Decimal("0.25") if conid in self.future_prices else Decimal("0.01")
            return Mark(price - tick, price + tick, price)
        under_price = self.price_of(listed.underlying_conid or 0) or Decimal(1)
        assert listed.expiry is not None
        assert listed.strike is not None
        assert listed.right is not None
        spot, strike = float(under_price), float(listed.strike)
        years = max((listed.expiry - self.today).days + 0.3, 0.05) / 365.0
        vol = self.vol_of(listed) + 0.25 * max(0.0, 1 - strike / spot)  # a put skew
        value, delta, gamma, theta, vega = black_scholes(spot, strike, years, vol, listed.right == "C")
        value = max(value, 0.01)
        tick = Decimal("0.05") if value >= 3 else Decimal("0.01")
        mid = money(value, tick)
        half = max(tick, money(value * 0.01, tick))
        bid = max(mid - half, Decimal(0))
        return Mark(bid, mid + half, mid, delta, gamma, theta, vega, vol)


_MONTH_ORDER = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _norm_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def black_scholes(
    spot: float, strike: float, years: float, vol: float, call: bool
) -> tuple[float, float, float, float, float]:
    """Price and per-unit delta, gamma, theta (per calendar day) and vega (per vol point)."""
    sq = vol * math.sqrt(years)
    d1 = (math.log(spot / strike) + (RATE + vol * vol / 2) * years) / sq
    d2 = d1 - sq
    pdf = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    disc = math.exp(-RATE * years)
    if call:
        price = spot * _norm_cdf(d1) - strike * disc * _norm_cdf(d2)
        delta = _norm_cdf(d1)
        theta = -spot * pdf * vol / (2 * math.sqrt(years)) - RATE * strike * disc * _norm_cdf(d2)
    else:
        price = strike * disc * _norm_cdf(-d2) - spot * _norm_cdf(-d1)
        delta = _norm_cdf(d1) - 1
        theta = -spot * pdf * vol / (2 * math.sqrt(years)) + RATE * strike * disc * _norm_cdf(-d2)
    gamma = pdf / (spot * sq)
    vega = spot * pdf * math.sqrt(years) / 100
    return price, delta, gamma, theta / 365, vega
