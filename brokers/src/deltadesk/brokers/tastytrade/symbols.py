"""Tastytrade symbology: how an instrument is named on its REST API, on DXLink, and on the desk.

    instrument       Tastytrade (REST, orders)       DXLink streamer            desk
    share, index     SPY, SPX                        SPY, SPX                   SPY, SPX
    equity option    SPXW  261218P05800000 (OCC)     .SPXW261218P5800           SPXW  261218P05800000
    future           /ESZ6                           /ESZ26:XCME                /ESZ6
    future option    ./ESZ6 EW4Z6 261218P5600        ./EW4Z26P5600:XCME         /ESZ6 261218P5600

Streamer symbols of futures and their options come from the API's instrument objects (they carry
the exchange code); the ones of shares and equity options are derived here, as Tastytrade documents.
The desk writes an option on a future as the paper venue does: the future, a space, YYMMDD, the
right and the strike, so the same position reads the same whatever the broker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from deltadesk.shared.instruments import InstrumentType, Right

_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9]{0,5}) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_FUTURE = re.compile(r"^/(?P<product>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")
_FUTURE_OPTION = re.compile(
    r"^\./(?P<future>[A-Z0-9]+?[FGHJKMNQUVXZ]\d{1,2}) (?P<code>[A-Z0-9]+) "
    r"(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d+(?:\.\d+)?)$"
)
_DESK_FUTURE_OPTION = re.compile(
    r"^(?P<future>/[A-Z0-9]+?[FGHJKMNQUVXZ]\d{1,2}) (?P<date>\d{6})(?P<right>[CP])(?P<strike>\d+(?:\.\d+)?)$"
)

# Tastytrade's instrument-type strings (tastytrade.order.InstrumentType values) and the desk's types.
EQUITY = "Equity"
EQUITY_OPTION = "Equity Option"
FUTURE = "Future"
FUTURE_OPTION = "Future Option"
TASTYTRADE_TYPE: dict[InstrumentType, str] = {
    InstrumentType.STK: EQUITY,
    InstrumentType.ETF: EQUITY,
    InstrumentType.OPT: EQUITY_OPTION,
    InstrumentType.FUT: FUTURE,
    InstrumentType.FOP: FUTURE_OPTION,
}


class UnknownSymbol(ValueError):
    """A symbol that is not in the form its instrument type promises."""


@dataclass(frozen=True, slots=True)
class OptionSymbol:
    """The parts of an option's symbol. `root` is the OCC root (SPXW) or, for an option on a future,
    the future (/ESZ6); `contract_code` is a future option's contract code (EW4Z6)."""

    root: str
    expiry: date
    right: Right
    strike: Decimal
    contract_code: str | None = None


def occ_symbol(root: str, expiry: date, right: Right, strike: Decimal) -> str:
    """`SPXW  261218P05800000`: root padded to six, YYMMDD, C or P, the strike × 1000 in eight digits."""
    thousandths = strike * 1000
    if (
        thousandths != thousandths.to_integral_value()
        or not 0 < thousandths < 10**8
        or not 0 < len(root) <= 6
    ):
        raise UnknownSymbol(f"no OCC symbol for {root} {expiry} {right.value} {strike}")
    return f"{root:<6}{expiry:%y%m%d}{right.value}{int(thousandths):08d}"


def parse_occ(symbol: str) -> OptionSymbol:
    match = _OCC.match(symbol)
    if match is None:
        raise UnknownSymbol(f"{symbol!r} is not an OCC option symbol")
    return OptionSymbol(
        root=match["root"],
        expiry=_yymmdd(match["date"], symbol),
        right=Right(match["right"]),
        strike=Decimal(int(match["strike"])) / 1000,
    )


def occ_streamer_symbol(occ: str) -> str:
    """`.SPXW261218P5800`, `.SPY240324P480.5`: a dot, the root, YYMMDD, the right, the plain strike."""
    parts = parse_occ(occ)
    return f".{parts.root}{parts.expiry:%y%m%d}{parts.right.value}{strike_text(parts.strike)}"


def future_product(symbol: str) -> str:
    """The product root of a futures contract: `/ESZ6` → `/ES`, `/MESH7` → `/MES`."""
    match = _FUTURE.match(symbol)
    if match is None:
        raise UnknownSymbol(f"{symbol!r} is not a futures contract symbol")
    return "/" + match["product"]


def is_future(symbol: str) -> bool:
    return _FUTURE.match(symbol) is not None


def parse_future_option(symbol: str) -> OptionSymbol:
    """Tastytrade's `./ESZ6 EW4Z6 261218P5600` → future /ESZ6, code EW4Z6, 2026-12-18, put, 5600."""
    match = _FUTURE_OPTION.match(symbol)
    if match is None:
        raise UnknownSymbol(f"{symbol!r} is not a Tastytrade future option symbol")
    return OptionSymbol(
        root="/" + match["future"],
        expiry=_yymmdd(match["date"], symbol),
        right=Right(match["right"]),
        strike=_strike(match["strike"], symbol),
        contract_code=match["code"],
    )


def parse_desk_future_option(symbol: str) -> OptionSymbol:
    """The desk's `/ESZ6 261218P5600`."""
    match = _DESK_FUTURE_OPTION.match(symbol)
    if match is None:
        raise UnknownSymbol(f"{symbol!r} is not a desk future option symbol")
    return OptionSymbol(
        root=match["future"],
        expiry=_yymmdd(match["date"], symbol),
        right=Right(match["right"]),
        strike=_strike(match["strike"], symbol),
    )


def desk_future_option_symbol(future: str, expiry: date, right: Right, strike: Decimal) -> str:
    return f"{future} {expiry:%y%m%d}{right.value}{strike_text(strike)}"


def desk_symbol(instrument_type: str, symbol: str) -> str:
    """The desk's name of a Tastytrade symbol: the same, except options on futures."""
    if instrument_type == FUTURE_OPTION:
        parts = parse_future_option(symbol)
        return desk_future_option_symbol(parts.root, parts.expiry, parts.right, parts.strike)
    return symbol


def desk_instrument(instrument_type: str, symbol: str, *, is_etf: bool = False) -> InstrumentType:
    if instrument_type == EQUITY:
        return InstrumentType.ETF if is_etf else InstrumentType.STK
    if instrument_type == EQUITY_OPTION:
        return InstrumentType.OPT
    if instrument_type == FUTURE:
        return InstrumentType.FUT
    if instrument_type == FUTURE_OPTION:
        return InstrumentType.FOP
    raise UnknownSymbol(f"{symbol}: the desk does not trade Tastytrade {instrument_type!r} instruments")


def strike_text(strike: Decimal) -> str:
    """A strike as Tastytrade writes it in streamer and future option symbols: 5800, 480.5."""
    normal = strike.normalize()
    return format(normal, "f") if normal != normal.to_integral_value() else str(int(normal))


def _yymmdd(digits: str, symbol: str) -> date:
    # Two-digit years: every listed option expires in the 2000s (strptime's %y would pivot at 69).
    try:
        return date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError as exc:
        raise UnknownSymbol(f"{symbol!r} has no valid expiry date") from exc


def _strike(text: str, symbol: str) -> Decimal:
    try:
        strike = Decimal(text)
    except InvalidOperation as exc:
        raise UnknownSymbol(f"{symbol!r} has no valid strike") from exc
    if strike <= 0:
        raise UnknownSymbol(f"{symbol!r} has no valid strike")
    return strike
