"""The JSON the fake gateway answers, in IBKR's documented shapes (field names, string numbers,
`B`/`S` sides, `contractDesc` with the local symbol in brackets), built from the fake's records."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from deltadesk.brokers.ibkr.fake.market import Listed, money
from deltadesk.brokers.ibkr.fake.records import SPREAD_CONID, FakeOrder

Lookup = Callable[[int], Listed]


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def grouped(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def commission_for(listed: Listed, size: Decimal) -> Decimal:
    if listed.sec_type in ("OPT", "FOP"):
        return money(float(size * Decimal("0.65")))
    if listed.sec_type == "FUT":
        return money(float(size * Decimal("2.25")))
    return max(money(float(size * Decimal("0.005"))), Decimal("1.00"))


def full_name(listed: Listed) -> str:
    if listed.expiry is None:
        return listed.symbol
    when = listed.expiry.strftime("%b%d'%y")
    if listed.sec_type == "FUT":
        return f"{listed.symbol} {listed.expiry.strftime('%b%y').upper()}"
    strike = format((listed.strike or Decimal(0)).normalize(), "f")
    kind = "Call" if listed.right == "C" else "Put"
    return f"{listed.trading_class} {when} {strike} {kind}"


def description(listed: Listed) -> str:
    """`contractDesc`: options end with `[localSymbol multiplier]`, as IBKR's do."""
    if listed.expiry is None:
        return listed.symbol
    month = listed.expiry.strftime("%b%Y").upper()
    if listed.sec_type == "FUT":
        return f"{listed.symbol:<7}{month}"
    strike = format((listed.strike or Decimal(0)).normalize(), "f")
    if listed.sec_type == "OPT":
        return (
            f"{listed.symbol:<7}{month} {strike} {listed.right} [{listed.local_symbol} {listed.multiplier}]"
        )
    return f"{listed.symbol:<7}{month} {strike} {listed.right} ({listed.trading_class})"


def option_info(listed: Listed) -> dict[str, Any]:
    assert listed.expiry is not None
    strike = float(listed.strike or 0)
    kind = "Call" if listed.right == "C" else "Put"
    when = listed.expiry.strftime("%b %d '%y").upper()
    if listed.sec_type == "FOP":
        when = listed.expiry.strftime("%b%d'%y")
        desc2 = f"({listed.trading_class}) {when} {strike:g} {kind} Fut.Option({listed.multiplier}) @CME"
    else:
        settle = " (AM)" if listed.trading_class == "SPX" else ""
        desc2 = f"{when} {strike:g} {kind}{settle}"
    return {
        "conid": listed.conid,
        "symbol": listed.symbol,
        "secType": listed.sec_type,
        "exchange": listed.exchange,
        "listingExchange": None,
        "right": listed.right,
        "strike": strike,
        "currency": "USD",
        "cusip": None,
        "coupon": "No Coupon",
        "desc1": listed.symbol,
        "desc2": desc2,
        "maturityDate": listed.expiry.strftime("%Y%m%d"),
        "multiplier": format(listed.multiplier.normalize(), "f"),
        "tradingClass": listed.trading_class,
        "validExchanges": "CME" if listed.sec_type == "FOP" else "SMART,CBOE,AMEX,ISE,PHLX",
    }


def future_info(listed: Listed) -> dict[str, Any]:
    assert listed.expiry is not None
    return {
        "conid": listed.conid,
        "symbol": listed.symbol,
        "secType": "FUT",
        "exchange": listed.exchange,
        "listingExchange": None,
        "right": None,
        "strike": 0.0,
        "currency": "USD",
        "cusip": None,
        "coupon": "No Coupon",
        "desc1": listed.symbol,
        "desc2": listed.expiry.strftime("%b %d '%y").upper(),
        "maturityDate": listed.expiry.strftime("%Y%m%d"),
        "multiplier": format(listed.multiplier.normalize(), "f"),
        "tradingClass": listed.trading_class,
        "validExchanges": listed.exchange,
    }


def order_words(contract: Lookup, ticket: dict[str, Any]) -> str:
    what = ticket.get("conidex") or contract(int(ticket["conid"])).local_symbol
    return f"{ticket['side']} {ticket['quantity']} {what} @ {ticket.get('price', 'MKT')}"


def verb(side: str) -> str:
    return "Bot" if side == "B" else "Sold"


