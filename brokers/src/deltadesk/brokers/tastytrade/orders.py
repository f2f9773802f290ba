"""The desk's orders in Tastytrade's terms, and Tastytrade's order answers in the desk's. Pure.

Prices: the desk signs an order's price from the trader's side (+ debit, − credit); the SDK the other
way round (negative = debit), and it writes `price` unsigned plus `price-effect` on the wire. A
combo is priced per unit of the spread, the same on both sides.

Actions: Tastytrade wants the position effect on every leg ("Sell to Open", "Buy to Close"); it
refuses to sell to open against a long (or buy to open against a short). The effect is read from
the account's current holdings; a leg that would cross through zero is refused here, before
anything is sent, as one order cannot both close and open a position. Outright futures take plain
Buy and Sell, and Tastytrade infers the effect.

The orders sent leave out the SDK's paper-API-only fields (`behavior`, `schedule`, `delay`), so the
body is exactly the documented order JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import reduce

from tastytrade.order import (
    FillBehavior,
    LimitOrder,
    MarketOrder,
    OrderAction,
    OrderStatus,
    OrderTimeInForce,
    PlacedOrder,
    PlacedOrderResponse,
    UnplacedOrder,
)
from tastytrade.order import (
    InstrumentType as TastytradeInstrumentType,
)
from tastytrade.order import (
    Leg as TastytradeLeg,
)

from deltadesk.brokers.tastytrade.symbols import (
    TASTYTRADE_TYPE,
    desk_symbol,
    parse_desk_future_option,
)
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import (
    Action,
    BrokerOrderStatus,
    Contract,
    Execution,
    LegFill,
    Order,
    OrderState,
    OrderType,
    TimeInForce,
    WhatIf,
)

WORKING = frozenset(
    {
        OrderStatus.RECEIVED,
        OrderStatus.ROUTED,
        OrderStatus.IN_FLIGHT,
        OrderStatus.LIVE,
        OrderStatus.CONTINGENT,
        OrderStatus.CANCEL_REQUESTED,
        OrderStatus.REPLACE_REQUESTED,
    }
)
ENDED_UNFILLED = frozenset(
    {OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REMOVED, OrderStatus.PARTIALLY_REMOVED}
)
TIME_IN_FORCE = {TimeInForce.DAY: OrderTimeInForce.DAY, TimeInForce.GTC: OrderTimeInForce.GTC}


class DeskLimitOrder(LimitOrder):
    behavior: FillBehavior | None = None  # type: ignore[assignment]  # paper-API only: not sent


class DeskMarketOrder(MarketOrder):
    behavior: FillBehavior | None = None  # type: ignore[assignment]  # paper-API only: not sent


def tastytrade_symbol(contract: Contract) -> str:
    """The symbol Tastytrade trades a contract under (its `broker_id` when the adapter resolved it)."""
    if contract.broker_id:
        return contract.broker_id
    if contract.instrument is InstrumentType.FOP:
        parse_desk_future_option(contract.symbol)  # the desk's form, which Tastytrade cannot take
        raise BrokerRejected(
            f"{contract.symbol}: an option on a future needs its Tastytrade symbol; resolve the leg first"
        )
    return contract.symbol


def leg_action(
    action: Action, instrument: InstrumentType, quantity: int, held: Decimal, symbol: str
) -> OrderAction:
    """The Tastytrade action of one leg, given the signed quantity held of its symbol."""
    if instrument is InstrumentType.FUT:
        return OrderAction.BUY if action is Action.BUY else OrderAction.SELL
    if action is Action.BUY:
        if held >= 0:
            return OrderAction.BUY_TO_OPEN
        if quantity <= -held:
            return OrderAction.BUY_TO_CLOSE
    else:
        if held <= 0:
            return OrderAction.SELL_TO_OPEN
        if quantity <= held:
            return OrderAction.SELL_TO_CLOSE
    raise BrokerRejected(
        f"{symbol}: {action.value.lower()}ing {quantity} against a position of {held} would close it and "
        "open the other side in one order; send the closing and the opening orders separately"
    )


def tastytrade_order(order: Order, held: Mapping[str, Decimal]) -> LimitOrder | MarketOrder:
    """The SDK order for a desk order; `held` maps Tastytrade symbols to signed quantities held."""
    legs = []
    for leg in order.legs:
        symbol = tastytrade_symbol(leg.contract)
        action = leg_action(
            leg.action, leg.contract.instrument, leg.quantity, held.get(symbol, Decimal(0)), symbol
        )
        legs.append(
            TastytradeLeg(
                instrument_type=TastytradeInstrumentType(TASTYTRADE_TYPE[leg.contract.instrument]),
                symbol=symbol,
                action=action,
                quantity=leg.quantity,
            )
        )
    tif = TIME_IN_FORCE[order.tif]
    if order.order_type is OrderType.LIMIT:
        if order.limit_price is None:
            raise BrokerRejected("a limit order needs a limit price")
        return DeskLimitOrder(
            legs=legs,
            price=-order.limit_price,  # the SDK's sign: negative is a debit
            time_in_force=tif,
            external_identifier=order.client_order_id,
        )
    if order.order_type is OrderType.MARKET:
        return DeskMarketOrder(legs=legs, time_in_force=tif, external_identifier=order.client_order_id)
    raise BrokerRejected(f"Tastytrade takes no {order.order_type.value} orders; use a limit or market order")


def whatif_of(response: PlacedOrderResponse[UnplacedOrder]) -> WhatIf:
    """A dry run's buying-power effect and fees. The SDK signs each amount by its `*-effect`
    (a Debit is negative); a margin requirement that rises is a Debit, the desk's positive change."""
    effect = response.buying_power_effect
    fees = response.fee_calculation
    messages = [*(response.warnings or ()), *(response.errors or ())]
    return WhatIf(
        initial_margin_change=-effect.change_in_margin_requirement,
        buying_power_change=effect.change_in_buying_power,
        commission=-fees.total_fees if fees is not None else None,
        warnings=tuple(str(m) for m in messages),
    )


