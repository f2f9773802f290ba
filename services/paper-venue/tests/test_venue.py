"""The venue's whole state: accounts found by id, the market and settlements advanced together."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.account import Holding
from deltadesk.paper_venue.domain.admission import DuplicateOrder
from deltadesk.paper_venue.domain.demo import demo_venue
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.matching import net_price
from deltadesk.paper_venue.domain.paper_order import PaperOrder, order_status
from deltadesk.paper_venue.domain.quoting import quote_contract
from deltadesk.paper_venue.domain.resolution import known_contract
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.paper_venue.domain.venue import (
    DAY_ENDED,
    REJECTED_BY_BEHAVIOUR,
    OrderNotFound,
    OrderNotWorking,
    UnknownAccount,
    Venue,
    advance,
    cancel_order,
    executions_since,
    find_account,
    order_by_client_id,
    order_by_id,
    place,
    work,
)
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec, Order, OrderState, OrderType, TimeInForce
from deltadesk.shared.paper import FillBehaviour
from deltadesk.shared.quotes import Quote

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_an_account_is_found_by_its_id() -> None:
    venue = demo_venue(START, account_id="PAPER")
    assert find_account(venue, "PAPER") is venue.accounts[0]


def test_an_unknown_account_is_refused_with_a_reason_naming_the_known_ones() -> None:
    venue = demo_venue(START, account_id="PAPER")
    with pytest.raises(UnknownAccount, match=r"no account 'U123'.*PAPER") as caught:
        find_account(venue, "U123")
    assert caught.value.code == "unknown_account"


def test_advancing_steps_the_market_deterministically_with_a_seed() -> None:
    venue = demo_venue(START, account_id="PAPER", time_scale=60.0)
    first, _ = advance(venue, 1.0, random.Random(4))
    again, _ = advance(venue, 1.0, random.Random(4))
    assert first == again
    assert first.market.now == venue.market.now.replace(minute=1)
    assert first.market.spx != venue.market.spx


def test_advancing_past_an_expiry_settles_the_expired_contracts() -> None:
    venue = demo_venue(START, account_id="PAPER")
    holdings = venue.accounts[0].holdings
    first_expiry = min(h.contract.expiry for h in holdings if h.contract.expiry is not None)
    just_before = replace(
        venue, market=replace(venue.market, now=expiry_instant(first_expiry).replace(minute=0))
    )
    later, settlements = advance(just_before, 3600.0, random.Random(1))
    expired = {h.contract.symbol for h in holdings if h.contract.expiry == first_expiry}
    assert {s.symbol for s in settlements} == expired
    assert {h.contract.symbol for h in later.accounts[0].holdings} == {
        h.contract.symbol for h in holdings
    } - expired
    cash_moved = sum((s.cash for s in settlements), start=Decimal(0))
    assert later.accounts[0].cash == venue.accounts[0].cash + cash_moved


# ── orders ──────────────────────────────────────────────────────────────────────────────────────
OrderFactory = Callable[..., Order]
RULES = VenueRules(margin=MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)}))
NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)  # the desk's clock
IMMEDIATE, PARTIAL, REJECT, HOLD = (
    FillBehaviour.IMMEDIATE,
    FillBehaviour.PARTIAL,
    FillBehaviour.REJECT,
    FillBehaviour.HOLD,
)
MONTHLY = date(2026, 12, 18)
P, C = Right.PUT, Right.CALL


def spx(action: Action, quantity: int, strike: int, right: Right = P, expiry: date = MONTHLY) -> LegSpec:
    return LegSpec(
        action=action,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=quantity,
        expiry=expiry,
        strike=Decimal(strike),
        right=right,
    )


def aapl(quantity: int) -> LegSpec:
    return LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="AAPL", quantity=quantity)


def top(venue: Venue, order: Order, leg: int = 0) -> Quote:
    contract = known_contract(venue.market, order.legs[leg].contract)
    return quote_contract(venue.market, contract, NOW)


def far_side(venue: Venue, order: Order, leg: int) -> Decimal:
    quote = top(venue, order, leg)
    price = quote.ask if order.legs[leg].action is Action.BUY else quote.bid
    assert price is not None
    return price


def put_to(
    venue: Venue,
    order: Order,
    behaviour: FillBehaviour = IMMEDIATE,
    *,
    rules: VenueRules = RULES,
    broker_order_id: str = "po-1",
) -> tuple[Venue, PaperOrder]:
    return place(venue, order, broker_order_id=broker_order_id, now=NOW, rules=rules, behaviour=behaviour)


def moved(venue: Venue, **market: object) -> Venue:
    return replace(venue, market=replace(venue.market, **market))


def holding(venue: Venue, symbol: str) -> Holding | None:
    return next((h for h in venue.accounts[0].holdings if h.contract.symbol == symbol), None)


def test_a_market_order_fills_at_once_at_the_natural_price(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(spx(Action.SELL, 2, 5500), order_type=OrderType.MARKET)
    bid = top(venue, order).bid
    assert bid is not None
    after, placed = put_to(venue, order)
    assert placed.state is OrderState.FILLED
    (execution,) = placed.executions
    assert (execution.action, execution.quantity, execution.price) == (Action.SELL, 2, bid)
    assert execution.commission == Decimal("2.50")
    assert execution.executed_at == NOW
    assert order_status(placed).average_price == -bid  # a credit
    assert after.accounts[0].cash == venue.accounts[0].cash + bid * 200 - Decimal("2.50")
    assert holding(after, "SPX   261218P05500000") == Holding(
        known_contract(venue.market, order.legs[0].contract), Decimal(-2), bid
    )


def test_a_credit_limit_asking_for_less_than_natural_fills_at_the_natural_credit(
    venue: Venue, order_of: OrderFactory
) -> None:
    condor = order_of(
        spx(Action.BUY, 2, 5450),
        spx(Action.SELL, 2, 5500),
        spx(Action.SELL, 2, 6400, C),
        spx(Action.BUY, 2, 6450, C),
        limit="-0.50",
    )
    natural = net_price(condor, [far_side(venue, condor, i) for i in range(4)])
    assert natural < Decimal("-0.50")  # more credit on offer than asked
    _, placed = put_to(venue, condor)
    assert placed.state is OrderState.FILLED
    assert order_status(placed).average_price == natural
    assert len(placed.executions) == 4


def test_a_credit_limit_asking_for_more_rests_until_the_market_offers_it(
    venue: Venue, order_of: OrderFactory
) -> None:
    probe = order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    bid = top(venue, probe).bid
    assert bid is not None
    order = order_of(spx(Action.SELL, 1, 5500), limit=-(bid + 1))
    resting, placed = put_to(venue, order)
    assert placed.state is OrderState.SUBMITTED
    again, changed = work(resting, NOW, RULES, IMMEDIATE)
    assert changed == ()
    assert again.accounts == venue.accounts
    fallen = moved(resting, spx=5800.0)  # the put's bid rises well past the limit
    new_bid = top(fallen, order).bid
    assert new_bid is not None
    assert new_bid >= bid + 1
    filled, (worked,) = work(fallen, NOW, RULES, IMMEDIATE)
    assert worked.state is OrderState.FILLED
    assert order_status(worked).average_price == -new_bid  # the natural: the limit or better
    assert holding(filled, "SPX   261218P05500000") is not None


def test_a_debit_limit_below_the_ask_rests_until_the_ask_falls_to_it(
    venue: Venue, order_of: OrderFactory
) -> None:
    probe = order_of(spx(Action.BUY, 1, 6000, C), order_type=OrderType.MARKET)
    ask = top(venue, probe).ask
    assert ask is not None
    order = order_of(spx(Action.BUY, 1, 6000, C), limit=ask - 5)
    resting, placed = put_to(venue, order)
    assert placed.state is OrderState.SUBMITTED
    _, (worked,) = work(moved(resting, spx=5950.0), NOW, RULES, IMMEDIATE)
    assert worked.state is OrderState.FILLED
    price = order_status(worked).average_price
    assert price is not None
    assert price <= ask - 5


def test_partial_behaviour_fills_half_and_leaves_the_rest_working(
    venue: Venue, order_of: OrderFactory
) -> None:
    order = order_of(spx(Action.SELL, 4, 5500), order_type=OrderType.MARKET)
    part, placed = put_to(venue, order, PARTIAL)
    assert placed.state is OrderState.PARTIAL
    assert (placed.filled, placed.remaining) == (2, 2)
    still, changed = work(part, NOW, RULES, PARTIAL)
    assert changed == ()
    symbol = "SPX   261218P05500000"
    assert holding(still, symbol).quantity == -2  # type: ignore[union-attr]
    done, (worked,) = work(still, NOW, RULES, IMMEDIATE)
    assert worked.state is OrderState.FILLED
    assert [e.execution_id for e in worked.executions] == ["po-1-1-1", "po-1-2-1"]
    assert holding(done, symbol).quantity == -4  # type: ignore[union-attr]


def test_an_order_of_one_combo_under_partial_behaviour_waits(venue: Venue, order_of: OrderFactory) -> None:
    _, placed = put_to(venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET), PARTIAL)
    assert placed.state is OrderState.SUBMITTED


def test_reject_behaviour_records_a_rejected_order_with_its_reason(
    venue: Venue, order_of: OrderFactory
) -> None:
    order = order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    after, placed = put_to(venue, order, REJECT)
    assert placed.state is OrderState.REJECTED
    assert placed.reason == REJECTED_BY_BEHAVIOUR
    assert order_by_client_id(after, "PAPER", order.client_order_id) == placed
    assert after.accounts == venue.accounts


def test_hold_behaviour_accepts_and_never_fills(venue: Venue, order_of: OrderFactory) -> None:
    held, placed = put_to(venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET), HOLD)
    assert placed.state is OrderState.SUBMITTED
    assert work(held, NOW, RULES, HOLD) == (held, ())


def test_an_order_beyond_buying_power_is_recorded_rejected(venue: Venue, order_of: OrderFactory) -> None:
    after, placed = put_to(venue, order_of(spx(Action.SELL, 300, 5500), order_type=OrderType.MARKET))
    assert placed.state is OrderState.REJECTED
    assert placed.reason is not None
    assert placed.reason.startswith("insufficient buying power")
    assert after.accounts == venue.accounts


def test_a_client_order_id_seen_before_is_refused(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET)
    after, _ = put_to(venue, order, REJECT)
    with pytest.raises(DuplicateOrder, match=order.client_order_id) as caught:
        put_to(after, order, broker_order_id="po-2")
    assert caught.value.code == "duplicate_order"


def test_an_order_for_an_unknown_account_is_refused(venue: Venue, order_of: OrderFactory) -> None:
    with pytest.raises(UnknownAccount):
        put_to(venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET, account="U1"))


def test_a_working_order_can_be_cancelled_once(venue: Venue, order_of: OrderFactory) -> None:
    resting, _ = put_to(venue, order_of(spx(Action.SELL, 1, 5500), limit="-400"))
    after, cancelled = cancel_order(resting, "PAPER", "po-1", NOW)
    assert cancelled.state is OrderState.CANCELLED
    assert cancelled.reason == "cancelled by the trader"
    assert order_by_id(after, "PAPER", "po-1") == cancelled
    with pytest.raises(OrderNotWorking, match="is CANCELLED"):
        cancel_order(after, "PAPER", "po-1", NOW)
    with pytest.raises(OrderNotFound):
        cancel_order(after, "PAPER", "po-404", NOW)
    with pytest.raises(OrderNotFound):
        cancel_order(resting, "OTHER", "po-1", NOW)


def test_a_day_order_expires_at_the_close_and_a_gtc_order_does_not(
    venue: Venue, order_of: OrderFactory
) -> None:
    late = moved(venue, now=datetime(2026, 11, 24, 20, 59, tzinfo=UTC))  # 15:59 New York
    day, day_order = put_to(late, order_of(spx(Action.SELL, 1, 5500), limit="-400"))
    assert day_order.closes_at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    both, gtc_order = put_to(
        day, order_of(spx(Action.SELL, 1, 5505), limit="-400", tif=TimeInForce.GTC), broker_order_id="po-2"
    )
    assert gtc_order.closes_at is None
    assert work(both, NOW, RULES, IMMEDIATE)[1] == ()
    after_close = moved(both, now=datetime(2026, 11, 24, 21, 0, 1, tzinfo=UTC))
    after, (expired,) = work(after_close, NOW, RULES, IMMEDIATE)
    assert expired.broker_order_id == "po-1"
    assert expired.state is OrderState.CANCELLED
    assert expired.reason == DAY_ENDED
    assert order_by_id(after, "PAPER", "po-2").state is OrderState.SUBMITTED


def test_a_day_order_placed_after_the_close_works_the_next_session(
    venue: Venue, order_of: OrderFactory
) -> None:
    evening = moved(venue, now=datetime(2026, 11, 25, 22, 0, tzinfo=UTC))  # Wednesday; Thursday is a holiday
    _, placed = put_to(evening, order_of(spx(Action.SELL, 1, 5500), limit="-400"))
    assert placed.closes_at == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)


def test_fill_latency_holds_the_fill_until_it_passes(venue: Venue, order_of: OrderFactory) -> None:
    slow = replace(RULES, fill_latency=timedelta(seconds=1))
    waiting, placed = put_to(
        venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET), rules=slow
    )
    assert placed.state is OrderState.SUBMITTED
    assert work(waiting, NOW + timedelta(seconds=0.5), slow, IMMEDIATE)[1] == ()
    _, (filled,) = work(waiting, NOW + timedelta(seconds=1), slow, IMMEDIATE)
    assert filled.state is OrderState.FILLED
    assert filled.executions[0].executed_at == NOW + timedelta(seconds=1)


def test_a_market_on_close_order_fills_at_the_close(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(aapl(100), order_type=OrderType.MOC)
    waiting, placed = put_to(venue, order)
    assert placed.state is OrderState.SUBMITTED
    assert work(waiting, NOW, RULES, IMMEDIATE)[1] == ()  # 10:00 New York: not yet
    at_close = moved(waiting, now=datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    last = top(at_close, order).last
    assert last is not None
    after, (filled,) = work(at_close, NOW, RULES, IMMEDIATE)
    assert filled.state is OrderState.FILLED
    assert filled.executions[0].price == last
    assert holding(after, "AAPL").quantity == 300  # type: ignore[union-attr]  # 200 held + 100


def test_a_market_on_close_order_after_the_cutoff_is_rejected(venue: Venue, order_of: OrderFactory) -> None:
    late = moved(venue, now=datetime(2026, 11, 24, 20, 55, tzinfo=UTC))
    _, placed = put_to(late, order_of(aapl(100), order_type=OrderType.MOC))
    assert placed.state is OrderState.REJECTED
    assert placed.reason is not None
    assert "closed for market-on-close" in placed.reason


def test_buying_back_a_short_position_closes_it(venue: Venue, order_of: OrderFactory) -> None:
    short = next(h for h in venue.accounts[0].holdings if h.contract.symbol.startswith("SPXW  261224P"))
    assert short.contract.strike is not None
    order = order_of(spx(Action.BUY, 2, int(short.contract.strike), P, date(2026, 12, 24)), limit="500")
    ask = top(venue, order).ask
    assert ask is not None
    after, placed = put_to(venue, order)
    assert placed.state is OrderState.FILLED
    assert holding(after, short.contract.symbol) is None
    assert after.accounts[0].cash == venue.accounts[0].cash - ask * 200 - Decimal("2.50")


def test_a_fill_changes_the_account_exactly_once(venue: Venue, order_of: OrderFactory) -> None:
    after, _ = put_to(venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET))
    for behaviour in FillBehaviour:
        assert work(after, NOW + timedelta(seconds=1), RULES, behaviour) == (after, ())


def test_a_working_order_whose_leg_expires_is_cancelled(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(spx(Action.SELL, 1, 5500, P, date(2026, 11, 24)), limit="-400", tif=TimeInForce.GTC)
    resting, _ = put_to(venue, order)
    _, (cancelled,) = work(
        moved(resting, now=datetime(2026, 11, 24, 21, 0, tzinfo=UTC)), NOW, RULES, IMMEDIATE
    )
    assert cancelled.state is OrderState.CANCELLED
    assert cancelled.reason == "SPXW  261124P05500000 expired while the order was working"


def test_executions_are_listed_per_account_in_time_order(venue: Venue, order_of: OrderFactory) -> None:
    first, _ = put_to(venue, order_of(spx(Action.SELL, 1, 5500), order_type=OrderType.MARKET))
    later = NOW + timedelta(minutes=1)
    second, _ = place(
        first,
        order_of(aapl(10), order_type=OrderType.MARKET),
        broker_order_id="po-2",
        now=later,
        rules=RULES,
        behaviour=IMMEDIATE,
    )
    assert [e.execution_id for e in executions_since(second, "PAPER", NOW)] == ["po-1-1-1", "po-2-1-1"]
    assert [e.execution_id for e in executions_since(second, "PAPER", later)] == ["po-2-1-1"]
    assert executions_since(second, "OTHER", NOW) == ()


def test_a_working_order_on_a_contract_the_market_no_longer_lists_is_cancelled(
    venue: Venue, order_of: OrderFactory
) -> None:
    resting, placed = put_to(venue, order_of(spx(Action.SELL, 1, 5500), limit="-400"))
    leg = placed.order.legs[0]
    gone = leg.model_copy(
        update={"contract": leg.contract.model_copy(update={"symbol": "QQQ   261218P00500000"})}
    )
    orphan = placed.model_copy(update={"order": placed.order.model_copy(update={"legs": (gone,)})})
    _, (cancelled,) = work(replace(resting, orders=(orphan,)), NOW, RULES, IMMEDIATE)
    assert cancelled.state is OrderState.CANCELLED
    assert cancelled.reason is not None
    assert cancelled.reason.startswith("the paper venue no longer lists a leg's contract")
