"""What the paper venue can hold and price: a contract, and its symbol.

Symbols:
- shares and indexes by ticker: `SPY`, `AAPL`, `SPX`, `VIX`;
- futures by contract: `/ESZ6`, `/MESZ6` (root, month code, last digit of the year);
- listed options OCC-style: root padded to six characters, YYMMDD, C or P, strike × 1000 in eight
  digits: `SPXW  261231P05600000`, `SPY   261218P00580000`;
- options on futures (this venue's own choice): futures contract, a space, YYMMDD, C or P, the strike
  as a plain number: `/ESZ6 261218P5600`, `/ESZ6 261218C6012.5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from deltadesk.shared import orders
from deltadesk.shared.instruments import InstrumentType, Right

OPTION_MULTIPLIER = Decimal(100)
_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9]{0,5}) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_FOP = re.compile(
    r"^(?P<future>/[A-Z]+[FGHJKMNQUVXZ]\d) (?P<date>\d{6})(?P<right>[CP])(?P<strike>\d+(\.\d+)?)$"
)


@dataclass(frozen=True, slots=True)
class Contract:
    """One tradable contract.

    `underlying` is the name risk beta-weights against (`SPX` for SPX and SPXW options, `/ES` for /ES
    futures and their options); `underlying_contract` is the futures contract that prices a future or
    its options (`/ESZ6`), None for shares and for options on shares and indexes. `expiry` is set for
    options and futures.
    """

    symbol: str
    instrument: InstrumentType
    underlying: str
    multiplier: Decimal
    underlying_contract: str | None = None
    right: Right | None = None
    strike: Decimal | None = None
    expiry: date | None = None

    @property
    def priced_by(self) -> str:
        """The market symbol whose price drives this contract: `SPX`, `AAPL`, `/ESZ6`."""
        return self.underlying_contract or self.underlying


def describe(contract: Contract) -> orders.Contract:
    """The contract as the desk names it: the venue's symbol doubles as its broker id, and a listed
    option's OCC root (`SPX`, `SPXW`, `AAPL`) is its trading class."""
    return orders.Contract(
        symbol=contract.symbol,
        underlying=contract.underlying,
        instrument=contract.instrument,
        multiplier=contract.multiplier,
        expiry=contract.expiry,
        strike=contract.strike,
        right=contract.right,
        trading_class=occ_root(contract.symbol) if contract.instrument is InstrumentType.OPT else None,
        underlying_contract=contract.underlying_contract,
        broker_id=contract.symbol,
    )


def occ_root(symbol: str) -> str:
    """The root of an OCC symbol: its first six characters without the padding."""
    return symbol[:6].rstrip()


def share(symbol: str, instrument: InstrumentType = InstrumentType.STK) -> Contract:
    return Contract(symbol=symbol, instrument=instrument, underlying=symbol, multiplier=Decimal(1))


def listed_option(root: str, underlying: str, expiry: date, right: Right, strike: Decimal) -> Contract:
    """An option on a stock, ETF or index (`root` SPXW on underlying SPX), 100 units per contract."""
    return Contract(
        symbol=occ_symbol(root, expiry, right, strike),
        instrument=InstrumentType.OPT,
        underlying=underlying,
        multiplier=OPTION_MULTIPLIER,
        right=right,
        strike=strike,
        expiry=expiry,
    )


def future(root: str, symbol: str, multiplier: Decimal, expiry: date) -> Contract:
    return Contract(
        symbol=symbol,
        instrument=InstrumentType.FUT,
        underlying=root,
        multiplier=multiplier,
        underlying_contract=symbol,
        expiry=expiry,
    )


def future_option(underlying_future: Contract, expiry: date, right: Right, strike: Decimal) -> Contract:
    """An option on a futures contract: same root and multiplier as the future (50 for /ES)."""
    if underlying_future.instrument is not InstrumentType.FUT:
        raise ValueError(f"{underlying_future.symbol} is not a future")
    strike_text = format(strike.normalize(), "f")
    return Contract(
        symbol=f"{underlying_future.symbol} {expiry:%y%m%d}{right.value}{strike_text}",
        instrument=InstrumentType.FOP,
        underlying=underlying_future.underlying,
        multiplier=underlying_future.multiplier,
        underlying_contract=underlying_future.symbol,
        right=right,
        strike=strike,
        expiry=expiry,
    )


def occ_symbol(root: str, expiry: date, right: Right, strike: Decimal) -> str:
    thousandths = strike * 1000
    if thousandths != thousandths.to_integral_value() or not 0 < thousandths < 10**8 or len(root) > 6:
        raise ValueError(f"cannot write an OCC symbol for {root} {expiry} {right.value} {strike}")
    return f"{root:<6}{expiry:%y%m%d}{right.value}{int(thousandths):08d}"


@dataclass(frozen=True, slots=True)
class OptionSymbol:
    """The parts of an option symbol: `root` is the OCC root (`SPXW`) or the futures contract."""

    root: str
    expiry: date
    right: Right
    strike: Decimal
    on_future: bool


def parse_option_symbol(symbol: str) -> OptionSymbol | None:
    """Read an OCC or futures-option symbol; None when `symbol` is neither."""
    if match := _OCC.match(symbol):
        strike = Decimal(int(match["strike"])) / 1000
        root, on_future = match["root"], False
    elif match := _FOP.match(symbol):
        try:
            strike = Decimal(match["strike"])
        except InvalidOperation:
            return None
        root, on_future = match["future"], True
    else:
        return None
    digits = match["date"]
    try:
        # Two-digit years: every listed option expires in the 2000s (strptime's %y would pivot at 69).
        expiry = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
    if strike <= 0:
        return None
    return OptionSymbol(root, expiry, Right(match["right"]), strike, on_future)
