"""The fake's market: a few underlyings, their listed options and futures, prices and Greeks, and each
instrument in the JSON shape Tastytrade's API documents (dashed keys, decimals as strings).

Deterministic for a given `today`: expiries are the coming Fridays and third Fridays, futures the
coming quarterly months, strikes a grid around the spot price, option prices and Greeks from
Black-Scholes (Black-76 for options on futures) at a fixed volatility. SPX and VIX are indexes:
DXLink sends them Trades and only empty Quotes, as the real feed may.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from deltadesk.brokers.tastytrade.symbols import (
    desk_future_option_symbol,
    occ_streamer_symbol,
    occ_symbol,
    strike_text,
)
from deltadesk.shared.instruments import Right

MONTH_CODES = "FGHJKMNQUVXZ"
QUARTERLY = (3, 6, 9, 12)
NAN = "NaN"


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def fridays_after(today: date, count: int) -> list[date]:
    first = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    return [first + timedelta(weeks=i) for i in range(count)]


def monthly_after(today: date, count: int) -> list[date]:
    found: list[date] = []
    year, month = today.year, today.month
    while len(found) < count:
        expiry = third_friday(year, month)
        if expiry > today:
            found.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


@dataclass(frozen=True, slots=True)
class Equity:
    symbol: str
    description: str
    is_index: bool = False
    is_etf: bool = False
    beta: str | None = None


@dataclass(frozen=True, slots=True)
class OptionRoot:
    """The listed options of one root on one underlying."""

    root: str
    underlying: str
    settlement: str  # AM or PM
    expiries: tuple[date, ...]
    step: Decimal
    count: int  # strikes each side of the money
    vol: float


@dataclass(frozen=True, slots=True)
class FutureContract:
    symbol: str  # /ESZ6
    product: str  # ES
    month: int
    year: int
    expiry: date
    multiplier: Decimal
    active_month: bool

    @property
    def streamer_symbol(self) -> str:
        return f"/{self.product}{MONTH_CODES[self.month - 1]}{self.year % 100:02d}:XCME"


@dataclass(frozen=True, slots=True)
class FutureOptionSeries:
    future: FutureContract
    root: str  # EW2
    expiry: date
    step: Decimal
    count: int
    vol: float

    @property
    def contract_code(self) -> str:
        return f"{self.root}{MONTH_CODES[self.expiry.month - 1]}{self.expiry.year % 10}"

    def symbol(self, right: Right, strike: Decimal) -> str:
        expiry = f"{self.expiry:%y%m%d}{right.value}{strike_text(strike)}"
        return f"./{self.future.symbol[1:]} {self.contract_code} {expiry}"

    def streamer_symbol(self, right: Right, strike: Decimal) -> str:
        code = f"{self.root}{MONTH_CODES[self.expiry.month - 1]}{self.expiry.year % 100:02d}"
        return f"./{code}{right.value}{strike_text(strike)}:XCME"


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """One listed option, whatever its kind."""

    symbol: str  # Tastytrade's
    streamer_symbol: str
    underlying: str  # what prices it: SPX, /ESZ6
    root: str
    expiry: date
    right: Right
    strike: Decimal
    vol: float
    on_future: bool


@dataclass
class FakeMarket:
    today: date
    prices: dict[str, Decimal] = field(default_factory=dict)
    equities: dict[str, Equity] = field(default_factory=dict)
    roots: list[OptionRoot] = field(default_factory=list)
    futures: dict[str, FutureContract] = field(default_factory=dict)
    series: list[FutureOptionSeries] = field(default_factory=list)
    # strikes are listed around the spot of the day the market was built, and stay listed
    centers: dict[str, Decimal] = field(default_factory=dict)
    _catalog: dict[str, OptionTerms] = field(default_factory=dict)

    @classmethod
    def standard(cls, today: date) -> FakeMarket:
        market = cls(today=today)
        for equity in (
            Equity("SPX", "S & P 500 INDEX", is_index=True, beta="1.0"),
            Equity("VIX", "CBOE MARKET VOLATILITY INDEX", is_index=True),
            Equity("SPY", "SPDR S&P 500 ETF TRUST", is_etf=True, beta="1.0012"),
            Equity("AAPL", "APPLE INC", beta="1.2134"),
        ):
            market.equities[equity.symbol] = equity
        market.prices.update(
            {
                "SPX": Decimal("6000.00"),
                "VIX": Decimal("16.50"),
                "SPY": Decimal("598.40"),
                "AAPL": Decimal("231.20"),
            }
        )
        fridays, monthlies = fridays_after(today, 3), monthly_after(today, 2)
        market.roots = [
            OptionRoot("SPX", "SPX", "AM", tuple(monthlies), Decimal(25), 10, 0.17),
            OptionRoot(
                "SPXW", "SPX", "PM", tuple(sorted(set(fridays) | set(monthlies))), Decimal(25), 10, 0.17
            ),
            OptionRoot(
                "SPY", "SPY", "PM", tuple(sorted(set(fridays) | {monthlies[0]})), Decimal(5), 10, 0.17
            ),
            OptionRoot("AAPL", "AAPL", "PM", tuple(monthlies), Decimal(5), 6, 0.28),
        ]
        for product, multiplier in (("ES", Decimal(50)), ("MES", Decimal(5))):
            contracts = _quarterly_contracts(product, multiplier, today, 2)
            for contract in contracts:
                market.futures[contract.symbol] = contract
            front = contracts[0]
            market.prices[front.symbol] = Decimal("6012.25")
            market.prices[contracts[1].symbol] = Decimal("6045.50")
            prefix = "EW" if product == "ES" else "MW"
            for expiry in fridays_after(today, 2):
                root = f"{prefix}{(expiry.day - 1) // 7 + 1}"
                market.series.append(FutureOptionSeries(front, root, expiry, Decimal(25), 8, 0.17))
        market.centers = dict(market.prices)
        return market

    # ── prices ─────────────────────────────────────────────────────────────────────────────────
    def price(self, underlying: str) -> Decimal:
        return self.prices[underlying]

    def set_price(self, underlying: str, price: Decimal) -> None:
        if underlying not in self.prices:
            raise KeyError(underlying)
        self.prices[underlying] = price

    # ── the option catalogue ───────────────────────────────────────────────────────────────────
    def strikes(self, underlying: str, step: Decimal, count: int) -> list[Decimal]:
        spot = self.centers.get(underlying, self.prices[underlying])
        center = (spot / step).to_integral_value(ROUND_HALF_UP) * step
        return [center + step * i for i in range(-count, count + 1) if center + step * i > 0]

    def equity_options(self) -> list[OptionTerms]:
        found = []
        for root in self.roots:
            for expiry in root.expiries:
                for strike in self.strikes(root.underlying, root.step, root.count):
                    for right in (Right.CALL, Right.PUT):
                        occ = occ_symbol(root.root, expiry, right, strike)
                        found.append(
                            OptionTerms(
                                occ,
                                occ_streamer_symbol(occ),
                                root.underlying,
                                root.root,
                                expiry,
                                right,
                                strike,
                                root.vol,
                                False,
                            )
                        )
        return found

    def future_options(self) -> list[OptionTerms]:
        found = []
        for series in self.series:
            for strike in self.strikes(series.future.symbol, series.step, series.count):
                for right in (Right.CALL, Right.PUT):
                    found.append(
                        OptionTerms(
                            series.symbol(right, strike),
                            series.streamer_symbol(right, strike),
                            series.future.symbol,
                            series.root,
                            series.expiry,
                            right,
                            strike,
                            series.vol,
                            True,
                        )
                    )
        return found

    def option(self, symbol: str) -> OptionTerms | None:
        """An option by its Tastytrade or its streamer symbol."""
        if not self._catalog:
            for terms in (*self.equity_options(), *self.future_options()):
                self._catalog[terms.symbol] = self._catalog[terms.streamer_symbol] = terms
        return self._catalog.get(symbol)

    def future_by_streamer(self, streamer: str) -> FutureContract | None:
        for contract in self.futures.values():
            if contract.streamer_symbol == streamer:
                return contract
        return None

    def series_of(self, terms: OptionTerms) -> FutureOptionSeries:
        return next(s for s in self.series if s.root == terms.root and s.expiry == terms.expiry)

    def knows(self, symbol: str) -> bool:
        return symbol in self.equities or symbol in self.futures or self.option(symbol) is not None

    # ── values ─────────────────────────────────────────────────────────────────────────────────
    def option_values(self, terms: OptionTerms) -> OptionValues:
        spot = float(self.price(terms.underlying))
        days = max((terms.expiry - self.today).days, 0) + 0.5
        return black_scholes(spot, float(terms.strike), days / 365.0, terms.vol, terms.right)

    def option_quote(self, terms: OptionTerms) -> tuple[Decimal, Decimal]:
        mid = Decimal(str(self.option_values(terms).price))
        tick = Decimal("0.05") if mid < 3 else Decimal("0.10")
        bid = max((mid / tick - 1).to_integral_value(ROUND_HALF_UP) * tick, Decimal(0))
        return bid, bid + 2 * tick

    def mid(self, symbol: str) -> Decimal:
        terms = self.option(symbol)
        if terms is not None:
            bid, ask = self.option_quote(terms)
            return (bid + ask) / 2
        return self.price(symbol)

    # ── DXLink events (field name → value, in no order: the streamer orders them) ──────────────
    def events(self, event_type: str, streamer_symbol: str) -> dict[str, Any] | None:
        base: dict[str, Any] = {"eventSymbol": streamer_symbol, "eventTime": 0}
        underlying = self._underlying_by_streamer(streamer_symbol)
        terms = None if underlying is not None else self.option(streamer_symbol)
        if underlying is None and terms is None:
            return None
        if event_type == "Quote":
            if underlying is not None and underlying in self.equities and self.equities[underlying].is_index:
                bid = ask = NAN  # an index: no two-sided market on DXLink, only trades
            elif terms is not None:
                bid_d, ask_d = self.option_quote(terms)
                bid, ask = str(bid_d), str(ask_d)
            else:
                assert underlying is not None
                price = self.price(underlying)
                half = Decimal("0.25") if underlying.startswith("/") else Decimal("0.01")
                bid, ask = str(price - half), str(price + half)
            return base | {
                "sequence": 0,
                "timeNanoPart": 0,
                "bidTime": 0,
                "bidExchangeCode": "Q",
                "askTime": 0,
                "askExchangeCode": "Q",
                "bidPrice": bid,
                "askPrice": ask,
                "bidSize": "10",
                "askSize": NAN,
            }
        if event_type == "Trade":
            last = self.price(underlying) if underlying is not None else self.mid(streamer_symbol)
            return base | {
                "time": 0,
                "timeNanoPart": 0,
                "sequence": 0,
                "exchangeCode": "Q",
                "dayId": 0,
                "tickDirection": "UP",
                "extendedTradingHours": False,
                "price": str(last),
                "change": NAN,
                "size": 1,
                "dayVolume": "1000",
                "dayTurnover": NAN,
            }
        if event_type == "Greeks" and terms is not None:
            values = self.option_values(terms)
            return base | {
                "eventFlags": 0,
                "index": 0,
                "time": 0,
                "sequence": 0,
                "price": f"{values.price:.4f}",
                "volatility": str(terms.vol),
                "delta": f"{values.delta:.6f}",
                "gamma": f"{values.gamma:.8f}",
                "theta": f"{values.theta:.6f}",
                "rho": "0.0",
                "vega": f"{values.vega:.6f}",
            }
        return None

    def _underlying_by_streamer(self, streamer: str) -> str | None:
        if streamer in self.equities:
            return streamer
        contract = self.future_by_streamer(streamer)
        return contract.symbol if contract else None

    # ── REST shapes ────────────────────────────────────────────────────────────────────────────
    def equity_json(self, symbol: str) -> dict[str, Any]:
        equity = self.equities[symbol]
        return {
            "id": 10000 + sorted(self.equities).index(symbol),
            "symbol": symbol,
            "instrument-type": "Equity",
            "short-description": equity.description[:15],
            "is-index": equity.is_index,
            "listed-market": "OTC" if equity.is_index else "XNAS",
            "description": equity.description,
            "lendability": "Locate Required" if equity.is_index else "Easy To Borrow",
            "borrow-rate": "0.0",
            "market-time-instrument-collection": "Equity Index" if equity.is_index else "Equity",
            "is-closing-only": False,
            "is-options-closing-only": False,
            "active": not equity.is_index,
            "is-fractional-quantity-eligible": not equity.is_index,
            "is-illiquid": False,
            "is-etf": equity.is_etf,
            "streamer-symbol": symbol,
            "option-tick-sizes": [{"value": "0.05", "threshold": "3.0"}, {"value": "0.1"}],
        }

    def option_json(self, terms: OptionTerms) -> dict[str, Any]:
        root = next(r for r in self.roots if r.root == terms.root)
        expires = datetime.combine(terms.expiry, time(20, 15), tzinfo=UTC).isoformat(timespec="milliseconds")
        return {
            "symbol": terms.symbol,
            "instrument-type": "Equity Option",
            "active": True,
            "strike-price": str(terms.strike),
            "root-symbol": terms.root,
            "underlying-symbol": terms.underlying,
            "expiration-date": terms.expiry.isoformat(),
            "exercise-style": "European" if terms.underlying == "SPX" else "American",
            "shares-per-contract": 100,
            "option-type": terms.right.value,
            "option-chain-type": "Standard",
            "expiration-type": "Regular" if root.settlement == "AM" else "Weekly",
            "settlement-type": root.settlement,
            "stops-trading-at": expires,
            "market-time-instrument-collection": "Cash Settled Equity Option",
            "days-to-expiration": (terms.expiry - self.today).days,
            "expires-at": expires,
            "is-closing-only": False,
            "streamer-symbol": terms.streamer_symbol,
        }

    def nested_chain_json(self, underlying: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for root in self.roots:
            if root.underlying != underlying:
                continue
            expirations = []
            for expiry in root.expiries:
                strikes = []
                for strike in self.strikes(underlying, root.step, root.count):
                    call, put = (
                        occ_symbol(root.root, expiry, Right.CALL, strike),
                        occ_symbol(root.root, expiry, Right.PUT, strike),
                    )
                    strikes.append(
                        {
                            "strike-price": str(strike),
                            "call": call,
                            "call-streamer-symbol": occ_streamer_symbol(call),
                            "put": put,
                            "put-streamer-symbol": occ_streamer_symbol(put),
                        }
                    )
                expirations.append(
                    {
                        "expiration-type": "Regular" if expiry in monthly_after(self.today, 3) else "Weekly",
                        "expiration-date": expiry.isoformat(),
                        "days-to-expiration": (expiry - self.today).days,
                        "settlement-type": root.settlement,
                        "strikes": strikes,
                    }
                )
            items.append(
                {
                    "underlying-symbol": underlying,
                    "root-symbol": root.root,
                    "option-chain-type": "Standard",
                    "shares-per-contract": 100,
                    "tick-sizes": [{"value": "0.05", "threshold": "3.0"}, {"value": "0.1"}],
                    "deliverables": [
                        {
                            "id": 100 + len(items),
                            "root-symbol": root.root,
                            "deliverable-type": "Shares",
                            "description": f"100 shares of {underlying}",
                            "amount": "100.0",
                            "symbol": underlying,
                            "instrument-type": "Equity",
                            "percent": "100",
                        }
                    ],
                    "expirations": expirations,
                }
            )
        return items

    def future_product_json(self, product: str) -> dict[str, Any]:
        multiplier = next(f.multiplier for f in self.futures.values() if f.product == product)
        return {
            "root-symbol": f"/{product}",
            "code": product,
            "description": "E Mini S&P" if product == "ES" else "Micro E-mini S&P 500",
            "clearing-code": product,
            "clearing-exchange-code": "16",
            "exchange": "CME",
            "product-type": "Financial",
            "listed-months": ["H", "M", "U", "Z"],
            "active-months": ["H", "M", "U", "Z"],
            "notional-multiplier": str(multiplier),
            "tick-size": "0.25",
            "display-factor": "0.01",
            "streamer-exchange-code": "XCME",
            "small-notional": product == "MES",
            "back-month-first-calendar-symbol": True,
            "first-notice": False,
            "cash-settled": True,
            "security-group": product,
            "market-sector": "Equity Index",
            "roll": {
                "name": "equity_index",
                "active-count": 3,
                "cash-settled": True,
                "business-days-offset": 4,
                "first-notice": False,
            },
        }

    def future_json(self, contract: FutureContract) -> dict[str, Any]:
        stops = datetime.combine(contract.expiry, time(13, 30), tzinfo=UTC).isoformat(timespec="milliseconds")
        later = [
            f for f in self.futures.values() if f.product == contract.product and f.expiry > contract.expiry
        ]
        return {
            "symbol": contract.symbol,
            "product-code": contract.product,
            "contract-size": str(contract.multiplier),
            "tick-size": "0.25",
            "notional-multiplier": str(contract.multiplier),
            "main-fraction": "0.0",
            "sub-fraction": "0.0",
            "display-factor": "0.01",
            "last-trade-date": contract.expiry.isoformat(),
            "expiration-date": contract.expiry.isoformat(),
            "closing-only-date": contract.expiry.isoformat(),
            "active": True,
            "active-month": contract.active_month,
            "next-active-month": not contract.active_month,
            "is-closing-only": False,
            "stops-trading-at": stops,
            "expires-at": stops,
            "product-group": f"CME_{contract.product}",
            "exchange": "CME",
            "roll-target-symbol": min(later, key=lambda f: f.expiry).symbol if later else None,
            "streamer-exchange-code": "XCME",
            "streamer-symbol": contract.streamer_symbol,
            "back-month-first-calendar-symbol": True,
            "is-tradeable": True,
            "future-etf-equivalent": {
                "symbol": "SPY",
                "share-quantity": 506 if contract.product == "ES" else 51,
            },
            "future-product": self.future_product_json(contract.product),
            "tick-sizes": [{"value": "0.25"}],
            "option-tick-sizes": [{"value": "0.05", "threshold": "5.0"}, {"value": "0.25"}],
        }

    def future_option_json(self, terms: OptionTerms) -> dict[str, Any]:
        series = self.series_of(terms)
        expires = datetime.combine(terms.expiry, time(20, 0), tzinfo=UTC).isoformat(timespec="milliseconds")
        return {
            "symbol": terms.symbol,
            "underlying-symbol": series.future.symbol,
            "product-code": series.future.product,
            "expiration-date": terms.expiry.isoformat(),
            "root-symbol": f"/{series.future.product}",
            "option-root-symbol": series.root,
            "strike-price": str(terms.strike),
            "exchange": "CME",
            "exchange-symbol": f"{series.contract_code} {terms.right.value}{strike_text(terms.strike)}",
            "streamer-symbol": terms.streamer_symbol,
            "option-type": terms.right.value,
            "exercise-style": "American",
            "is-vanilla": True,
            "is-primary-deliverable": True,
            "future-price-ratio": "1.0",
            "multiplier": "1.0",  # Tastytrade's: NOT the $ per point (the future's notional multiplier)
            "underlying-count": "1.0",
            "is-confirmed": True,
            "notional-value": "0.5",
            "display-factor": "0.01",
            "security-exchange": "2",
            "sx-id": "0",
            "settlement-type": "Future",
            "strike-factor": "1.0",
            "maturity-date": terms.expiry.isoformat(),
            "is-exercisable-weekly": True,
            "last-trade-time": "0",
            "days-to-expiration": (terms.expiry - self.today).days,
            "is-closing-only": False,
            "active": True,
            "stops-trading-at": expires,
            "expires-at": expires,
            "instrument-type": "Future Option",
            "future-option-product": {
                "root-symbol": series.root,
                "cash-settled": False,
                "code": series.root,
                "legacy-code": series.root,
                "clearport-code": series.root,
                "clearing-code": series.root[-2:],
                "clearing-exchange-code": "9C",
                "clearing-price-multiplier": "1.0",
                "display-factor": "0.01",
                "exchange": "CME",
                "product-type": "Physical",
                "expiration-type": "Weekly",
                "settlement-delay-days": 0,
                "is-rollover": False,
                "market-sector": "Equity Index",
            },
        }

    def nested_future_option_chain_json(self, product: str) -> dict[str, Any]:
        contracts = sorted((f for f in self.futures.values() if f.product == product), key=lambda f: f.expiry)
        futures = []
        for contract in contracts:
            stops = datetime.combine(contract.expiry, time(13, 30), tzinfo=UTC).isoformat(
                timespec="milliseconds"
            )
            futures.append(
                {
                    "symbol": contract.symbol,
                    "root-symbol": f"/{product}",
                    "expiration-date": contract.expiry.isoformat(),
                    "days-to-expiration": (contract.expiry - self.today).days,
                    "active-month": contract.active_month,
                    "next-active-month": not contract.active_month,
                    "stops-trading-at": stops,
                    "expires-at": stops,
                }
            )
        expirations = []
        for series in self.series:
            if series.future.product != product:
                continue
            expires = datetime.combine(series.expiry, time(20, 0), tzinfo=UTC).isoformat(
                timespec="milliseconds"
            )
            strikes = []
            for strike in self.strikes(series.future.symbol, series.step, series.count):
                strikes.append(
                    {
                        "strike-price": str(strike),
                        "call": series.symbol(Right.CALL, strike),
                        "call-streamer-symbol": series.streamer_symbol(Right.CALL, strike),
                        "put": series.symbol(Right.PUT, strike),
                        "put-streamer-symbol": series.streamer_symbol(Right.PUT, strike),
                    }
                )
            expirations.append(
                {
                    "underlying-symbol": series.future.symbol,
                    "root-symbol": f"/{product}",
                    "option-root-symbol": series.root,
                    "option-contract-symbol": series.contract_code,
                    "asset": series.root,
                    "expiration-date": series.expiry.isoformat(),
                    "days-to-expiration": (series.expiry - self.today).days,
                    "expiration-type": "Weekly",
                    "settlement-type": "PM",
                    "notional-value": "0.5",
                    "display-factor": "0.01",
                    "strike-factor": "1.0",
                    "stops-trading-at": expires,
                    "expires-at": expires,
                    "tick-sizes": [{"value": "0.05", "threshold": "5.0"}, {"value": "0.25"}],
                    "strikes": strikes,
                }
            )
        return {
            "futures": futures,
            "option-chains": [
                {
                    "underlying-symbol": f"/{product}",
                    "root-symbol": f"/{product}",
                    "exercise-style": "American",
                    "expirations": expirations,
                }
            ],
        }

    def market_metrics_json(self, symbol: str, now: datetime) -> dict[str, Any] | None:
        equity = self.equities.get(symbol)
        if equity is None:
            return None
        item: dict[str, Any] = {
            "symbol": symbol,
            "implied-volatility-index": "0.1712",
            "implied-volatility-index-5-day-change": "-0.0042",
            "implied-volatility-index-rank": "0.214",
            "tw-implied-volatility-index-rank": "0.2201",
            "implied-volatility-percentile": "0.5210",
            "liquidity-rating": 4,
            "liquidity-rank": "0.8123",
            "updated-at": now.isoformat(timespec="milliseconds"),
            "market-cap": "0" if equity.is_index else "3412000000000",
        }
        if equity.beta is not None:
            item["beta"] = equity.beta
            item["beta-updated-at"] = now.replace(hour=10, minute=15).isoformat(timespec="milliseconds")
        return item

    def desk_symbol_of(self, terms: OptionTerms) -> str:
        if terms.on_future:
            return desk_future_option_symbol(terms.underlying, terms.expiry, terms.right, terms.strike)
        return terms.symbol


@dataclass(frozen=True, slots=True)
class OptionValues:
    price: float
    delta: float
    gamma: float
    theta: float  # per calendar day
    vega: float  # per volatility point


def black_scholes(spot: float, strike: float, years: float, vol: float, right: Right) -> OptionValues:
    root_t = math.sqrt(years)
    d1 = (math.log(spot / strike) + 0.5 * vol * vol * years) / (vol * root_t)
    d2 = d1 - vol * root_t
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)

    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    if right is Right.CALL:
        price, delta = spot * cdf(d1) - strike * cdf(d2), cdf(d1)
    else:
        price, delta = strike * cdf(-d2) - spot * cdf(-d1), cdf(d1) - 1
    return OptionValues(
        price=max(price, 0.0),
        delta=delta,
        gamma=pdf / (spot * vol * root_t),
        theta=-spot * pdf * vol / (2 * root_t) / 365.0,
        vega=spot * pdf * root_t / 100.0,
    )


def _quarterly_contracts(product: str, multiplier: Decimal, today: date, count: int) -> list[FutureContract]:
    found: list[FutureContract] = []
    year, month = today.year, today.month
    while len(found) < count:
        if month in QUARTERLY and third_friday(year, month) > today:
            symbol = f"/{product}{MONTH_CODES[month - 1]}{year % 10}"
            found.append(
                FutureContract(symbol, product, month, year, third_friday(year, month), multiplier, not found)
            )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