def order_words_short(order: FakeOrder) -> str:
    verb = "Bought" if order.side == "BUY" else "Sold"
    return f"{verb} {plain(order.quantity)} {order_type_name(order.order_type)}"


def order_type_name(code: str) -> str:
    return {"LMT": "Limit", "MKT": "Market", "MOC": "MarketOnClose", "LOC": "LimitOnClose"}.get(code, code)


def live_order(contract: Lookup, order: FakeOrder) -> dict[str, Any]:
    first = contract(order.legs[0][0])
    stamp = order.last_execution or order.placed_at
    row: dict[str, Any] = {
        "acct": order.account,
        "conidex": order.conidex or str(order.legs[0][0]),
        "conid": SPREAD_CONID if order.combo else order.legs[0][0],
        "account": order.account,
        "orderId": order.order_id,
        "cashCcy": "USD",
        "sizeAndFills": f"{plain(order.filled)}/{plain(order.quantity)}",
        "orderDesc": order_words_short(order),
        "description1": first.symbol,
        "ticker": first.symbol,
        "secType": "BAG" if order.combo else first.sec_type,
        "listingExchange": first.exchange,
        "remainingQuantity": float(order.remaining),
        "filledQuantity": float(order.filled),
        "totalSize": float(order.quantity),
        "companyName": first.company,
        "status": order.status,
        "order_ccp_status": "2" if order.status == "Filled" else "1",
        "origOrderType": order.order_type,
        "supportsTaxOpt": "1",
        "lastExecutionTime": stamp.strftime("%y%m%d%H%M%S"),
        "orderType": order_type_name(order.order_type),
        "bgColor": "#FFFFFF",
        "fgColor": "#000000",
        "order_ref": order.c_oid,
        "timeInForce": order.tif,
        "lastExecutionTime_r": int(stamp.timestamp() * 1000),
        "side": order.side,
    }
    if order.price is not None:
        row["price"] = plain(order.price)
    if order.average_price is not None:
        row["avgPrice"] = plain(order.average_price)
    if order.reason and order.status in ("Cancelled", "Inactive"):
        row["order_cancellation_by_system_reason"] = order.reason
    return row


def order_status(contract: Lookup, order: FakeOrder) -> dict[str, Any]:
    first = contract(order.legs[0][0])
    description = {
        "Filled": "Order Filled",
        "Cancelled": "Order Cancelled",
        "Submitted": "Order Submitted",
        "PreSubmitted": "Order Submitted",
        "Inactive": "Order Inactive",
    }.get(order.status, order.status)
    status: dict[str, Any] = {
        "sub_type": None,
        "request_id": "209",
        "server_id": "0",
        "order_id": order.order_id,
        "conidex": order.conidex or str(order.legs[0][0]),
        "conid": SPREAD_CONID if order.combo else order.legs[0][0],
        "symbol": first.symbol,
        "side": "B" if order.side == "BUY" else "S",
        "contract_description_1": first.symbol,
        "listing_exchange": first.exchange,
        "option_acct": "c",
        "company_name": first.company,
        "size": plain(order.remaining),
        "total_size": plain(order.quantity),
        "currency": "USD",
        "account": order.account,
        "order_type": {"LMT": "LIMIT", "MKT": "MARKET"}.get(order.order_type, order.order_type),
        "cum_fill": plain(order.filled),
        "order_status": order.status,
        "order_ccp_status": "2" if order.status == "Filled" else "1",
        "order_status_description": description,
        "tif": order.tif,
        "fg_color": "#FFFFFF",
        "bg_color": "#000000",
        "order_not_editable": order.status in ("Filled", "Cancelled"),
        "editable_fields": "",
        "cannot_cancel_order": order.status in ("Filled", "Cancelled"),
        "deactivate_order": False,
        "sec_type": "BAG" if order.combo else first.sec_type,
        "available_chart_periods": "#R|1",
        "order_description": f"{order_words_short(order)}, {order.tif}",
        "alert_active": 1,
        "child_order_type": "0",
        "order_clearing_account": order.account,
        "size_and_fills": plain(order.filled),
        "allowed_duplicate_opposite": True,
        "order_time": order.placed_at.strftime("%y%m%d%H%M%S"),
    }
    if order.price is not None:
        status["limit_price"] = plain(order.price)
    if order.average_price is not None:
        status["average_price"] = plain(order.average_price)
    return status
