"""What the venue checks before it takes an order: the approval (defense in depth) and the reasons it
records an order as rejected."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deltadesk.paper_venue.domain.admission import ApprovalRefused, check_approval, moc_open, rejection
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.paper_venue.domain.venue import Venue, held_symbols
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, Approval, LegSpec, Order, OrderType, order_hash
from deltadesk.shared.signing import sign_approval

OrderFactory = Callable[..., Order]
RULES = VenueRules(margin=MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)}))
KEY = Ed25519PrivateKey.generate()
NOW = datetime(2031, 1, 1, tzinfo=UTC)


def put(quantity: int = 1, strike: int = 5500) -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=quantity,
        expiry=date(2026, 12, 18),
        strike=Decimal(strike),
        right=Right.PUT,
    )


def shares(symbol: str, quantity: int, action: Action = Action.BUY) -> LegSpec:
    return LegSpec(action=action, instrument=InstrumentType.STK, underlying=symbol, quantity=quantity)


def approval_of(order: Order, key: Ed25519PrivateKey = KEY, **changes: object) -> Approval:
    approval = Approval(
        approval_id=uuid4(),
        order_id=order.order_id,
        simulation_id=uuid4(),
        order_hash=order_hash(order),
        nonce=secrets.token_hex(16),
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
        user="trader",
    ).model_copy(update=changes)
    return sign_approval(approval, key)


def reject(venue: Venue, order: Order) -> str | None:
    return rejection(venue.market, venue.accounts[0], order, held_symbols(venue), RULES)


# ── the approval ────────────────────────────────────────────────────────────────────────────────
def test_an_approval_signed_with_the_gateways_key_for_this_order_passes(order_of: OrderFactory) -> None:
    order = order_of(put(), limit="-8")
    check_approval(order, approval_of(order), KEY.public_key())


def test_an_approval_signed_with_another_key_is_refused(order_of: OrderFactory) -> None:
    order = order_of(put(), limit="-8")
    with pytest.raises(ApprovalRefused, match="not signed by the approval key") as caught:
        check_approval(order, approval_of(order, Ed25519PrivateKey.generate()), KEY.public_key())
    assert caught.value.code == "approval_refused"


def test_an_approval_of_another_order_or_another_version_is_refused(order_of: OrderFactory) -> None:
    order = order_of(put(), limit="-8")
    other = order_of(put(), limit="-8")
    with pytest.raises(ApprovalRefused, match="is for order"):
        check_approval(order, approval_of(other), KEY.public_key())
    cheaper = order.model_copy(update={"limit_price": Decimal("-7")})  # changed after approval
    with pytest.raises(ApprovalRefused, match="hash does not match"):
        check_approval(cheaper, approval_of(order), KEY.public_key())


def test_a_tampered_approval_is_refused(order_of: OrderFactory) -> None:
    order = order_of(put(), limit="-8")
    tampered = approval_of(order).model_copy(update={"user": "someone else"})
    with pytest.raises(ApprovalRefused):
        check_approval(order, tampered, KEY.public_key())


# ── rejections ──────────────────────────────────────────────────────────────────────────────────
def test_an_ordinary_order_is_taken(venue: Venue, order_of: OrderFactory) -> None:
    assert reject(venue, order_of(put(), limit="-8")) is None


def test_an_order_beyond_the_accounts_buying_power_is_rejected(venue: Venue, order_of: OrderFactory) -> None:
    reason = reject(venue, order_of(put(300), order_type=OrderType.MARKET))
    assert reason is not None
    assert reason.startswith("insufficient buying power: initial margin after the order 17,")


def test_an_unknown_contract_is_rejected(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(put(), limit="-8")
    leg = order.legs[0]
    changed = leg.model_copy(
        update={"contract": leg.contract.model_copy(update={"symbol": "QQQ   261218P00500000"})}
    )
    reason = reject(venue, order.model_copy(update={"legs": (changed,)}))
    assert reason is not None
    assert reason.startswith("unknown contract: the paper venue does not know the contract 'QQQ")


def test_nonsense_quantities_are_rejected(venue: Venue, order_of: OrderFactory) -> None:
    assert reject(venue, order_of(put(1001), limit="-8")) == (
        "1001 contracts of SPX   261218P05500000 exceed the venue's 1000 per leg"
    )
    order = order_of(shares("AAPL", 100), order_type=OrderType.MARKET)
    huge = order.model_copy(update={"legs": (order.legs[0].model_copy(update={"quantity": 100_001}),)})
    reason = reject(venue, huge)
    assert reason is not None
    assert "100000 per leg" in reason


def test_a_contract_in_two_legs_is_rejected(venue: Venue, order_of: OrderFactory) -> None:
    assert reject(venue, order_of(put(), put(), limit="-8")) == "a contract appears in more than one leg"


def test_legs_of_different_multipliers_in_one_combo_are_rejected(
    venue: Venue, order_of: OrderFactory
) -> None:
    call = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying="AAPL",
        quantity=1,
        expiry=date(2026, 12, 18),
        strike=Decimal(250),
        right=Right.CALL,
    )
    reason = reject(venue, order_of(shares("AAPL", 100), call, order_type=OrderType.MARKET))
    assert reason is not None
    assert reason.startswith("legs with different multipliers (1 and 100)")


def test_another_brokers_order_is_rejected(venue: Venue, order_of: OrderFactory) -> None:
    assert reject(venue, order_of(put(), limit="-8", broker="ibkr")) == (
        "the order is for broker 'ibkr', not the paper venue"
    )


def test_market_on_close_is_taken_until_ten_to_four_on_trading_days(
    venue: Venue, order_of: OrderFactory
) -> None:
    moc = order_of(shares("AAPL", 100), order_type=OrderType.MOC)
    assert reject(venue, moc) is None  # 10:00 New York
    late = replace(venue, market=replace(venue.market, now=datetime(2026, 11, 24, 20, 50, tzinfo=UTC)))
    assert not moc_open(late.market, RULES)
    reason = reject(late, moc)
    assert reason is not None
    assert reason.startswith("the market is closed for market-on-close orders")
    thanksgiving = replace(venue, market=replace(venue.market, now=datetime(2026, 11, 26, 15, 0, tzinfo=UTC)))
    assert reject(thanksgiving, moc) is not None
