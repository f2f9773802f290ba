"""Tastytrade's account objects (as the SDK parses them) read into the desk's positions and balances.

Pure: the market values a position needs (its mark, per-unit Greeks, its underlying's price) come
in as arguments, read by the adapter from the streamer, because Tastytrade's REST positions carry no
Greeks, and their `mark`/`mark-price` are deprecated for valuation (the API guide says to use DXLink).

Quantities arrive unsigned with a direction: Long is positive, Short negative, Zero is a closed
position waiting for the overnight purge and is left out. The multiplier of an option on a future is
the future's notional multiplier (50 for /ES, 5 for /MES), whatever the position or the instrument
reports: Tastytrade's FutureOption says 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tastytrade.account import AccountBalance, CurrentPosition

from deltadesk.brokers.tastytrade.symbols import (
    EQUITY,
    EQUITY_OPTION,
    FUTURE,
    FUTURE_OPTION,
    desk_future_option_symbol,
    future_product,
    parse_future_option,
    parse_occ,
)
from deltadesk.shared.balances import Balances
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.positions import Greeks, Position


@dataclass(frozen=True, slots=True)
class PositionMarket:
    """What the streamer knows of one position: any part may be missing."""

    mark: Decimal | None = None
    greeks: Greeks | None = None
    iv: float | None = None
    underlying_price: float | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """A position's identity, read from its symbol: what to stream and how big a unit is."""

    symbol: str  # the desk's
    tastytrade_symbol: str
    instrument: InstrumentType
    underlying: str  # what risk beta-weights against: SPX for SPXW options, /ES for /ES and its options
    underlying_contract: str | None  # the future that prices a future or its options
    quantity: Decimal  # signed
    multiplier: Decimal


class UnsupportedPosition(ValueError):
    """A position of an instrument type the desk does not carry (crypto, bonds, …)."""


def signed_quantity(position: CurrentPosition) -> Decimal:
    direction = position.quantity_direction.lower()
    if direction == "short":
        return -abs(position.quantity)
    if direction == "long":
        return abs(position.quantity)
    return Decimal(0)


def holding_of(
    position: CurrentPosition, future_multipliers: Mapping[str, Decimal], etfs: frozenset[str] = frozenset()
) -> Holding:
    """`future_multipliers` maps a futures contract (/ESZ6) to its notional multiplier."""
    kind, symbol = position.instrument_type.value, position.symbol
    quantity = signed_quantity(position)
    if kind == EQUITY:
        instrument = InstrumentType.ETF if symbol in etfs else InstrumentType.STK
        return Holding(symbol, symbol, instrument, symbol, None, quantity, Decimal(1))
    if kind == EQUITY_OPTION:
        parse_occ(symbol)  # an unreadable symbol raises here, not later
        return Holding(
            symbol,
            symbol,
            InstrumentType.OPT,
            position.underlying_symbol,
            None,
            quantity,
            position.multiplier,
        )
    if kind == FUTURE:
        return Holding(
            symbol,
            symbol,
            InstrumentType.FUT,
            future_product(symbol),
            symbol,
            quantity,
            future_multipliers[symbol],
        )
    if kind == FUTURE_OPTION:
        parts = parse_future_option(symbol)
        return Holding(
            desk_future_option_symbol(parts.root, parts.expiry, parts.right, parts.strike),
            symbol,
            InstrumentType.FOP,
            future_product(parts.root),
            parts.root,
            quantity,
            future_multipliers[parts.root],  # not position.multiplier: see the module docstring
        )
    raise UnsupportedPosition(f"{symbol}: Tastytrade {kind!r} positions are not carried by the desk")


def desk_position(
    account: str, position: CurrentPosition, holding: Holding, market: PositionMarket
) -> Position:
    option = None
    if holding.instrument is InstrumentType.OPT:
        option = parse_occ(holding.tastytrade_symbol)
    elif holding.instrument is InstrumentType.FOP:
        option = parse_future_option(holding.tastytrade_symbol)
    return Position(
        account=account,
        symbol=holding.symbol,
        underlying=holding.underlying,
        instrument=holding.instrument,
        quantity=holding.quantity,
        multiplier=holding.multiplier,
        right=option.right if option else None,
        strike=option.strike if option else None,
        expiry=option.expiry if option else None,
        average_cost=position.average_open_price,
        mark=market.mark,
        greeks=market.greeks if holding.instrument.is_option else None,
        iv=market.iv if holding.instrument.is_option else None,
        underlying_price=market.underlying_price,
        underlying_contract=holding.underlying_contract,
        contract_id=holding.tastytrade_symbol,
    )


def open_positions(positions: Iterable[CurrentPosition]) -> list[CurrentPosition]:
    return [p for p in positions if signed_quantity(p) != 0]


def desk_balances(account: str, balance: AccountBalance) -> Balances:
    """Net liquidation, cash, the maintenance requirement; Reg T's initial requirement; option
    (derivative) buying power, the figure a premium seller's orders draw on."""
    return Balances(
        account=account,
        currency="USD",
        net_liquidation=balance.net_liquidating_value,
        cash=balance.cash_balance,
        maintenance_margin=balance.maintenance_requirement,
        initial_margin=balance.reg_t_margin_requirement,
        buying_power=balance.derivative_buying_power,
        as_of=_utc(balance.updated_at),
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
