"""Choosing IBKR contracts: the front-month future, the listing of one expiry and trading class, the
strikes worth asking about, and the desk's `Contract` for a conid. Pure: the adapter fetches.

IBKR answers `/iserver/secdef/info` with one row per expiry in the month (SPX monthlies, class SPX,
AM-settled, and SPXW weeklies and dailies, PM-settled, under the same underlying conid), so a leg
is found by its exact maturity date and its trading class, never by the month alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from deltadesk.brokers.ibkr.symbols import fop_symbol, occ_symbol, parse_yyyymmdd
from deltadesk.brokers.ibkr.wire import FutureRow, SecdefInfoRow
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Contract


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """What the adapter knows of one conid, in the desk's terms."""

    conid: int
    symbol: str
    underlying: str
    instrument: InstrumentType
    multiplier: Decimal
    expiry: date | None = None
    strike: Decimal | None = None
    right: Right | None = None
    trading_class: str | None = None
    underlying_conid: int | None = None
    underlying_contract: str | None = None

    def contract(self) -> Contract:
        return Contract(
            symbol=self.symbol,
            underlying=self.underlying,
            instrument=self.instrument,
            multiplier=self.multiplier,
            expiry=self.expiry,
            strike=self.strike,
            right=self.right,
            trading_class=self.trading_class,
            underlying_contract=self.underlying_contract,
            broker_id=str(self.conid),
        )


def front_month(rows: Iterable[FutureRow], today: date) -> FutureRow | None:
    """The listed future expiring soonest on or after `today` (IBKR lists only unexpired ones, but a
    contract expiring today may still be listed after its last trade)."""
    live = [r for r in rows if (d := parse_yyyymmdd(r.expiration_date)) is not None and d >= today]
    return min(live, key=lambda r: r.expiration_date or 0, default=None)


def listing(
    rows: Sequence[SecdefInfoRow],
    *,
    expiry: date,
    symbol: str,
    trading_class: str | None,
    right: Right | None = None,
    strike: Decimal | None = None,
) -> list[SecdefInfoRow]:
    """The rows of one expiry and one trading class (and right and strike, when given).

    Without a trading class: the class named like the symbol (SPX's AM monthlies on a date both
    list) if it is there, else the only class listed that day; two other classes are ambiguous.
    CME event contracts (classes `EC…`, multiplier 1) are never options the desk trades.
    """
    wanted = expiry.strftime("%Y%m%d")
    day = [
        r
        for r in rows
        if r.maturity_date == wanted
        and not (r.trading_class or "").startswith("EC")
        and (right is None or r.right == right.value)
        and (strike is None or (r.strike is not None and r.strike == strike))
    ]
    classes = sorted({r.trading_class or symbol for r in day})
    if trading_class is not None:
        chosen = trading_class.upper()
    elif symbol in classes:
        chosen = symbol
    elif len(classes) <= 1:
        return day
    else:
        raise BrokerRejected(
            f"{symbol} lists {' and '.join(classes)} on {expiry.isoformat()}: name the trading class"
        )
    return [r for r in day if (r.trading_class or symbol) == chosen]


def expiries_in(rows: Iterable[SecdefInfoRow], trading_class: str | None) -> set[date]:
    found: set[date] = set()
    for row in rows:
        if (row.trading_class or "").startswith("EC"):
            continue
        if trading_class is not None and row.trading_class != trading_class:
            continue
        if (day := parse_yyyymmdd(row.maturity_date)) is not None:
            found.add(day)
    return found


def strike_window(strikes: Sequence[Decimal], around: float | None, count: int) -> list[Decimal]:
    """The `count` listed strikes nearest `around` (the underlying's price), ascending; without a
    price, the middle of the list. Chains are built from these so one chain costs a bounded number
    of `/secdef/info` requests, not one per listed strike."""
    ordered = sorted(set(strikes))
    if len(ordered) <= count:
        return ordered
    if around is None:
        start = (len(ordered) - count) // 2
        return ordered[start : start + count]
    nearest = sorted(ordered, key=lambda s: (abs(float(s) - around), s))[:count]
    return sorted(nearest)


def option_facts(
    row: SecdefInfoRow,
    *,
    underlying: str,
    underlying_conid: int | None,
    instrument: InstrumentType,
    future: str | None = None,
) -> ContractFacts:
    """The facts of an option row of `/secdef/info`. `future` is the futures contract (`/ESZ6`) an
    option on a future is on; its symbol is built on it."""
    expiry = parse_yyyymmdd(row.maturity_date)
    if expiry is None or row.strike is None or row.right not in ("C", "P"):
        raise BrokerRejected(f"IBKR listed conid {row.conid} without a date, strike or right")
    right = Right(row.right)
    if row.multiplier is None or row.multiplier <= 0:
        raise BrokerRejected(f"IBKR listed conid {row.conid} without a multiplier")
    trading_class = row.trading_class or underlying
    if instrument is InstrumentType.FOP:
        if future is None:
            raise BrokerRejected(f"the future under option conid {row.conid} is unknown")
        symbol = fop_symbol(future, expiry, right, row.strike)
    else:
        symbol = occ_symbol(trading_class, expiry, right, row.strike)
    return ContractFacts(
        conid=row.conid,
        symbol=symbol,
        underlying=underlying,
        instrument=instrument,
        multiplier=row.multiplier,
        expiry=expiry,
        strike=row.strike,
        right=right,
        trading_class=trading_class,
        underlying_conid=underlying_conid,
        underlying_contract=future,
    )
