"""What the paper venue checks before it takes an order.

Refusals of two kinds:
- the order never reaches the book, and the place request is answered with an error:
  `ApprovalRefused` (defense in depth behind execution: the approval must name this order, carry its
  canonical hash and verify with the gateway's public key; expiry and nonce are execution's to check)
  and `DuplicateOrder` (a client order id the venue has seen, like IBKR's duplicate cOID);
- the order is recorded REJECTED with a reason, so `find_order` reports it (`rejection`): another
  broker's order, a contract in two legs, legs of different multipliers in one combo (its net price
  per unit would mean nothing in dollars), more contracts or shares per leg than the venue takes, a
  contract the venue does not list, a market-on-close order outside its window, and insufficient
  buying power: initial margin after the fill (at the natural price, commission paid) above the net
  liquidation after it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deltadesk.paper_venue.domain.account import Account, Trade, apply_trade, balances
from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.paper_venue.domain.expiries import NEW_YORK, is_trading_day
from deltadesk.paper_venue.domain.listing import NotListed
from deltadesk.paper_venue.domain.margin import MarginUnavailable
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.matching import leg_price, trades
from deltadesk.paper_venue.domain.quoting import quote_contract
from deltadesk.paper_venue.domain.resolution import tradable
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.shared.balances import Balances
from deltadesk.shared.errors import DomainError
from deltadesk.shared.orders import Approval, Order, OrderType, order_hash
from deltadesk.shared.signing import signature_valid

PAPER = "paper"


class ApprovalRefused(DomainError):
    code = "approval_refused"


class DuplicateOrder(DomainError):
    code = "duplicate_order"


def check_approval(order: Order, approval: Approval, key: Ed25519PublicKey) -> None:
    """The approval is for exactly this order and signed by the holder of the gateway's key."""
    if approval.order_id != order.order_id:
        raise ApprovalRefused(f"the approval is for order {approval.order_id}, not {order.order_id}")
    if approval.order_hash != order_hash(order):
        raise ApprovalRefused(f"the approval's order hash does not match order {order.order_id}")
    if not signature_valid(approval, key):
        raise ApprovalRefused(f"the approval of order {order.order_id} is not signed by the approval key")


@dataclass(frozen=True, slots=True)
class Fill:
    """An order priced as if it filled in full now at the natural price, and the account after it."""

    contracts: tuple[Contract, ...]
    prices: tuple[Decimal, ...]
    trades: tuple[Trade, ...]
    before: Balances
    after: Balances


def contracts_of(state: MarketState, order: Order, held: Collection[str]) -> tuple[Contract, ...]:
    """The market's contract for every leg (NotListed when one is not tradable)."""
    return tuple(tradable(state, leg.contract, held) for leg in order.legs)


def fill_now(
    state: MarketState, account: Account, order: Order, contracts: tuple[Contract, ...], rules: VenueRules
) -> Fill:
    """What filling the whole order at the natural price now would do to the account."""
    prices = []
    for leg, contract in zip(order.legs, contracts, strict=True):
        price = leg_price(leg.action, quote_contract(state, contract, state.now))
        if price is None:
            raise NotListed(f"{contract.symbol} has no {'ask' if leg.action.sign > 0 else 'bid'}")
        prices.append(price)
    executed = trades(order, contracts, prices, order.combo_quantity, rules.commissions)
    after = reduce(apply_trade, executed, account)
    return Fill(
        contracts=contracts,
        prices=tuple(prices),
        trades=executed,
        before=balances(account, state, rules.margin, state.now),
        after=balances(after, state, rules.margin, state.now),
    )


def rejection(
    state: MarketState, account: Account, order: Order, held: Collection[str], rules: VenueRules
) -> str | None:
    """Why the venue would reject this order now, or None when it takes it."""
    if order.broker != PAPER:
        return f"the order is for broker {order.broker!r}, not the paper venue"
    symbols = [leg.contract.symbol for leg in order.legs]
    if len(set(symbols)) != len(symbols):
        return "a contract appears in more than one leg"
    multipliers = sorted({leg.contract.multiplier for leg in order.legs})
    if len(multipliers) > 1:
        shown = " and ".join(str(m) for m in multipliers)
        return (
            f"legs with different multipliers ({shown}) cannot be priced as one combo; "
            "send them as separate orders"
        )
    for leg in order.legs:
        share = leg.contract.instrument.is_share
        limit = rules.max_shares_per_leg if share else rules.max_contracts_per_leg
        if leg.quantity > limit:
            unit = "shares" if share else "contracts"
            return f"{leg.quantity} {unit} of {leg.contract.symbol} exceed the venue's {limit} per leg"
    try:
        contracts = contracts_of(state, order, held)
    except NotListed as exc:
        return f"unknown contract: {exc}"
    if order.order_type is OrderType.MOC and not moc_open(state, rules):
        return (
            f"the market is closed for market-on-close orders: they are taken on trading days until "
            f"{rules.moc_cutoff:%H:%M} New York"
        )
    try:
        fill = fill_now(state, account, order, contracts, rules)
    except (NotListed, MarginUnavailable) as exc:
        return str(exc)
    initial = fill.after.initial_margin
    assert initial is not None  # the venue's balances always carry it
    if initial > fill.after.net_liquidation:
        return (
            f"insufficient buying power: initial margin after the order {initial:,.2f} USD would exceed "
            f"net liquidation {fill.after.net_liquidation:,.2f} USD"
        )
    return None


def moc_open(state: MarketState, rules: VenueRules) -> bool:
    local = state.now.astimezone(NEW_YORK)
    return is_trading_day(local.date()) and local.time() < rules.moc_cutoff
