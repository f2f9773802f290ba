"""Simulating an order: its legs as the positions risk's what-if adds to the portfolio, and the
stored `Simulation` an approval must match.

Each leg becomes a position of the order's signed quantity, with the broker's per-unit Greeks and
the price of what they are taken against. A leg the broker gives no such numbers for makes no
simulation at all: post-trade Greeks missing a leg would be a wrong number shown as a right one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import ContractQuote, Order, OrderLeg, WhatIf, order_hash
from deltadesk.shared.positions import Position
from deltadesk.shared.simulation import RiskWhatIf, Simulation


class LegNotPriced(DomainError):
    code: ClassVar[str] = "leg_not_priced"


def leg_positions(order: Order, quotes: Sequence[ContractQuote]) -> tuple[Position, ...]:
    """One position per leg, in order; `quotes` are the broker's, in the order of the legs."""
    if len(quotes) != len(order.legs):
        raise LegNotPriced(f"the broker quoted {len(quotes)} of the order's {len(order.legs)} legs")
    return tuple(
        _position(order, number, leg, quote)
        for number, (leg, quote) in enumerate(zip(order.legs, quotes, strict=True), start=1)
    )


def _position(order: Order, number: int, leg: OrderLeg, quote: ContractQuote) -> Position:
    contract = leg.contract
    where = f"leg {number} ({contract.symbol})"
    if quote.contract.symbol != contract.symbol:
        raise LegNotPriced(f"{where}: the broker quoted {quote.contract.symbol} instead")
    mark = quote.mid if quote.mid is not None else quote.last
    price = quote.underlying_price
    if contract.instrument.is_option:
        if quote.greeks is None:
            raise LegNotPriced(f"{where}: the broker gave no Greeks")
        if price is None:
            raise LegNotPriced(f"{where}: the broker gave no underlying price")
    elif price is None:  # a share or future is its own underlying
        if mark is None or mark <= 0:
            raise LegNotPriced(f"{where}: the broker gave no price")
        price = float(mark)
    option = contract.instrument.is_option
    return Position(
        account=order.account,
        symbol=contract.symbol,
        underlying=contract.underlying,
        instrument=contract.instrument,
        quantity=Decimal(leg.signed_quantity),
        multiplier=contract.multiplier,
        right=contract.right if option else None,
        strike=contract.strike if option else None,
        expiry=contract.expiry if option else None,
        mark=mark,
        greeks=quote.greeks if option else None,
        iv=quote.iv,
        underlying_price=price,
        underlying_contract=contract.underlying_contract,
        contract_id=contract.broker_id,
    )


def build_simulation(
    order: Order,
    whatif: WhatIf,
    risk: RiskWhatIf,
    *,
    simulation_id: UUID,
    now: datetime,
    validity: timedelta,
) -> Simulation:
    return Simulation(
        simulation_id=simulation_id,
        order_id=order.order_id,
        order_hash=order_hash(order),
        whatif=whatif,
        risk=risk,
        simulated_at=now,
        expires_at=now + validity,
    )