def order_status(order: PlacedOrder) -> BrokerOrderStatus:
    combos = (
        Decimal(order.size) if order.size else Decimal(_gcd(int(leg.quantity or 0) for leg in order.legs))
    )
    fills = [_leg_fill(leg) for leg in order.legs]
    filled = min(
        (fill.quantity * combos / fill.ordered for fill in fills if fill.ordered > 0), default=Decimal(0)
    )
    average = None
    if filled > 0 and all(f.price is not None for f in fills):
        total = sum(
            ((1 if f.action is Action.BUY else -1) * (f.price or Decimal(0)) * f.quantity for f in fills),
            Decimal(0),
        )
        average = total / filled
    reason = None
    if order.status == OrderStatus.FILLED:
        state = OrderState.FILLED
    elif order.status == OrderStatus.REJECTED:
        state, reason = OrderState.REJECTED, order.reject_reason or "rejected by Tastytrade"
    elif order.status in ENDED_UNFILLED:
        state, reason = OrderState.CANCELLED, order.status.value
    else:
        state = OrderState.PARTIAL if filled > 0 else OrderState.SUBMITTED
    return BrokerOrderStatus(
        broker_order_id=str(order.id),
        client_order_id=order.external_identifier,
        state=state,
        filled_quantity=filled,
        remaining_quantity=max(combos - filled, Decimal(0)) if state is not OrderState.FILLED else Decimal(0),
        average_price=average,
        reason=reason,
        legs=tuple(fills),
        updated_at=_utc(order.updated_at),
    )


def executions_of(orders: Iterable[PlacedOrder], since: datetime) -> list[Execution]:
    """Every fill of every leg at or after `since`, oldest first, each once."""
    found: dict[str, Execution] = {}
    for order in orders:
        for leg in order.legs:
            for fill in leg.fills or ():
                at = _utc(fill.filled_at)
                if at < since or fill.fill_id in found:
                    continue
                found[fill.fill_id] = Execution(
                    execution_id=fill.fill_id,
                    broker_order_id=str(order.id),
                    client_order_id=order.external_identifier,
                    symbol=desk_symbol(leg.instrument_type.value, leg.symbol),
                    action=_desk_action(leg.action),
                    quantity=fill.quantity,
                    price=fill.fill_price,
                    executed_at=at,
                )
    return sorted(found.values(), key=lambda e: (e.executed_at, e.execution_id))


def _leg_fill(leg: TastytradeLeg) -> LegFill:
    ordered = Decimal(leg.quantity or 0)
    fills = leg.fills or []
    if fills:
        quantity = sum((f.quantity for f in fills), Decimal(0))
        price: Decimal | None = sum((f.fill_price * f.quantity for f in fills), Decimal(0)) / quantity
    else:
        remaining = leg.remaining_quantity if leg.remaining_quantity is not None else ordered
        quantity, price = ordered - remaining, None
    return LegFill(
        symbol=desk_symbol(leg.instrument_type.value, leg.symbol),
        action=_desk_action(leg.action),
        quantity=quantity,
        ordered=ordered,
        price=price if quantity > 0 else None,
    )


def _desk_action(action: OrderAction) -> Action:
    return Action.SELL if action.multiplier < 0 else Action.BUY


def _gcd(quantities: Iterable[int]) -> int:
    return reduce(math.gcd, quantities, 0) or 1


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
