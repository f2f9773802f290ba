"""The fake's account: positions, balances and orders, as Tastytrade keeps and shows them.

Orders move through Tastytrade's statuses: a submitted order is Routed, becomes Live when next
read, and is Filled (or partly) when the test says (`fill`), or at once with `auto_fill`. A cancel
is Cancel Requested, then Cancelled. Preflight checks refuse an order with HTTP 422 and the API's
error shape: an unknown symbol, more than four legs, opening against an opposite position, buying
for a credit (or selling for a debit), or a margin requirement above the buying power. A fill
changes the positions and the cash.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from deltadesk.brokers.tastytrade.fakes.market import FakeMarket

OPENING = {"Buy to Open", "Sell to Open"}
SELLS = {"Sell to Open", "Sell to Close", "Sell"}
WORKING = {"Received", "Routed", "In Flight", "Live", "Contingent", "Cancel Requested", "Replace Requested"}
# A naked short option: 15 % of the underlying less what it is out of the money, at least 10 % (CBOE).
MARGIN_RATE, MARGIN_FLOOR = Decimal("0.15"), Decimal("0.10")


class Preflight(Exception):
    """A refused order: HTTP 422 with `preflight_check_failure` and the failed checks."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{c}: {m}" for c, m in errors))
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": "preflight_check_failure",
                "message": "One or more preflight checks failed",
                "errors": [{"code": code, "message": message} for code, message in self.errors],
            }
        }


class NotUpdatable(Exception):
    """A cancel of an order in a terminal status: HTTP 422 `cannot_update_order`."""


@dataclass
class FakePosition:
    symbol: str
    instrument_type: str
    underlying_symbol: str
    quantity: Decimal  # signed
    average_open_price: Decimal
    multiplier: Decimal  # as Tastytrade reports it
    opened_at: datetime


@dataclass
class FakeOrder:
    id: int
    body: dict[str, Any]
    status: str
    received_at: datetime
    updated_at: datetime
    fills: list[list[dict[str, Any]]] = field(default_factory=list)  # per leg
    reject_reason: str | None = None

    @property
    def legs(self) -> list[dict[str, Any]]:
        legs: list[dict[str, Any]] = self.body["legs"]
        return legs

    def filled(self, index: int) -> Decimal:
        return sum((Decimal(str(f["quantity"])) for f in self.fills[index]), Decimal(0))


