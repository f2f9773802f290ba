"""Matching: when a paper order fills, how much of it, and at what prices.

Each order is one combo (a single leg is a combo of one). Its net price per combo is Σ ratio × leg
price, signed from the trader's side (+ debit, − credit), as `deltadesk.shared.orders` defines it.

- The natural price takes every leg at the far side of its market: a buy at the ask, a sell at the bid.
- A market order fills at the natural price.
- A limit order is marketable when limit ≥ natural: a debit limit at or above the natural debit, a
  credit limit asking for no more credit than the natural credit offers (−1.00 ≥ −1.20). It then
  fills at the natural price, which is the limit or better, leg by leg at the quotes of that moment;
  otherwise it rests and is checked again every tick.
- A market-on-close order (shares only) fills at the close: the last price of the first tick at or
  after 16:00 New York on its trading day.
- The fill behaviour (a test hook) decides how many combos: IMMEDIATE (and REJECT, which only refuses
  new orders) all that remain; PARTIAL half the order, rounded down, as its one fill while the
  behaviour lasts (nothing for an order of one combo); HOLD none.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from deltadesk.paper_venue.domain.account import Trade
from deltadesk.paper_venue.domain.commission import CommissionRates, commission
from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.shared.orders import Action, Order, OrderType
from deltadesk.shared.paper import FillBehaviour
from deltadesk.shared.quotes import Quote


def leg_price(action: Action, quote: Quote) -> Decimal | None:
    """The far side of a leg's market: the ask to buy, the bid to sell (None when that side is empty)."""
    return quote.ask if action is Action.BUY else quote.bid


def net_price(order: Order, prices: Sequence[Decimal]) -> Decimal:
    """Σ ratio × price of the legs, in leg order: the combo's price, + debit, − credit."""
    return sum((order.ratio(leg) * price for leg, price in zip(order.legs, prices, strict=True)), Decimal(0))


def is_marketable(order: Order, natural: Decimal) -> bool:
    if order.order_type is OrderType.LIMIT:
        assert order.limit_price is not None  # a limit order always has one (check_order_shape)
        return order.limit_price >= natural
    return True


def combos_to_fill(behaviour: FillBehaviour, total: int, filled: int, fills: int) -> int:
    """How many combos the next fill takes, given the order's size, what is filled and how many fills
    it has had."""
    remaining = total - filled
    if behaviour is FillBehaviour.HOLD or remaining <= 0:
        return 0
    if behaviour is FillBehaviour.PARTIAL:
        return min(total // 2, remaining) if fills == 0 else 0
    return remaining


def trades(
    order: Order,
    contracts: Sequence[Contract],
    prices: Sequence[Decimal],
    combos: int,
    rates: CommissionRates,
) -> tuple[Trade, ...]:
    """The executions of `combos` combos, one per leg, at the given per-unit leg prices."""
    found = []
    for leg, contract, price in zip(order.legs, contracts, prices, strict=True):
        quantity = Decimal(order.ratio(leg) * combos)
        found.append(Trade(contract, quantity, price, commission(contract, quantity, price, rates)))
    return tuple(found)
