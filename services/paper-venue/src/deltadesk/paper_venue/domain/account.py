"""A paper account: cash and holdings at average cost, marked to the simulated market, and the
booking of executions into it.

Net liquidation = cash + the market value of shares and options (a short is negative) + the open
P&L of futures (a future costs nothing to open; its P&L is settled in cash only at expiry here,
rather than daily as a real broker's variation margin would).

An execution (`Trade`) changes the account once: shares and options move cash by price × quantity ×
multiplier (a purchase pays, a sale receives the premium); a future moves no cash to open, and
realises its P&L against the average cost on the part it closes; the commission is always paid. The
holding's average cost is the quantity-weighted price while a position grows, unchanged while it
shrinks, and the new price when a trade takes it through zero; a position that reaches zero is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.paper_venue.domain.margin import MarginRates, margin_requirement
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.prices import plain, to_cents
from deltadesk.paper_venue.domain.valuation import Valuation, has_expired, settlement_price, value
from deltadesk.shared.balances import Balances
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.positions import Greeks, Position

ZERO = Decimal(0)
AVERAGE_COST_STEP = Decimal("0.000001")  # average costs are kept to a millionth of a price unit


@dataclass(frozen=True, slots=True)
class Holding:
    contract: Contract
    quantity: Decimal  # signed: a short is negative
    average_cost: Decimal  # per unit: per share, per option unit, per futures point


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    cash: Decimal
    holdings: tuple[Holding, ...] = ()


@dataclass(frozen=True, slots=True)
class Settlement:
    """An expired contract taken out of an account and settled in cash."""

    account_id: str
    symbol: str
    quantity: Decimal
    settlement_price: Decimal
    cash: Decimal  # what the account received (negative: paid)


@dataclass(frozen=True, slots=True)
class Trade:
    """One leg's execution, to be booked into an account."""

    contract: Contract
    quantity: Decimal  # signed: bought > 0, sold < 0
    price: Decimal  # per unit
    commission: Decimal  # paid, ≥ 0


def apply_trade(account: Account, trade: Trade) -> Account:
    """The account after one execution (see the module docstring for the rules)."""
    if trade.quantity == 0:
        raise ValueError(f"a trade of {trade.contract.symbol} needs a quantity")
    contract, quantity, price = trade.contract, trade.quantity, trade.price
    holdings = list(account.holdings)
    index = next((i for i, h in enumerate(holdings) if h.contract.symbol == contract.symbol), None)
    held = holdings[index] if index is not None else None
    old_quantity = held.quantity if held is not None else ZERO
    old_cost = held.average_cost if held is not None else ZERO
    new_quantity = old_quantity + quantity
    reducing = old_quantity * quantity < 0

    cash = account.cash - trade.commission
    if contract.instrument is InstrumentType.FUT:
        if reducing:
            closed = min(abs(quantity), abs(old_quantity)) * (1 if old_quantity > 0 else -1)
            cash += (price - old_cost) * closed * contract.multiplier
    else:
        cash -= quantity * price * contract.multiplier

    if new_quantity == 0:
        average = ZERO
    elif not reducing:
        average = (old_quantity * old_cost + quantity * price) / new_quantity
        average = plain(average.quantize(AVERAGE_COST_STEP))
    elif abs(quantity) < abs(old_quantity):
        average = old_cost
    else:
        average = price
    if index is None:
        holdings.append(Holding(contract, new_quantity, average))
    elif new_quantity == 0:
        del holdings[index]
    else:
        holdings[index] = Holding(holdings[index].contract, new_quantity, average)
    return replace(account, cash=cash, holdings=tuple(holdings))


def mark_price(state: MarketState, contract: Contract) -> Decimal:
    """The per-unit mark of a contract: the model's price in cents."""
    return to_cents(value(state, contract).price)


def mark_positions(account: Account, state: MarketState) -> tuple[Position, ...]:
    """Every holding as a broker would report it: mark, per-unit Greeks, IV and underlying price."""
    return tuple(_position(account.account_id, h, value(state, h.contract)) for h in account.holdings)


def net_liquidation(account: Account, positions: tuple[Position, ...]) -> Decimal:
    total = account.cash
    for holding, position in zip(account.holdings, positions, strict=True):
        assert position.mark is not None  # every marked position has one
        units = holding.quantity * holding.contract.multiplier
        if holding.contract.instrument is InstrumentType.FUT:
            total += (position.mark - holding.average_cost) * units
        else:
            total += position.mark * units
    return total


def balances(account: Account, state: MarketState, rates: MarginRates, as_of: datetime) -> Balances:
    """Net liquidation, cash and margin now. Buying power is the excess over initial margin."""
    positions = mark_positions(account, state)
    requirement = margin_requirement(positions, rates)
    net_liq = net_liquidation(account, positions)
    return Balances(
        account=account.account_id,
        currency="USD",
        net_liquidation=net_liq,
        cash=account.cash,
        maintenance_margin=requirement.maintenance,
        initial_margin=requirement.initial,
        buying_power=net_liq - requirement.initial,
        as_of=as_of,
    )


def settle_expired(account: Account, state: MarketState) -> tuple[Account, tuple[Settlement, ...]]:
    """Take every expired contract out of the account, settling it in cash.

    An option pays its intrinsic value (cash-settled even on shares: see `valuation`); a future
    pays its P&L against its average cost at the settlement price.
    """
    kept: list[Holding] = []
    settled: list[Settlement] = []
    cash = account.cash
    for holding in account.holdings:
        contract = holding.contract
        if not has_expired(state, contract):
            kept.append(holding)
            continue
        price = to_cents(settlement_price(state, contract))
        units = holding.quantity * contract.multiplier
        paid = (
            (price - holding.average_cost) * units
            if contract.instrument is InstrumentType.FUT
            else price * units
        )
        cash += paid
        settled.append(Settlement(account.account_id, contract.symbol, holding.quantity, price, paid))
    if not settled:
        return account, ()
    return replace(account, cash=cash, holdings=tuple(kept)), tuple(settled)


def _position(account_id: str, holding: Holding, valuation: Valuation) -> Position:
    contract = holding.contract
    option = contract.instrument.is_option
    greeks = (
        Greeks(delta=valuation.delta, gamma=valuation.gamma, theta=valuation.theta, vega=valuation.vega)
        if option
        else None
    )
    return Position(
        account=account_id,
        symbol=contract.symbol,
        underlying=contract.underlying,
        instrument=contract.instrument,
        quantity=holding.quantity,
        multiplier=contract.multiplier,
        right=contract.right if option else None,
        strike=contract.strike if option else None,
        expiry=contract.expiry if option else None,
        average_cost=holding.average_cost,
        mark=to_cents(valuation.price),
        greeks=greeks,
        iv=valuation.iv,
        underlying_price=valuation.underlying_price,
        underlying_contract=contract.underlying_contract,
        contract_id=contract.symbol,
    )
