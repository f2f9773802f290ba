"""Tastytrade's instrument catalogue as the adapter needs it: futures, their options, shares and the
nested option chains, with the contracts that do not change (a future's multiplier, an option's
streamer symbol) cached for the life of the adapter.

The choices the desk makes over a chain live here too, in pure functions: which option root serves
an expiry (SPX's AM monthly and SPXW's PM options share third Fridays), and which future is the
front month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tastytrade import Session
from tastytrade.instruments import (
    Equity,
    Future,
    FutureOption,
    NestedFutureOptionChain,
    NestedFutureOptionChainExpiration,
    NestedOptionChain,
    NestedOptionChainExpiration,
    Strike,
)

from deltadesk.brokers.tastytrade.symbols import future_product, is_future
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import Right

# Option roots whose chain is listed under another underlying (PM-settled index weeklies).
ROOT_UNDERLYING = {"SPXW": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX", "XSPW": "XSP"}
INDEXES = frozenset({"SPX", "VIX", "NDX", "RUT", "XSP", "DJX", "OEX", "XEO"})


class Instruments:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._futures: dict[str, Future] = {}
        self._future_options: dict[str, FutureOption] = {}
        self._equities: dict[str, Equity] = {}

    async def future(self, symbol: str) -> Future:
        if symbol not in self._futures:
            self._futures[symbol] = await Future.get(self._session, symbol)
        return self._futures[symbol]

    async def futures(self, product: str) -> list[Future]:
        """The listed contracts of a product (`/ES`), freshly: the front month moves at each roll."""
        found = await Future.get(self._session, product_codes=[product.lstrip("/")], page_offset=None)
        for item in found:
            self._futures.setdefault(item.symbol, item)
        return found

    async def future_option(self, symbol: str) -> FutureOption:
        if symbol not in self._future_options:
            self._future_options[symbol] = await FutureOption.get(self._session, symbol)
        return self._future_options[symbol]

    async def equity(self, symbol: str) -> Equity:
        if symbol not in self._equities:
            self._equities[symbol] = await Equity.get(self._session, symbol)
        return self._equities[symbol]

    async def option_chains(self, underlying: str) -> list[NestedOptionChain]:
        return await NestedOptionChain.get(self._session, ROOT_UNDERLYING.get(underlying, underlying))

    async def future_option_chain(self, underlying: str) -> NestedFutureOptionChain:
        product = future_product(underlying) if is_future(underlying) else underlying
        return await NestedFutureOptionChain.get(self._session, product)


@dataclass(frozen=True, slots=True)
class ListedExpiry:
    """One expiry of one option root, with its strikes."""

    underlying: str  # SPX; for an option on a future, the future (/ESZ6)
    root: str  # SPXW; for an option on a future, its option root (EW4)
    expiry: date
    multiplier: Decimal | None  # shares per contract; None for an option on a future (the future's)
    strikes: tuple[Strike, ...]

    def strike(self, price: Decimal) -> Strike:
        for strike in self.strikes:
            if strike.strike_price == price:
                return strike
        raise BrokerRejected(f"{self.root} {self.expiry} lists no strike {price}")

    @staticmethod
    def symbols(strike: Strike, right: Right) -> tuple[str, str]:
        """(Tastytrade symbol, streamer symbol) of one side of a strike."""
        if right is Right.CALL:
            return strike.call, strike.call_streamer_symbol
        return strike.put, strike.put_streamer_symbol


def option_expiries(chains: Iterable[NestedOptionChain], underlying: str) -> list[ListedExpiry]:
    """Every root's expiries; asking for a root (SPXW) keeps only that root's."""
    found = []
    for chain in chains:
        if underlying in ROOT_UNDERLYING and chain.root_symbol != underlying:
            continue
        for item in chain.expirations:
            found.append(_listed(chain, item))
    return found


def _listed(chain: NestedOptionChain, item: NestedOptionChainExpiration) -> ListedExpiry:
    return ListedExpiry(
        underlying=chain.underlying_symbol,
        root=chain.root_symbol,
        expiry=item.expiration_date,
        multiplier=Decimal(chain.shares_per_contract),
        strikes=tuple(sorted(item.strikes, key=lambda s: s.strike_price)),
    )


def future_option_expiries(chain: NestedFutureOptionChain, underlying: str) -> list[ListedExpiry]:
    """Every option root's expiries; asking for a contract (/ESZ6) keeps only the options on it."""
    contract = underlying if is_future(underlying) else None
    found = []
    for subchain in chain.option_chains:
        for item in subchain.expirations:
            if contract is None or item.underlying_symbol == contract:
                found.append(_listed_future_option(item))
    return found


def _listed_future_option(item: NestedFutureOptionChainExpiration) -> ListedExpiry:
    return ListedExpiry(
        underlying=item.underlying_symbol,
        root=item.option_root_symbol,
        expiry=item.expiration_date,
        multiplier=None,
        strikes=tuple(sorted(item.strikes, key=lambda s: s.strike_price)),
    )


def choose_expiry(
    listed: Sequence[ListedExpiry], underlying: str, expiry: date, root: str | None = None
) -> ListedExpiry:
    """The root that serves `expiry`: the one named (a trading class, or an underlying that is itself
    a root: SPX for the AM monthly, SPXW for PM), else the only one, else the first by root name."""
    candidates = [item for item in listed if item.expiry == expiry]
    wanted = root or underlying
    for item in candidates:
        if item.root == wanted:
            return item
    if root is not None:
        raise BrokerRejected(f"{underlying}: no {root} options expire on {expiry}")
    if not candidates:
        raise BrokerRejected(f"{underlying}: no options expire on {expiry}")
    return sorted(candidates, key=lambda item: item.root)[0]


def front_month(futures: Iterable[Future], today: date) -> Future:
    """The contract Tastytrade marks as the active month, else the nearest that has not expired."""
    live = [f for f in futures if f.expiration_date >= today]
    for item in sorted(live, key=lambda f: f.expiration_date):
        if item.active_month:
            return item
    if not live:
        raise BrokerRejected("no listed futures contract has not expired")
    return min(live, key=lambda f: f.expiration_date)


def future_expiring(futures: Iterable[Future], expiry: date) -> Future:
    """The contract expiring on `expiry`, else the one expiring in its month."""
    listed = list(futures)
    for item in listed:
        if item.expiration_date == expiry:
            return item
    for item in listed:
        if (item.expiration_date.year, item.expiration_date.month) == (expiry.year, expiry.month):
            return item
    raise BrokerRejected(f"no futures contract expires in {expiry:%Y-%m}")
