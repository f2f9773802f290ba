"""The write side (execution's): what-if, place with its reply loop, status, find, executions and
cancel, against the fake gateway over HTTPS. Every order here was approved through
`approve_for_test` (a real signature through `verify_approval`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import GatewayState
from deltadesk.brokers.ibkr.fake.books import monthly
from deltadesk.brokers.ibkr.fake.records import NO_MARKET_DATA, PRICE_CONSTRAINT
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, OrderStateUnknown
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, ApprovedOrder, LegSpec, Order, OrderState

from .conftest import ACCOUNT, NOW, BrokerFactory, build_order, fast_tuning

pytestmark = pytest.mark.integration

Approve = Callable[[Order], ApprovedOrder]
PLACE = "POST /iserver/account/{account}/orders"


def put(state: GatewayState, strike: str, action: Action = Action.SELL, quantity: int = 1) -> LegSpec:
    return LegSpec(
        action=action,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=quantity,
        expiry=monthly(state),
        strike=Decimal(strike),
        right=Right.PUT,
        trading_class="SPXW",
    )


def call(state: GatewayState, strike: str, action: Action, quantity: int = 1) -> LegSpec:
    return put(state, strike, action, quantity).model_copy(update={"right": Right.CALL})


async def short_put(broker: IbkrBroker, state: GatewayState, quantity: int = 1) -> Order:
    return await build_order(broker, put(state, "5800", quantity=quantity), limit_price=Decimal("-12.50"))


async def iron_condor(broker: IbkrBroker, state: GatewayState, quantity: int = 2) -> Order:
    return await build_order(
        broker,
        put(state, "5700", Action.BUY, quantity),
        put(state, "5800", Action.SELL, quantity),
        call(state, "6200", Action.SELL, quantity),
        call(state, "6300", Action.BUY, quantity),
        limit_price=Decimal("-6.40"),
    )


def only_order(state: GatewayState) -> object:
    (order,) = state.orders.values()
    return order


# ── what-if ─────────────────────────────────────────────────────────────────────────────────────────
async def test_whatif_gives_margin_and_commission_and_places_nothing(
    broker: IbkrBroker, state: GatewayState
) -> None:
    whatif = await broker.whatif(await iron_condor(broker, state))
    assert whatif.initial_margin_before is not None
    assert whatif.initial_margin_change is not None
    assert whatif.initial_margin_change > 0
    assert whatif.initial_margin_after == whatif.initial_margin_before + whatif.initial_margin_change
    assert whatif.equity_with_loan_after is not None
    assert whatif.commission == Decimal("5.20")  # 8 contracts at 0.65
    assert whatif.warnings == ()  # the legs were snapshot first, as IBKR asks
    assert state.orders == {}
    assert state.requests[PLACE] == 0


async def test_whatif_refused_by_ibkr_is_a_rejection(broker: IbkrBroker, state: GatewayState) -> None:
    state.reject_next_whatif = "Insufficient funds"
    with pytest.raises(BrokerRejected, match="Insufficient funds"):
        await broker.whatif(await short_put(broker, state))


# ── place ───────────────────────────────────────────────────────────────────────────────────────────
async def test_a_single_leg_order_is_placed_with_its_client_order_id(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(broker, state, quantity=3)
    order_id = await broker.place(approve(order))
    placed = state.orders[int(order_id)]
    assert placed.c_oid == order.client_order_id
    assert (placed.side, placed.quantity, placed.price, placed.conidex) == (
        "SELL",
        Decimal(3),
        Decimal("12.5"),
        None,
    )
    assert placed.legs == [(int(order.legs[0].contract.broker_id or 0), -1)]
    status = await broker.status(ACCOUNT, order_id)
    assert status.state is OrderState.SUBMITTED
    assert status.client_order_id is None or status.client_order_id == order.client_order_id


async def test_a_combo_is_one_order_by_conidex_with_a_credit_price(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await iron_condor(broker, state, quantity=2)
    order_id = await broker.place(approve(order))
    placed = state.orders[int(order_id)]
    assert placed.conidex is not None
    assert placed.conidex.startswith("28812380;;;")
    assert [ratio for _, ratio in placed.legs] == [1, -1, -1, 1]
    assert (placed.side, placed.quantity, placed.price) == ("BUY", Decimal(2), Decimal("-6.4"))


async def test_a_futures_order_carries_the_manual_indicator(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await build_order(
        broker,
        LegSpec(action=Action.BUY, instrument=InstrumentType.FUT, underlying="/MES", quantity=1),
        limit_price=Decimal("6000"),
    )
    order_id = await broker.place(approve(order))  # the fake refuses a futures order without it
    assert int(order_id) in state.orders


async def test_every_reply_message_is_confirmed_and_kept_over_two_rounds(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    state.questions = [PRICE_CONSTRAINT, NO_MARKET_DATA]
    order = await short_put(broker, state)
    order_id = await broker.place(approve(order))
    assert int(order_id) in state.orders
    assert state.requests["POST /iserver/reply/{reply_id}"] == 2
    confirmed = broker.confirmations(order.client_order_id)
    assert confirmed == broker.last_confirmations
    assert len(confirmed) == 2
    assert confirmed[0].startswith("o163: The following order")
    assert "Percentage constraint of 3%" in confirmed[0]
    assert confirmed[1] == "o354: You are submitting an order without market data. Are you sure?"


async def test_an_order_asking_too_many_questions_is_withdrawn(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    broker = make_broker(tuning=fast_tuning(reply_rounds=1))
    state.questions = [PRICE_CONSTRAINT, NO_MARKET_DATA, PRICE_CONSTRAINT]
    order = await short_put(broker, state)
    with pytest.raises(BrokerRejected, match="withdrawn"):
        await broker.place(approve(order))
    assert state.orders == {}
    assert state.pending == {}  # the last question was answered `confirmed: false`
    assert len(broker.confirmations(order.client_order_id)) == 2


async def test_a_rejection_answered_with_http_200_is_rejected_in_ibkrs_words(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    state.reject_next_place = "We cannot accept an order at the limit price you selected."
    with pytest.raises(BrokerRejected, match="We cannot accept an order at the limit price"):
        await broker.place(approve(await short_put(broker, state)))
    assert state.orders == {}


async def test_a_duplicate_client_order_id_is_never_sent_twice_and_is_unknown(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    approved = approve(await short_put(broker, state))
    await broker.place(approved)
    with pytest.raises(OrderStateUnknown, match="already has an order"):
        await broker.place(approved)
    assert len(state.orders) == 1


async def test_live_trading_disabled_refuses_before_anything_is_sent(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    broker = make_broker(live_trading=False)
    order = await short_put(broker, state)
    sent = sum(state.requests.values())
    with pytest.raises(BrokerRejected, match="live trading disabled"):
        await broker.place(approve(order))
    assert sum(state.requests.values()) == sent
    assert state.orders == {}


async def test_place_takes_only_an_approved_order(broker: IbkrBroker, state: GatewayState) -> None:
    order = await short_put(broker, state)
    with pytest.raises(TypeError, match="ApprovedOrder"):
        await broker.place(order)  # type: ignore[arg-type]
    assert state.requests[PLACE] == 0


async def test_a_place_that_times_out_is_unknown_and_found_later(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    broker = make_broker(broker_timeout_s=0.3)
    order = await short_put(broker, state)
    state.faults.delay(PLACE, 0.6)  # the gateway takes the order and answers late
    with pytest.raises(OrderStateUnknown, match="may or may not have been placed"):
        await broker.place(approve(order))
    assert state.requests[PLACE] == 1  # never retried
    found = await broker.find_order(ACCOUNT, order.client_order_id)
    assert found is not None
    assert found.state is OrderState.SUBMITTED
    assert found.broker_order_id == str(only_order(state).order_id)  # type: ignore[attr-defined]


async def test_a_connection_dropped_after_the_place_was_received_is_unknown(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(broker, state)
    state.faults.drop_next_place = True
    with pytest.raises(OrderStateUnknown, match="connection lost"):
        await broker.place(approve(order))
    assert state.requests[PLACE] == 1
    found = await broker.find_order(ACCOUNT, order.client_order_id)
    assert found is not None  # it reached IBKR: reconciliation finds it


async def test_a_503_to_a_place_is_unknown_and_reconciliation_finds_nothing(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(broker, state)
    state.faults.fail(PLACE, 503)
    with pytest.raises(OrderStateUnknown, match="503"):
        await broker.place(approve(order))
    assert await broker.find_order(ACCOUNT, order.client_order_id) is None


async def test_a_place_refused_with_401_was_not_sent(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(broker, state)
    state.expire_session()
    with pytest.raises(BrokerUnavailable, match="not sent"):
        await broker.place(approve(order))
    assert state.orders == {}
    assert state.refused[401] == 1


async def test_a_place_asked_to_query_accounts_first_is_sent_once_after_the_query(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(broker, state)
    state.session.accounts_queried = False
    order_id = await broker.place(approve(order))
    assert list(state.orders) == [int(order_id)]
    assert state.requests[PLACE] == 2  # refused before IBKR looked at it, then taken


# ── status, find, executions, cancel ────────────────────────────────────────────────────────────────
async def test_a_combo_moves_through_partial_to_filled_with_leg_progress(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await iron_condor(broker, state, quantity=2)
    order_id = await broker.place(approve(order))
    state.advance(int(order_id))
    state.fill(int(order_id), quantity=1, price="-6.40")
    partial = await broker.status(ACCOUNT, order_id)
    assert partial.state is OrderState.PARTIAL
    assert (partial.filled_quantity, partial.remaining_quantity) == (Decimal(1), Decimal(1))
    assert [(leg.symbol, leg.action, leg.quantity, leg.ordered) for leg in partial.legs] == [
        (leg.contract.symbol, leg.action, Decimal(1), Decimal(2)) for leg in order.legs
    ]
    state.fill(int(order_id), price="-6.50")
    filled = await broker.status(ACCOUNT, order_id)
    assert filled.state is OrderState.FILLED
    assert filled.average_price == Decimal("-6.45")  # a credit, per combo


async def test_a_cancelled_order_reports_cancelled(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order_id = await broker.place(approve(await short_put(broker, state)))
    await broker.cancel(ACCOUNT, order_id)
    assert state.orders[int(order_id)].status == "Cancelled"
    status = await broker.status(ACCOUNT, order_id)
    assert status.state is OrderState.CANCELLED
    assert status.reason == "Order Cancelled"


async def test_cancelling_a_futures_order_carries_the_manual_indicator(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    placer = make_broker()
    order = await build_order(
        placer,
        LegSpec(action=Action.SELL, instrument=InstrumentType.FUT, underlying="ES", quantity=1),
        limit_price=Decimal("-6100"),
    )
    order_id = await placer.place(approve(order))
    await make_broker().cancel(ACCOUNT, order_id)  # another process: it learns the order is a future
    assert state.orders[int(order_id)].status == "Cancelled"


async def test_cancelling_an_order_ibkr_does_not_know_is_rejected(
    broker: IbkrBroker, state: GatewayState
) -> None:
    with pytest.raises((BrokerRejected, BrokerUnavailable)):
        await broker.cancel(ACCOUNT, "1")
    with pytest.raises(BrokerRejected, match="not an IBKR order id"):
        await broker.cancel(ACCOUNT, "abc")


async def test_find_order_after_a_restart_needs_the_live_orders_preflight(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    order = await short_put(make_broker(), state)
    await make_broker().place(approve(order))
    restarted = make_broker()
    found = await restarted.find_order(ACCOUNT, order.client_order_id)
    assert found is not None
    assert found.client_order_id == order.client_order_id
    assert await restarted.find_order(ACCOUNT, "dd-000000000000000000000000") is None


async def test_executions_are_one_per_leg_with_the_broker_order_id(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order = await iron_condor(broker, state, quantity=1)
    order_id = await broker.place(approve(order))
    state.fill(int(order_id))
    executions = await broker.executions(ACCOUNT, NOW - timedelta(hours=1))
    assert len(executions) == 4
    assert {e.broker_order_id for e in executions} == {order_id}
    assert {e.client_order_id for e in executions} == {order.client_order_id}
    assert {(e.symbol, e.action) for e in executions} == {
        (leg.contract.symbol, leg.action) for leg in order.legs
    }
    assert all(e.commission == Decimal("0.65") for e in executions)


async def test_executions_read_by_another_process_find_their_order_and_symbols(
    make_broker: BrokerFactory, state: GatewayState, approve: Approve
) -> None:
    placer = make_broker()
    order = await iron_condor(placer, state, quantity=1)
    order_id = await placer.place(approve(order))
    state.fill(int(order_id))
    executions = await make_broker().executions(ACCOUNT, NOW - timedelta(hours=1))
    assert {e.broker_order_id for e in executions} == {order_id}  # looked up among live orders
    assert {e.symbol for e in executions} == {leg.contract.symbol for leg in order.legs}  # from contract info


async def test_executions_before_since_are_left_out(
    broker: IbkrBroker, state: GatewayState, approve: Approve
) -> None:
    order_id = await broker.place(approve(await short_put(broker, state)))
    state.fill(int(order_id))
    assert await broker.executions(ACCOUNT, NOW + timedelta(minutes=1)) == []
