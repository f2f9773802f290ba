"""Top-of-book quotes around the model's price: bid and ask on the instrument's tick grid with a
spread that suits its kind, and a last at the nearest tick.

Ticks follow the listing rules closely enough to look right: SPX and SPXW options 0.05 below 3.00
and 0.10 above; penny-pilot equity options 0.01 below 3.00 and 0.05 above (SPY 0.01 at any price);
/ES and /MES futures 0.25; /ES options 0.05 up to 5.00 and 0.25 above; shares and indexes 0.01.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from deltadesk.paper_venue.domain.contracts import Contract, describe
from deltadesk.paper_venue.domain.market import MarketState, contract_for, spot
from deltadesk.paper_venue.domain.prices import (
    CENT,
    ceil_to_tick,
    floor_to_tick,
    round_to_tick,
    to_decimal,
)
from deltadesk.paper_venue.domain.valuation import value
from deltadesk.shared.broker import SPX, VIX
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import ContractQuote
from deltadesk.shared.positions import Greeks
from deltadesk.shared.quotes import Quote

FUTURES_TICK = Decimal("0.25")
PENNY_EVERYWHERE = frozenset({"SPY", "QQQ", "IWM"})  # option classes quoted in pennies at any price
# Half the bid/ask spread as a fraction of the price, per kind (the spread is at least one tick).
INDEX_HALF_SPREAD = Decimal("0.00005")
SHARE_HALF_SPREAD = Decimal("0.0001")
OPTION_HALF_SPREAD = Decimal("0.01")


def quote(state: MarketState, symbol: str, as_of: datetime) -> Quote | None:
    """A quote for an index, share, future or option of this market; None for a symbol it lacks.

    `as_of` is when the quote was made (the caller's clock), not the simulated market time.
    """
    if symbol in (SPX, VIX):
        mid = to_decimal(spot(state, symbol))
        return _two_sided(symbol, mid, CENT, mid * INDEX_HALF_SPREAD, as_of)
    contract = contract_for(state.config, symbol)
    if contract is None:
        return None
    return quote_contract(state, contract, as_of)


def quote_contract(
    state: MarketState, contract: Contract, as_of: datetime, price: float | None = None
) -> Quote:
    """The top of book of a contract of this market around its model price (`price`, when the caller
    has already valued it)."""
    mid = to_decimal(value(state, contract).price if price is None else price)
    if contract.instrument.is_share:
        return _two_sided(contract.symbol, mid, CENT, mid * SHARE_HALF_SPREAD, as_of)
    if contract.instrument is InstrumentType.FUT:
        return _two_sided(contract.symbol, mid, FUTURES_TICK, Decimal(0), as_of)  # one tick wide, as /ES
    return _two_sided(contract.symbol, mid, option_tick(contract, mid), mid * OPTION_HALF_SPREAD, as_of)


def contract_quote(state: MarketState, contract: Contract, as_of: datetime) -> ContractQuote:
    """A contract's market with, for an option, its per-unit Greeks, IV and underlying price."""
    valuation = value(state, contract)
    top = quote_contract(state, contract, as_of, valuation.price)
    option = contract.instrument.is_option
    greeks = (
        Greeks(delta=valuation.delta, gamma=valuation.gamma, theta=valuation.theta, vega=valuation.vega)
        if option
        else None
    )
    return ContractQuote(
        contract=describe(contract),
        bid=top.bid,
        ask=top.ask,
        last=top.last,
        greeks=greeks,
        iv=valuation.iv,
        underlying_price=valuation.underlying_price,
        as_of=as_of,
    )


def option_tick(contract: Contract, price: Decimal) -> Decimal:
    if contract.instrument is InstrumentType.FOP:
        return Decimal("0.05") if price <= 5 else Decimal("0.25")
    if contract.underlying == SPX:
        return Decimal("0.05") if price < 3 else Decimal("0.10")
    if contract.underlying in PENNY_EVERYWHERE:
        return CENT
    return CENT if price < 3 else Decimal("0.05")


def _two_sided(symbol: str, mid: Decimal, tick: Decimal, half_spread: Decimal, as_of: datetime) -> Quote:
    """Bid and ask at least `half_spread` from the mid, on the grid, at least one tick apart."""
    bid = max(floor_to_tick(mid - half_spread, tick), Decimal(0))
    ask = max(ceil_to_tick(mid + half_spread, tick), bid + tick)
    last = min(max(round_to_tick(mid, tick), bid), ask)
    return Quote(symbol=symbol, bid=bid, ask=ask, last=last, as_of=as_of)
