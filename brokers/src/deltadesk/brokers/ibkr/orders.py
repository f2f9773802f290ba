"""Orders at IBKR: the order ticket the gateway takes, its answers, and its statuses and fills in
the desk's terms. Pure: the adapter sends and receives.

- One ticket per desk order. A single leg goes by `conid`; several legs go as one combo by
  `conidex` = `"28812380;;;{conid}/{ratio},…"` (28812380 is IBKR's USD spread conid, ratio signs
  are the legs' sides), side BUY, and the desk's signed limit price as is (IBKR's combo price is
  Σ leg price × ratio, so a credit is negative, as in the desk's convention).
- Futures and their options carry `manualIndicator` and `extOperator` (CME Rule 536-B): the
  order was entered by a person, named by the approval's user.
- `cOID` is the desk's client order id: IBKR returns it as `order_ref` and refuses a second
  order with the same one that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from deltadesk.brokers.ibkr.wire import LiveOrder, OrderAccepted, OrderQuestion, OrderStatusWire, TradeRow
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import (
    Action,
    BrokerOrderStatus,
    Execution,
    LegFill,
    Order,
    OrderState,
    OrderType,
)

USD_SPREAD_CONID = 28812380
DUPLICATE_CLIENT_ORDER_ID = (
    "Local order ID="  # IBKR: "Order couldn't be submitted: Local order ID=… is already registered."
)
_FUTURES = (InstrumentType.FUT, InstrumentType.FOP)


def leg_conid(broker_id: str | None, symbol: str) -> int:
    if broker_id is None or not broker_id.strip().isdigit():
        raise BrokerRejected(f"{symbol} has no IBKR conid: resolve it at IBKR first")
    return int(broker_id)


def order_ticket(order: Order, *, operator: str) -> dict[str, Any]:
    """The JSON of one order for `POST /iserver/account/{accountId}/orders` (and `/whatif`)."""
    ticket: dict[str, Any] = {
        "acctId": order.account,
        "orderType": order.order_type.value,
        "tif": order.tif.value,
        "cOID": order.client_order_id,
        "outsideRTH": False,
    }
    if order.is_combo:
        legs = ",".join(
            f"{leg_conid(leg.contract.broker_id, leg.contract.symbol)}/{order.ratio(leg)}"
            for leg in order.legs
        )
        ticket.update(
            conidex=f"{USD_SPREAD_CONID};;;{legs}", side=Action.BUY.value, quantity=order.combo_quantity
        )
        if order.limit_price is not None:
            ticket["price"] = float(order.limit_price)
    else:
        leg = order.legs[0]
        ticket.update(
            conid=leg_conid(leg.contract.broker_id, leg.contract.symbol),
            side=leg.action.value,
            quantity=leg.quantity,
        )
        if order.limit_price is not None:
            # A single leg's side says which way; IBKR's price is the magnitude.
            ticket["price"] = float(abs(order.limit_price))
    if order.order_type is not OrderType.LIMIT:
        ticket.pop("price", None)
    if any(leg.contract.instrument in _FUTURES for leg in order.legs):
        ticket.update(manualIndicator=True, extOperator=operator)
    return ticket


# ── the answer to a place (or to a reply) ─────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class Accepted:
    order_id: str
    status: str | None


@dataclass(frozen=True, slots=True)
class Questions:
    """IBKR asks before it takes the order: `reply_id` confirms all `messages` at once."""

    reply_id: str
    messages: tuple[str, ...]
    message_ids: tuple[str, ...]

    def texts(self) -> tuple[str, ...]:
        ids = self.message_ids + ("",) * (len(self.messages) - len(self.message_ids))
        return tuple(f"{i}: {m}" if i else m for i, m in zip(ids, self.messages, strict=False))


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str

    @property
    def duplicate(self) -> bool:
        return DUPLICATE_CLIENT_ORDER_ID in self.reason


PlaceAnswer = Accepted | Questions | Refused


def read_place_answer(data: Any) -> PlaceAnswer | None:
    """An order's answer, as a list (IBKR's usual form) or a bare object; None when it is neither."""
    entries = data if isinstance(data, list) else [data]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("error"):
            return Refused(" ".join(str(entry["error"]).split()))
        try:
            if "id" in entry and entry.get("message"):
                question = OrderQuestion.model_validate(entry)
                messages = tuple(" ".join(m.split()) for m in question.message)
                return Questions(question.id, messages, tuple(question.message_ids))
            if entry.get("order_id") is not None:
                accepted = OrderAccepted.model_validate(entry)
                return Accepted(accepted.order_id, accepted.order_status)
        except ValidationError:
            return None
    return None


# ── statuses ──────────────────────────────────────────────────────────────────────────────────────
_WORKING = {"presubmitted", "submitted", "pendingsubmit", "pendingcancel", "warnstate", "apipending", ""}


def order_state(status: str, filled: Decimal) -> OrderState:
    """IBKR's order status in the desk's states. `Inactive` is how IBKR shows a rejected or
    untransmitted order; `PreSubmitted` can be a resting order, so it is working, not transient."""
    key = status.strip().lower().replace("_", "")
    if key == "filled":
        return OrderState.FILLED
    if key == "cancelled":
        return OrderState.CANCELLED
    if key == "inactive":
        return OrderState.REJECTED
    return OrderState.PARTIAL if filled > 0 else OrderState.SUBMITTED


def parse_conidex(conidex: str | None) -> list[tuple[int, int]]:
    """`"28812380;;;756733/1,756734/-1"` → [(756733, 1), (756734, -1)]; a single conid → []."""
    if not conidex or ";;;" not in conidex:
        return []
    legs = []
    for part in conidex.split(";;;", 1)[1].split(","):
        conid, _, ratio = part.strip().partition("/")
        try:
            legs.append((int(conid), int(ratio or "1")))
        except ValueError:
            continue
    return legs


def _side(text: str | None) -> Action | None:
    value = (text or "").strip().upper()
    if value in ("B", "BUY", "BOT"):
        return Action.BUY
    if value in ("S", "SELL", "SLD"):
        return Action.SELL
    return None


def _legs(
    conidex: str | None,
    conid: int | None,
    side: Action | None,
    filled: Decimal,
    total: Decimal,
    average: Decimal | None,
    symbols: Mapping[int, str],
) -> tuple[LegFill, ...]:
    combo = parse_conidex(conidex)
    if combo:
        return tuple(
            LegFill(
                symbol=symbols.get(leg_id, str(leg_id)),
                action=Action.BUY if ratio > 0 else Action.SELL,
                quantity=filled * abs(ratio),
                ordered=total * abs(ratio),
            )
            for leg_id, ratio in combo
        )
    if conid is None or side is None:
        return ()
    return (
        LegFill(
            symbol=symbols.get(conid, str(conid)), action=side, quantity=filled, ordered=total, price=average
        ),
    )


def _signed_average(average: Decimal | None, side: Action | None, combo: bool) -> Decimal | None:
    """Per combo, + debit and − credit: a combo's price is already signed; a single sell is a credit."""
    if average is None or combo:
        return average
    return -abs(average) if side is Action.SELL else abs(average)


