"""Orders for the IBKR tests: contracts as the adapter resolves them, orders as execution holds them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import Action, Contract, Order, OrderLeg, OrderType, TimeInForce

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def contract(
    conid: int, symbol: str, instrument: InstrumentType = InstrumentType.OPT, multiplier: int = 100
) -> Contract:
    return Contract(
        symbol=symbol,
        underlying=symbol.split()[0],
        instrument=instrument,
        multiplier=Decimal(multiplier),
        broker_id=str(conid),
    )


def order(
    *legs: tuple[Action, int, Contract],
    account: str = "DU1234567",
    order_type: OrderType = OrderType.LIMIT,
    limit_price: Decimal | None = Decimal("1.25"),
    order_id: UUID | None = None,
) -> Order:
    return Order(
        order_id=order_id or uuid4(),
        account=account,
        broker="ibkr",
        legs=tuple(OrderLeg(action=a, quantity=q, contract=c) for a, q, c in legs),
        order_type=order_type,
        limit_price=limit_price if order_type is OrderType.LIMIT else None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )
