"""The desk's names for what IBKR numbers by conid, and the reverse.

The desk names contracts as the paper venue does (`deltadesk.paper_venue.domain.contracts`):
shares and indexes by ticker (`SPY`, `SPX`); futures by contract (`/ESZ6`: root, month code, last
digit of the year); listed options OCC-style (`SPXW  261218P05800000`); options on futures as the
futures contract, a space, YYMMDD, the right and the strike (`/ESZ6 261218P5600`).
IBKR's month tokens (`DEC26`) and trading classes (SPX vs SPXW) are translated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from deltadesk.shared.instruments import Right

MONTH_CODES = "FGHJKMNQUVXZ"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Cash-settled indexes IBKR lists as secType IND (their options are OPT on the index conid).
INDEXES = frozenset({"SPX", "VIX", "NDX", "RUT", "XSP", "DJX", "OEX"})
# Trading classes a trader may name as if they were underlyings: SPXW is SPX's PM-settled series.
CLASS_ROOTS = {"SPXW": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX", "XSPW": "XSP"}

_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9]{0,5}) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_FUTURE = re.compile(r"^/(?P<root>[A-Z0-9]{1,5}?)(?P<code>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")
_FOP = re.compile(r"^(?P<future>/[A-Z0-9]+) (?P<date>\d{6})(?P<right>[CP])(?P<strike>\d+(\.\d+)?)$")
_BRACKET = re.compile(r"\[(?P<local>[^\]]+?)\s+\d+(?:\.\d+)?\s*\]\s*$")


def month_token(day: date) -> str:
    """IBKR's contract-month token: `DEC26` (independent of the process locale)."""
    return f"{_MONTHS[day.month - 1]}{day.year % 100:02d}"


def parse_month_token(token: str) -> tuple[int, int] | None:
    """`DEC26` → (2026, 12); None when it is not a month token."""
    token = token.strip().upper()
    if len(token) != 5 or token[:3] not in _MONTHS or not token[3:].isdigit():
        return None
    return 2000 + int(token[3:]), _MONTHS.index(token[:3]) + 1


def parse_yyyymmdd(text: str | int | None) -> date | None:
    if text is None:
        return None
    digits = str(text).strip()
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def occ_symbol(root: str, expiry: date, right: Right, strike: Decimal) -> str:
    thousandths = strike * 1000
    if thousandths != thousandths.to_integral_value() or not 0 < thousandths < 10**8 or len(root) > 6:
        raise ValueError(f"cannot write an OCC symbol for {root} {expiry} {right.value} {strike}")
    return f"{root:<6}{expiry:%y%m%d}{right.value}{int(thousandths):08d}"


@dataclass(frozen=True, slots=True)
class OccParts:
    root: str
    expiry: date
    right: Right
    strike: Decimal


def parse_occ(symbol: str) -> OccParts | None:
    match = _OCC.match(symbol.strip())
    if match is None:
        return None
    digits = match["date"]
    try:
        expiry = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
    strike = Decimal(int(match["strike"])) / 1000
    if strike <= 0:
        return None
    return OccParts(match["root"], expiry, Right(match["right"]), strike)


def local_symbol_in(contract_desc: str | None) -> str | None:
    """The local symbol IBKR puts in brackets at the end of an option's `contractDesc`:
    `SPX    DEC2026 5800 P [SPXW  261218P05800000 100]` → `SPXW  261218P05800000`."""
    if not contract_desc:
        return None
    match = _BRACKET.search(contract_desc)
    return match["local"] if match else None


def futures_root(name: str) -> str:
    """`/ES` and `ES` → `ES`: the root IBKR lists futures under."""
    return name.strip().upper().removeprefix("/")


def future_symbol(local_symbol: str) -> str:
    """IBKR's local symbol of a future (`ESZ6`, `ES DEC 26` on some builds) → `/ESZ6`."""
    compact = local_symbol.replace(" ", "").upper()
    return compact if compact.startswith("/") else "/" + compact


def future_symbol_for(root: str, contract_month: date) -> str:
    """`/ESZ6` from a root and its contract month (used when IBKR gives no local symbol)."""
    return f"/{futures_root(root)}{MONTH_CODES[contract_month.month - 1]}{contract_month.year % 10}"


@dataclass(frozen=True, slots=True)
class FutureParts:
    root: str
    month: int
    year_digits: str  # "6" or "26", as written


def parse_future(symbol: str) -> FutureParts | None:
    match = _FUTURE.match(symbol.strip().upper())
    if match is None:
        return None
    return FutureParts(match["root"], MONTH_CODES.index(match["code"]) + 1, match["year"])


def year_matches(year: int, digits: str) -> bool:
    return str(year).endswith(digits)


def fop_symbol(future: str, expiry: date, right: Right, strike: Decimal) -> str:
    strike_text = format(strike.normalize(), "f")
    return f"{future} {expiry:%y%m%d}{right.value}{strike_text}"


@dataclass(frozen=True, slots=True)
class FopParts:
    future: str
    expiry: date
    right: Right
    strike: Decimal


def parse_fop(symbol: str) -> FopParts | None:
    match = _FOP.match(symbol.strip())
    if match is None:
        return None
    digits = match["date"]
    try:
        expiry = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
    return FopParts(match["future"], expiry, Right(match["right"]), Decimal(match["strike"]))


def option_root(underlying: str) -> tuple[str, str | None]:
    """A name a trader gives an option underlying → (IBKR symbol, trading class if it implied one):
    `SPXW` → (`SPX`, `SPXW`); `spy` → (`SPY`, None)."""
    name = underlying.strip().upper()
    if name in CLASS_ROOTS:
        return CLASS_ROOTS[name], name
    return name, None