def status_from_order_status(
    wire: OrderStatusWire, *, symbols: Mapping[int, str], now: datetime
) -> BrokerOrderStatus:
    filled = wire.cum_fill or Decimal(0)
    total = wire.total_size if wire.total_size is not None else filled + (wire.size or Decimal(0))
    side = _side(wire.side)
    state = order_state(wire.order_status, filled)
    combo = bool(parse_conidex(wire.conidex))
    return BrokerOrderStatus(
        broker_order_id=str(wire.order_id),
        client_order_id=wire.order_ref,
        state=state,
        filled_quantity=filled,
        remaining_quantity=max(total - filled, Decimal(0)) if not state.is_final else Decimal(0),
        average_price=_signed_average(wire.average_price, side, combo),
        reason=wire.order_status_description
        if state in (OrderState.REJECTED, OrderState.CANCELLED)
        else None,
        legs=_legs(wire.conidex, wire.conid, side, filled, total, wire.average_price, symbols),
        updated_at=now,
    )


def status_from_live_order(
    order: LiveOrder, *, symbols: Mapping[int, str], now: datetime
) -> BrokerOrderStatus:
    filled = order.filled_quantity or Decimal(0)
    remaining = order.remaining_quantity or Decimal(0)
    total = order.total_size if order.total_size is not None else filled + remaining
    side = _side(order.side)
    state = order_state(order.status, filled)
    combo = bool(parse_conidex(order.conidex))
    return BrokerOrderStatus(
        broker_order_id=str(order.order_id),
        client_order_id=order.order_ref,
        state=state,
        filled_quantity=filled,
        remaining_quantity=Decimal(0) if state.is_final else remaining,
        average_price=_signed_average(order.avg_price, side, combo),
        reason=order.cancellation_reason if state in (OrderState.REJECTED, OrderState.CANCELLED) else None,
        legs=_legs(order.conidex, order.conid, side, filled, total, order.avg_price, symbols),
        updated_at=now,
    )


# ── executions ────────────────────────────────────────────────────────────────────────────────────
def execution_time(row: TradeRow) -> datetime | None:
    if row.trade_time_r:
        return datetime.fromtimestamp(row.trade_time_r / 1000, tz=UTC)
    if row.trade_time:
        try:
            return datetime.strptime(row.trade_time, "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def build_execution(row: TradeRow, *, symbol: str, broker_order_id: str) -> Execution | None:
    """One fill; None for rows that are not a buy or a sell at a price (IBKR's `X` expirations)."""
    action = _side(row.side)
    executed_at = execution_time(row)
    if action is None or executed_at is None or row.size is None or row.price is None:
        return None
    return Execution(
        execution_id=row.execution_id,
        broker_order_id=broker_order_id,
        client_order_id=row.order_ref,
        symbol=symbol,
        action=action,
        quantity=abs(row.size),
        price=row.price,
        commission=row.commission,
        executed_at=executed_at,
    )
