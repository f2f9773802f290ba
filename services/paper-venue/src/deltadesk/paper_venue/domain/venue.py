"""The paper venue's whole state (one simulated market, the paper accounts it marks and the orders
they sent) and everything that changes it: the market's step with settlement at expiry, placing,
cancelling, and working the orders every tick.

Working an order, in this order: a leg that expired cancels it; a market-on-close order fills at the
first tick at or after its close and does not outlive it; a DAY order still working at its session's
16:00 New York close is cancelled; otherwise, once its fill latency has passed, it fills as far as the
matching rules and the fill behaviour allow (`matching`). A fill books every leg's execution into the
account at once (`account.apply_trade`), so an execution changes the account exactly once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce

from deltadesk.paper_venue.domain.account import Account, Settlement, Trade, apply_trade, settle_expired
from deltadesk.paper_venue.domain.admission import DuplicateOrder, rejection
from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.paper_venue.domain.expiries import session_close
from deltadesk.paper_venue.domain.listing import NotListed
from deltadesk.paper_venue.domain.market import MarketState, step
from deltadesk.paper_venue.domain.matching import (
    combos_to_fill,
    is_marketable,
    leg_price,
    net_price,
    trades,
)
from deltadesk.paper_venue.domain.paper_order import PaperOrder, cancel, record_fill
from deltadesk.paper_venue.domain.quoting import quote_contract
from deltadesk.paper_venue.domain.resolution import known_contract
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.paper_venue.domain.valuation import has_expired
from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import Execution, Order, OrderState, OrderType, TimeInForce
from deltadesk.shared.paper import FillBehaviour

REJECTED_BY_BEHAVIOUR = "rejected by the paper venue's fill behaviour REJECT (a test hook)"
CANCELLED_BY_TRADER = "cancelled by the trader"
DAY_ENDED = "a DAY order still working at the 16:00 New York close expires"
CLOSE_PASSED = "the close passed: the rest of a market-on-close order expires with its day"


class UnknownAccount(DomainError):
    code = "unknown_account"


class OrderNotFound(DomainError):
    code = "order_not_found"


class OrderNotWorking(DomainError):
    code = "order_not_working"


class OrderRejected(DomainError):
    """The answer to placing an order the venue recorded as REJECTED: the reason is the venue's."""

    code = "order_rejected"


@dataclass(frozen=True, slots=True)
class Venue:
    market: MarketState
    accounts: tuple[Account, ...]
    orders: tuple[PaperOrder, ...] = ()


def find_account(venue: Venue, account_id: str) -> Account:
    for account in venue.accounts:
        if account.account_id == account_id:
            return account
    held = ", ".join(a.account_id for a in venue.accounts) or "none"
    raise UnknownAccount(f"the paper venue has no account {account_id!r} (it holds: {held})")


def advance(venue: Venue, dt_seconds: float, rng: random.Random) -> tuple[Venue, tuple[Settlement, ...]]:
    """Step the market, then settle whatever expired in every account."""
    market = step(venue.market, dt_seconds, rng)
    accounts = []
    settlements: list[Settlement] = []
    for account in venue.accounts:
        settled_account, settled = settle_expired(account, market)
        accounts.append(settled_account)
        settlements.extend(settled)
    return replace(venue, market=market, accounts=tuple(accounts)), tuple(settlements)


# ── orders ──────────────────────────────────────────────────────────────────────────────────────
def held_symbols(venue: Venue) -> frozenset[str]:
    """Every contract some account holds: its open interest keeps it tradable off the strike grid."""
    return frozenset(h.contract.symbol for a in venue.accounts for h in a.holdings)


def order_by_id(venue: Venue, account: str, broker_order_id: str) -> PaperOrder:
    for order in venue.orders:
        if order.broker_order_id == broker_order_id and order.account == account:
            return order
    raise OrderNotFound(f"the paper venue has no order {broker_order_id!r} for account {account!r}")


def order_by_client_id(venue: Venue, account: str, client_order_id: str) -> PaperOrder | None:
    """The order sent with this client order id, or None when the venue never saw it."""
    return next(
        (o for o in venue.orders if o.client_order_id == client_order_id and o.account == account), None
    )


def executions_since(venue: Venue, account: str, since: datetime) -> tuple[Execution, ...]:
    found = [e for o in venue.orders if o.account == account for e in o.executions if e.executed_at >= since]
    return tuple(sorted(found, key=lambda e: (e.executed_at, e.execution_id)))


