"""Contract resolution: a leg as the trader asks for it (underlying, expiry, strike, right, trading
class) becomes exactly one contract the simulated market lists, and a contract an order carries is
checked against the market before anything trades it.

- Shares by ticker; the market knows whether it is a stock or an ETF.
- Futures by root (`/ES` or `ES`) or by contract (`/ESZ6`); without an expiry, the front month; with
  one, the contract expiring that day or in that month.
- Options by underlying, expiry, strike and right: the expiry must be listed, the strike on the grid
  (`listing`), and for SPX the trading class must be listed on that date (`SPX` only on monthlies;
  left out, a monthly is `SPX` and every other date `SPXW`). `SPXW` as the underlying means SPX in the
  SPXW class. Options on futures are asked for on the root (`/ES`).
- A contract someone holds (`held`: its open interest) stays tradable even when the grid has moved
  away from its strike, so a position can always be closed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from deltadesk.paper_venue.domain.contracts import (
    Contract,
    describe,
    future,
    future_option,
    listed_option,
    share,
)
from deltadesk.paper_venue.domain.listing import (
    NotListed,
    OptionClass,
    class_named,
    front_future,
    is_listed_strike,
    listed_strikes,
    option_class,
    option_expiries,
    trading_classes,
)
from deltadesk.paper_venue.domain.market import MarketState, contract_for, share_spec
from deltadesk.paper_venue.domain.prices import plain
from deltadesk.paper_venue.domain.valuation import has_expired
from deltadesk.shared import orders
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import LegSpec

Listed = TypeVar("Listed", date, Decimal)
_COMPARED = ("underlying", "instrument", "multiplier", "expiry", "strike", "right", "underlying_contract")


def resolve(state: MarketState, leg: LegSpec, held: Collection[str] = ()) -> Contract:
    """The listed contract of a leg, or NotListed saying what is listed instead."""
    underlying = leg.underlying.strip().upper()
    if leg.instrument.is_share:
        return _share(state, underlying)
    if leg.instrument is InstrumentType.FUT:
        return _future(state, underlying, leg.expiry)
    assert leg.expiry is not None
    assert leg.strike is not None
    assert leg.right is not None
    cls, named_class = class_named(state, underlying, leg.instrument)
    wanted_class = leg.trading_class.strip().upper() if leg.trading_class else named_class
    strike = plain(leg.strike)
    check_expiry(state, cls, leg.expiry)
    chosen = choose_class(cls, leg.expiry, wanted_class)
    contract = class_option(cls, chosen, leg.expiry, leg.right, strike)
    if contract.symbol not in held:
        _check_strike(state, cls, strike, leg.expiry)
    return contract


def choose_class(cls: OptionClass, expiry: date, wanted: str | None) -> str | None:
    """The trading class to use: the one asked for when it is listed on that date, else the default."""
    if cls.future is not None:
        if wanted is not None and wanted.lstrip("/") != cls.underlying.lstrip("/"):
            raise NotListed(f"options on {cls.underlying} have no trading class {wanted!r}")
        return None
    classes = trading_classes(cls, expiry)
    chosen = wanted or classes[0]
    if chosen not in classes:
        raise NotListed(
            f"{cls.underlying} options expiring {expiry} are listed as {' and '.join(classes)}, not {chosen}"
        )
    return chosen


def class_option(
    cls: OptionClass, trading_class: str | None, expiry: date, right: Right, strike: Decimal
) -> Contract:
    """One option of a class: on its future for FOP, else under its trading class (the OCC root)."""
    if cls.future is not None:
        spec = cls.future
        carrier = future(spec.root, spec.symbol, spec.multiplier, spec.expiry)
        return future_option(carrier, expiry, right, strike)
    assert trading_class is not None
    return listed_option(trading_class, cls.underlying, expiry, right, strike)


def front_month(state: MarketState, root: str) -> Contract:
    spec = front_future(state, root.strip().upper())
    if spec is None:
        raise NotListed(f"the paper venue lists no futures on {root!r}")
    return future(spec.root, spec.symbol, spec.multiplier, spec.expiry)


def tradable(state: MarketState, wanted: orders.Contract, held: Collection[str] = ()) -> Contract:
    """The market's contract for one an order carries: it must be the same contract in every field,
    not expired, and listed (or held)."""
    found = known_contract(state, wanted)
    ours = describe(found)
    if has_expired(state, found):
        raise NotListed(f"{wanted.symbol} has expired")
    if found.instrument.is_option and found.symbol not in held:
        assert found.expiry is not None
        assert found.strike is not None
        cls = option_class(state, found.underlying, found.instrument)
        check_expiry(state, cls, found.expiry)
        classes = trading_classes(cls, found.expiry)
        if classes and ours.trading_class not in classes:
            raise NotListed(f"{wanted.symbol}: {ours.trading_class} lists no options expiring {found.expiry}")
        _check_strike(state, cls, found.strike, found.expiry)
    return found


def known_contract(state: MarketState, wanted: orders.Contract) -> Contract:
    """The market's contract for one an order carries, the same in every field (listed or not)."""
    found = contract_for(state.config, wanted.symbol)
    if found is None:
        raise NotListed(f"the paper venue does not know the contract {wanted.symbol!r}")
    ours = describe(found)
    for name in _COMPARED:
        if getattr(ours, name) != getattr(wanted, name):
            raise NotListed(
                f"{wanted.symbol}: {name} is {getattr(wanted, name)} in the order, "
                f"{getattr(ours, name)} at the paper venue"
            )
    for name in ("trading_class", "broker_id"):
        if getattr(wanted, name) is not None and getattr(wanted, name) != getattr(ours, name):
            raise NotListed(f"{wanted.symbol}: {name} {getattr(wanted, name)!r} is not the venue's")
    return found