@dataclass
class FakeAccount:
    market: FakeMarket
    number: str = "5WT00001"
    cash: Decimal = Decimal("1000000.00")
    positions: dict[str, FakePosition] = field(default_factory=dict)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    auto_fill: bool = False
    future_option_position_multiplier: Decimal = Decimal("1.0")  # what the API reports; see the adapter
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(880001))
    _fill_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ── positions ──────────────────────────────────────────────────────────────────────────────
    def hold(
        self, symbol: str, quantity: Decimal | int, average_open_price: Decimal | str, now: datetime
    ) -> None:
        """Put a position in the account (a test's or the demo's starting book)."""
        quantity = Decimal(quantity)
        kind, underlying, multiplier = self._describe(symbol)
        self.positions[symbol] = FakePosition(
            symbol, kind, underlying, quantity, Decimal(str(average_open_price)), multiplier, now
        )

    def _describe(self, symbol: str) -> tuple[str, str, Decimal]:
        market = self.market
        if symbol in market.equities:
            return "Equity", symbol, Decimal(1)
        if symbol in market.futures:
            return "Future", f"/{market.futures[symbol].product}", market.futures[symbol].multiplier
        terms = market.option(symbol)
        if terms is None:
            raise KeyError(f"the fake market lists no {symbol!r}")
        if terms.on_future:
            product = market.series_of(terms).future.product
            return "Future Option", f"/{product}", self.future_option_position_multiplier
        return "Equity Option", terms.underlying, Decimal(100)

    def position_json(self, position: FakePosition) -> dict[str, Any]:
        close = self.market.mid(position.symbol)
        item: dict[str, Any] = {
            "account-number": self.number,
            "symbol": position.symbol,
            "instrument-type": position.instrument_type,
            "underlying-symbol": position.underlying_symbol,
            "quantity": str(abs(position.quantity)),
            "quantity-direction": "Long"
            if position.quantity > 0
            else "Short"
            if position.quantity < 0
            else "Zero",
            "close-price": str(close),
            "average-open-price": str(position.average_open_price),
            "average-yearly-market-close-price": str(close),
            "average-daily-market-close-price": str(close),
            "multiplier": str(position.multiplier),
            "cost-effect": "Credit" if position.quantity < 0 else "Debit",
            "is-suppressed": False,
            "is-frozen": False,
            "restricted-quantity": "0.0",
            "realized-day-gain": "0.0",
            "realized-day-gain-effect": "None",
            "realized-day-gain-date": self.market.today.isoformat(),
            "realized-today": "0.0",
            "realized-today-effect": "None",
            "realized-today-date": self.market.today.isoformat(),
            "created-at": _iso(position.opened_at),
            "updated-at": _iso(position.opened_at),
        }
        terms = self.market.option(position.symbol)
        if terms is not None:
            item["expires-at"] = f"{terms.expiry.isoformat()}T20:15:00.000+00:00"
        return item

    # ── balances ───────────────────────────────────────────────────────────────────────────────
    def requirement(self) -> Decimal:
        return sum(
            (self._naked_requirement(p.symbol, p.quantity) for p in self.positions.values()), Decimal(0)
        )

    def net_liquidation(self) -> Decimal:
        value = self.cash
        for position in self.positions.values():
            value += (
                position.quantity
                * self.market.mid(position.symbol)
                * self._dollar_multiplier(position.symbol)
            )
        return value

    def buying_power(self) -> Decimal:
        return max(self.net_liquidation() - self.requirement(), Decimal(0))

    def balances_json(self, now: datetime) -> dict[str, Any]:
        net_liq, requirement, power = self.net_liquidation(), self.requirement(), self.buying_power()
        zero = "0.0"
        return {
            "account-number": self.number,
            "cash-balance": str(self.cash),
            "long-equity-value": zero,
            "short-equity-value": zero,
            "long-derivative-value": zero,
            "short-derivative-value": zero,
            "long-futures-value": zero,
            "short-futures-value": zero,
            "long-futures-derivative-value": zero,
            "short-futures-derivative-value": zero,
            "long-margineable-value": zero,
            "short-margineable-value": zero,
            "margin-equity": str(net_liq),
            "equity-buying-power": str(power * 2),
            "derivative-buying-power": str(power),
            "day-trading-buying-power": zero,
            "futures-margin-requirement": zero,
            "available-trading-funds": zero,
            "maintenance-requirement": str(requirement),
            "maintenance-call-value": zero,
            "reg-t-call-value": zero,
            "day-trading-call-value": zero,
            "day-equity-call-value": zero,
            "net-liquidating-value": str(net_liq),
            "cash-available-to-withdraw": str(max(self.cash - requirement, Decimal(0))),
            "day-trade-excess": str(power),
            "pending-cash": zero,
            "pending-cash-effect": "None",
            "long-cryptocurrency-value": zero,
            "short-cryptocurrency-value": zero,
            "cryptocurrency-margin-requirement": zero,
            "unsettled-cryptocurrency-fiat-amount": zero,
            "unsettled-cryptocurrency-fiat-effect": "None",
            "closed-loop-available-balance": str(self.cash),
            "equity-offering-margin-requirement": zero,
            "long-bond-value": zero,
            "bond-margin-requirement": zero,
            "used-derivative-buying-power": str(requirement),
            "snapshot-date": self.market.today.isoformat(),
            "reg-t-margin-requirement": str(requirement),
            "futures-overnight-margin-requirement": zero,
            "futures-intraday-margin-requirement": zero,
            "maintenance-excess": str(power),
            "pending-margin-interest": zero,
            "buying-power-adjustment": zero,
            "buying-power-adjustment-effect": "None",
            "effective-cryptocurrency-buying-power": str(power),
            "currency": "USD",
            "updated-at": _iso(now),
        }

    # ── orders ─────────────────────────────────────────────────────────────────────────────────
    def preflight(self, body: dict[str, Any]) -> Decimal:
        """The margin change of an order, or Preflight with every check it fails."""
        errors: list[tuple[str, str]] = []
        legs = body.get("legs") or []
        if not 1 <= len(legs) <= 4:
            errors.append(("invalid_legs", f"An order has 1 to 4 legs, not {len(legs)}."))
        for leg in legs:
            symbol, action = leg.get("symbol", ""), leg.get("action", "")
            if not self.market.knows(symbol):
                errors.append(("invalid_symbol", f"{symbol} is not a valid symbol."))
                continue
            held = self.positions[symbol].quantity if symbol in self.positions else Decimal(0)
            if action == "Sell to Open" and held > 0:
                errors.append(("open_against_position", "You cannot sell to open against a long position."))
            if action == "Buy to Open" and held < 0:
                errors.append(("open_against_position", "You cannot buy to open against a short position."))
        effect = body.get("price-effect")
        actions = {leg.get("action", "") for leg in legs}
        if effect == "Credit" and actions and not actions & SELLS:
            errors.append(("cant_buy_for_credit", "You cannot buy for a credit."))
        if effect == "Debit" and actions and actions <= SELLS:
            errors.append(("cant_sell_for_debit", "You cannot sell for a debit."))
        if body.get("order-type") == "Market" and len(legs) > 1:
            errors.append(("invalid_order_type", "Market orders must have exactly one leg."))
        if errors:
            raise Preflight(errors)
        change = self._margin_change(legs)
        if change > self.buying_power():
            raise Preflight(
                [
                    (
                        "margin_check_failed",
                        f"This order exceeds your buying power of ${self.buying_power():.2f} "
                        f"(requires ${change:.2f}).",
                    )
                ]
            )
        return change

    def _margin_change(self, legs: list[dict[str, Any]]) -> Decimal:
        before = self.requirement()
        after_positions = {s: p.quantity for s, p in self.positions.items()}
        for leg in legs:
            signed = Decimal(str(leg["quantity"])) * (-1 if leg["action"] in SELLS else 1)
            after_positions[leg["symbol"]] = after_positions.get(leg["symbol"], Decimal(0)) + signed
        naked = sum((self._naked_requirement(s, q) for s, q in after_positions.items()), Decimal(0))
        return self._spread_relief(legs, naked) - before

    def _spread_relief(self, legs: list[dict[str, Any]], naked: Decimal) -> Decimal:
        """A defined-risk spread needs its width, not the naked requirement of its short leg."""
        shorts = [leg for leg in legs if leg["action"] == "Sell to Open"]
        longs = [leg for leg in legs if leg["action"] == "Buy to Open"]
        relief = Decimal(0)
        for short in shorts:
            s_terms = self.market.option(short["symbol"])
            for long in longs:
                l_terms = self.market.option(long["symbol"])
                if s_terms and l_terms and (s_terms.right, s_terms.expiry) == (l_terms.right, l_terms.expiry):
                    quantity = Decimal(str(short["quantity"]))
                    width = (
                        abs(s_terms.strike - l_terms.strike)
                        * self._dollar_multiplier(short["symbol"])
                        * quantity
                    )
                    relief += max(self._naked_requirement(short["symbol"], -quantity) - width, Decimal(0))
                    break
        return naked - relief

    def _naked_requirement(self, symbol: str, quantity: Decimal) -> Decimal:
        terms = self.market.option(symbol)
        if terms is None or quantity >= 0:
            return Decimal(0)
        spot = self.market.price(terms.underlying)
        out_of_the_money = max(
            spot - terms.strike if terms.right.value == "P" else terms.strike - spot, Decimal(0)
        )
        per_unit = max(MARGIN_RATE * spot - out_of_the_money, MARGIN_FLOOR * spot)
        return -quantity * per_unit * self._dollar_multiplier(symbol)

    def _dollar_multiplier(self, symbol: str) -> Decimal:
        terms = self.market.option(symbol)
        if terms is not None and terms.on_future:
            return self.market.series_of(terms).future.multiplier
        if terms is not None:
            return Decimal(100)
        if symbol in self.market.futures:
            return self.market.futures[symbol].multiplier
        return Decimal(1)

    def fees(self, legs: list[dict[str, Any]]) -> Decimal:
        contracts = sum(
            (Decimal(str(leg["quantity"])) for leg in legs if self.market.option(leg["symbol"])), Decimal(0)
        )
        opening = sum(
            (
                Decimal(str(leg["quantity"]))
                for leg in legs
                if self.market.option(leg["symbol"]) and leg["action"] in OPENING
            ),
            Decimal(0),
        )
        return min(opening, Decimal(10)) + contracts * Decimal("0.10") + contracts * Decimal("0.02")

    def place(self, body: dict[str, Any], now: datetime) -> FakeOrder:
        order = FakeOrder(next(self._ids), body, "Routed", now, now, fills=[[] for _ in body["legs"]])
        self.orders[order.id] = order
        return order

    def read(self, order_id: int, now: datetime) -> FakeOrder:
        """An order as the API shows it now: each read moves it one step along its lifecycle."""
        order = self.orders[order_id]
        if order.status == "Routed":
            order.status, order.updated_at = "Live", now
        elif order.status == "Live" and self.auto_fill:
            self.fill(order_id, now)
        elif order.status == "Cancel Requested":
            order.status, order.updated_at = "Cancelled", now
        return order

    def cancel(self, order_id: int, now: datetime) -> FakeOrder:
        order = self.orders[order_id]
        if order.status not in WORKING:
            raise NotUpdatable(order.status)
        order.status, order.updated_at = "Cancel Requested", now
        return order

    def fill(self, order_id: int, now: datetime, combos: Decimal | int | None = None) -> FakeOrder:
        """Fill `combos` more units of the order (all that remain when None), each leg at its mid."""
        order = self.orders[order_id]
        if order.status not in WORKING:
            raise NotUpdatable(order.status)
        size = _size(order)
        done = min(order.filled(i) * size / Decimal(str(leg["quantity"])) for i, leg in enumerate(order.legs))
        units = Decimal(combos) if combos is not None else size - done
        units = min(units, size - done)
        for index, leg in enumerate(order.legs):
            ratio = Decimal(str(leg["quantity"])) / size
            quantity = units * ratio
            if quantity <= 0:
                continue
            price = self.market.mid(leg["symbol"])
            order.fills[index].append(
                {
                    "fill-id": f"FF{next(self._fill_ids):07d}",
                    "quantity": str(quantity),
                    "fill-price": str(price),
                    "filled-at": _iso(now),
                    "destination-venue": "FAKE_EXCHANGE",
                    "ext-exec-id": f"X{order.id}{index}",
                }
            )
            self._apply_fill(leg, quantity, price, now)
        order.updated_at = now
        if all(order.filled(i) >= Decimal(str(leg["quantity"])) for i, leg in enumerate(order.legs)):
            order.status = "Filled"
        else:
            order.status = "Live"
        return order

    def reject(self, order_id: int, reason: str, now: datetime) -> FakeOrder:
        order = self.orders[order_id]
        order.status, order.reject_reason, order.updated_at = "Rejected", reason, now
        return order

    def _apply_fill(self, leg: dict[str, Any], quantity: Decimal, price: Decimal, now: datetime) -> None:
        symbol = leg["symbol"]
        signed = quantity * (-1 if leg["action"] in SELLS else 1)
        self.cash -= (
            signed * price * self._dollar_multiplier(symbol) if not symbol.startswith("/") else Decimal(0)
        )
        current = self.positions.get(symbol)
        if current is None:
            self.hold(symbol, signed, price, now)
            return
        total = current.quantity + signed
        if total == 0:
            del self.positions[symbol]
        else:
            if (total > 0) == (current.quantity > 0) and abs(total) > abs(current.quantity):
                current.average_open_price = (
                    current.average_open_price * abs(current.quantity) + price * quantity
                ) / abs(total)
            current.quantity = total

    def order_json(self, order: FakeOrder) -> dict[str, Any]:
        body = order.body
        item: dict[str, Any] = {
            "id": order.id,
            "account-number": self.number,
            "time-in-force": body.get("time-in-force", "Day"),
            "order-type": body["order-type"],
            "size": int(_size(order)),
            "underlying-symbol": self._underlying(body["legs"][0]["symbol"]),
            "underlying-instrument-type": "Future"
            if body["legs"][0]["symbol"].startswith(("/", "./"))
            else "Equity",
            "status": order.status,
            "cancellable": order.status in WORKING,
            "editable": order.status in WORKING,
            "edited": False,
            "received-at": _iso(order.received_at),
            "updated-at": int(order.updated_at.timestamp() * 1000),  # epoch milliseconds, as the API sends
            "legs": [
                {
                    "instrument-type": leg["instrument-type"],
                    "symbol": leg["symbol"],
                    "quantity": leg["quantity"],
                    "remaining-quantity": str(Decimal(str(leg["quantity"])) - order.filled(i)),
                    "action": leg["action"],
                    "fills": order.fills[i],
                }
                for i, leg in enumerate(body["legs"])
            ],
        }
        for key in ("price", "price-effect", "external-identifier", "source"):
            if key in body:
                item[key] = body[key]
        if order.status == "Live":
            item["live-at"] = _iso(order.updated_at)
        if order.status in ("Filled", "Cancelled", "Rejected", "Expired"):
            item["terminal-at"] = _iso(order.updated_at)
        if order.reject_reason:
            item["reject-reason"] = order.reject_reason
        return item

    def unplaced_json(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        probe = FakeOrder(0, body, "Received", now, now, fills=[[] for _ in body["legs"]])
        item = self.order_json(probe)
        del item["id"]
        return item

    def _underlying(self, symbol: str) -> str:
        if symbol in self.market.equities:
            return symbol
        if symbol in self.market.futures:
            return f"/{self.market.futures[symbol].product}"
        terms = self.market.option(symbol)
        if terms is not None and terms.on_future:
            return f"/{self.market.series_of(terms).future.product}"
        return terms.underlying if terms else symbol

    def account_json(self) -> dict[str, Any]:
        return {
            "account-number": self.number,
            "external-id": "A0000000001",
            "opened-at": "2024-01-02T15:00:00.000+00:00",
            "nickname": "Individual",
            "account-type-name": "Individual",
            "day-trader-status": False,
            "is-closed": False,
            "is-firm-error": False,
            "is-firm-proprietary": False,
            "is-futures-approved": True,
            "is-test-drive": False,
            "margin-or-cash": "Margin",
            "is-foreign": False,
            "funding-date": "2024-01-03",
            "investment-objective": "SPECULATION",
            "futures-account-purpose": "SPECULATING",
            "suitable-options-level": "No Restrictions",
            "created-at": "2024-01-02T15:00:00.000+00:00",
        }


def _size(order: FakeOrder) -> Decimal:
    return Decimal(math.gcd(*(int(Decimal(str(leg["quantity"]))) for leg in order.legs)) or 1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
