"""IBKR's formatted figures read into numbers: what-if amounts and market-data snapshot values.

The gateway sends most numbers as display strings. What-if: `"1,977.60 USD (10 Shares)"`, `"-1"`,
`"116,965"`, and in one documented example junk such as `590""`. Snapshot: `"C168.42"` (prior close),
`"H12.10"` (halted), `"1,300"`, `"1.2K"`, `"25.0%"`. Parsing is strict about what a number is and
lenient about what surrounds it; anything without a number is None, never zero.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# A number as IBKR prints it: optional sign, digits with optional comma thousands, optional decimals.
_NUMBER = re.compile(r"(?<![\d.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?<![\d.])[-+]?\.\d+")
_WORDY_PARENTHETICAL = re.compile(r"\([^()]*[A-Za-z][^()]*\)")
_ACCOUNTING_NEGATIVE = re.compile(r"^\(\s*([\d,]+(?:\.\d+)?)\s*\)")
_SUFFIXES = {"K": Decimal(1_000), "M": Decimal(1_000_000), "B": Decimal(1_000_000_000)}
_RANGE = re.compile(r"\.\.\.|–|—|\bto\b")


def parse_amount(text: object) -> Decimal | None:
    """A what-if figure as a Decimal: commas, a currency suffix and a wordy parenthetical dropped.

    A range (`"0.65 ... 1.30 USD"`, not in IBKR's examples but cheap to survive) gives its largest
    end: for a commission or a margin the conservative figure. `"(1,234)"` is read as negative.
    """
    if text is None:
        return None
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return _decimal(str(text))
    raw = str(text).strip().replace("\u2212", "-")
    raw = _WORDY_PARENTHETICAL.sub(" ", raw).strip()
    if match := _ACCOUNTING_NEGATIVE.match(raw):
        raw = "-" + match.group(1)
    numbers = [_decimal(n.replace(",", "")) for n in _NUMBER.findall(raw)]
    values = [n for n in numbers if n is not None]
    if not values:
        return None
    if len(values) > 1 and not _RANGE.search(raw):
        # Two numbers that are not a range ("1 2") is not a figure we understand.
        return None
    return max(values)


def parse_field(text: object) -> Decimal | None:
    """A snapshot value as a Decimal: prefix C (prior close) or H (halted), commas and K/M/B dropped.

    A percent sign is dropped too (the caller knows the field is a percentage).
    """
    if text is None:
        return None
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return _decimal(str(text))
    raw = str(text).strip().replace(",", "").replace("\u2212", "-")
    if raw[:1] in {"C", "H"}:
        raw = raw[1:].strip()
    raw = raw.rstrip("%").strip()
    scale = Decimal(1)
    if raw[-1:].upper() in _SUFFIXES:
        scale = _SUFFIXES[raw[-1:].upper()]
        raw = raw[:-1]
    value = _decimal(raw)
    return None if value is None else value * scale


def parse_price(text: object) -> Decimal | None:
    """A bid, ask or last: None when absent, not a number, or the `-1` some feeds send for no quote."""
    value = parse_field(text)
    if value is None or value < 0:
        return None
    return value


def parse_volatility(text: object) -> float | None:
    """An implied volatility as a fraction (0.162 for 16.2%).

    IBKR documents field 7633 as a percentage but not its format (UNCONFIRMED whether `"16.2%"` or
    `"16.2"`). Decided: with a `%` sign it is a percentage; without one, a value above 3 is read as a
    percentage (no listed option here trades at 300% volatility) and anything else as a fraction.
    """
    value = parse_field(text)
    if value is None or value < 0:
        return None
    number = float(value)
    if "%" in str(text) or number > 3.0:
        number /= 100.0
    return number


def parse_float(text: object) -> float | None:
    value = parse_field(text)
    return None if value is None else float(value)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