def _share(state: MarketState, symbol: str) -> Contract:
    spec = share_spec(state.config, symbol)
    if spec is None:
        raise NotListed(f"the paper venue lists no stock or ETF {symbol!r}")
    return share(spec.symbol, spec.instrument)


def _future(state: MarketState, underlying: str, expiry: date | None) -> Contract:
    root = underlying if underlying.startswith("/") else "/" + underlying
    live = [
        f
        for f in state.config.futures
        if (f.root == root or f.symbol == root)
        and not has_expired(state, future(f.root, f.symbol, f.multiplier, f.expiry))
    ]
    if not live:
        raise NotListed(f"the paper venue lists no futures on {underlying!r}")
    if expiry is None:
        spec = min(live, key=lambda f: f.expiry)
    else:
        matching = [f for f in live if (f.expiry.year, f.expiry.month) == (expiry.year, expiry.month)]
        if not matching:
            listed = ", ".join(f"{f.symbol} ({f.expiry})" for f in live)
            raise NotListed(f"no {root} future expires in {expiry:%B %Y}; listed: {listed}")
        spec = matching[0]
    return future(spec.root, spec.symbol, spec.multiplier, spec.expiry)


def check_expiry(state: MarketState, cls: OptionClass, expiry: date) -> None:
    listed = option_expiries(state, cls)
    if expiry not in listed:
        near = ", ".join(d.isoformat() for d in _nearest(listed, expiry)) or "none"
        raise NotListed(
            f"the paper venue lists no {cls.underlying} {cls.instrument} options expiring {expiry} "
            f"(nearest listed: {near})"
        )


def _check_strike(state: MarketState, cls: OptionClass, strike: Decimal, expiry: date) -> None:
    if not is_listed_strike(state, cls, strike):
        near = ", ".join(str(s) for s in _nearest(listed_strikes(state, cls), strike))
        raise NotListed(
            f"the paper venue lists no {plain(strike)} strike for {cls.underlying} options expiring "
            f"{expiry} (nearest listed: {near})"
        )


def _nearest(values: Sequence[Listed], target: Listed) -> list[Listed]:
    """The listed value just below and just above the target."""
    below = [v for v in values if v < target]
    above = [v for v in values if v > target]
    return ([below[-1]] if below else []) + ([above[0]] if above else [])