def place(
    venue: Venue,
    order: Order,
    *,
    broker_order_id: str,
    now: datetime,
    rules: VenueRules,
    behaviour: FillBehaviour,
) -> tuple[Venue, PaperOrder]:
    """Take an order whose approval the shell verified: recorded SUBMITTED (and worked at once when
    there is no fill latency) or REJECTED with the reason. A client order id seen before raises
    `DuplicateOrder` and records nothing."""
    account = find_account(venue, order.account)
    if any(o.client_order_id == order.client_order_id for o in venue.orders):
        raise DuplicateOrder(
            f"the paper venue already has an order with client order id {order.client_order_id}"
        )
    if any(o.broker_order_id == broker_order_id for o in venue.orders):
        raise DuplicateOrder(f"broker order id {broker_order_id} is taken")
    if behaviour is FillBehaviour.REJECT:
        reason: str | None = REJECTED_BY_BEHAVIOUR
    else:
        reason = rejection(venue.market, account, order, held_symbols(venue), rules)
    closes_at = None
    if order.order_type is OrderType.MOC or order.tif is TimeInForce.DAY:
        closes_at = session_close(venue.market.now)
    paper = PaperOrder(
        broker_order_id=broker_order_id,
        order=order,
        state=OrderState.REJECTED if reason else OrderState.SUBMITTED,
        reason=reason,
        accepted_at=now,
        fill_after=now + rules.fill_latency,
        closes_at=closes_at,
        updated_at=now,
    )
    venue = replace(venue, orders=(*venue.orders, paper))
    if paper.is_working and not rules.fill_latency:
        venue, _ = work(venue, now, rules, behaviour, only=broker_order_id)
        paper = order_by_id(venue, order.account, broker_order_id)
    return venue, paper


def cancel_order(venue: Venue, account: str, broker_order_id: str, now: datetime) -> tuple[Venue, PaperOrder]:
    order = order_by_id(venue, account, broker_order_id)
    if not order.is_working:
        raise OrderNotWorking(
            f"order {broker_order_id} is {order.state}: only a working order can be cancelled"
        )
    cancelled = cancel(order, CANCELLED_BY_TRADER, now)
    return _replace_order(venue, cancelled), cancelled


def work(
    venue: Venue, now: datetime, rules: VenueRules, behaviour: FillBehaviour, *, only: str | None = None
) -> tuple[Venue, tuple[PaperOrder, ...]]:
    """Work every working order (or only one) at this tick; returns the venue and the orders that changed."""
    accounts = {a.account_id: a for a in venue.accounts}
    orders = list(venue.orders)
    changed: list[PaperOrder] = []
    for index, order in enumerate(orders):
        if not order.is_working or (only is not None and order.broker_order_id != only):
            continue
        worked, executed = _work_one(venue.market, order, now, rules, behaviour)
        if worked is order:
            continue
        orders[index] = worked
        changed.append(worked)
        accounts[order.account] = reduce(apply_trade, executed, accounts[order.account])
    if not changed:
        return venue, ()
    updated = replace(
        venue, orders=tuple(orders), accounts=tuple(accounts[a.account_id] for a in venue.accounts)
    )
    return updated, tuple(changed)


def _work_one(
    market: MarketState, order: PaperOrder, now: datetime, rules: VenueRules, behaviour: FillBehaviour
) -> tuple[PaperOrder, tuple[Trade, ...]]:
    try:
        contracts = tuple(known_contract(market, leg.contract) for leg in order.order.legs)
    except NotListed as exc:  # e.g. a market rebuilt without a future an order was on
        return cancel(order, f"the paper venue no longer lists a leg's contract: {exc}", now), ()
    expired = next((c for c in contracts if has_expired(market, c)), None)
    if expired is not None:
        return cancel(order, f"{expired.symbol} expired while the order was working", now), ()
    closed = order.closes_at is not None and market.now >= order.closes_at
    if order.order.order_type is OrderType.MOC:
        if not closed:
            return order, ()
        filled, executed = _fill(market, order, contracts, now, rules, behaviour, at_close=True)
        return (cancel(filled, CLOSE_PASSED, now) if filled.is_working else filled), executed
    if closed:
        return cancel(order, DAY_ENDED, now), ()
    if now < order.fill_after:
        return order, ()
    return _fill(market, order, contracts, now, rules, behaviour, at_close=False)


def _fill(
    market: MarketState,
    order: PaperOrder,
    contracts: tuple[Contract, ...],
    now: datetime,
    rules: VenueRules,
    behaviour: FillBehaviour,
    *,
    at_close: bool,
) -> tuple[PaperOrder, tuple[Trade, ...]]:
    combos = combos_to_fill(behaviour, order.order.combo_quantity, order.filled, order.fills)
    if combos == 0:
        return order, ()
    prices = []
    for leg, contract in zip(order.order.legs, contracts, strict=True):
        quote = quote_contract(market, contract, now)
        price = quote.last if at_close else leg_price(leg.action, quote)
        if price is None:
            return order, ()
        prices.append(price)
    if not at_close and not is_marketable(order.order, net_price(order.order, prices)):
        return order, ()
    executed = trades(order.order, contracts, prices, combos, rules.commissions)
    filled, _ = record_fill(order, combos, executed, now)
    return filled, executed


def _replace_order(venue: Venue, order: PaperOrder) -> Venue:
    return replace(
        venue,
        orders=tuple(order if o.broker_order_id == order.broker_order_id else o for o in venue.orders),
    )
