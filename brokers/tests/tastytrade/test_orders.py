"""The desk's orders in Tastytrade's terms: actions with their position effect, price signs, the wire."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tastytrade.order import OrderAction, PlacedOrder

from deltadesk.brokers.tastytrade.orders import leg_action, order_status, tastytrade_order
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, Contract, Order, OrderLeg, OrderState, OrderType, TimeInForce

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SHORT_PUT = Contract(
    symbol="SPXW  260320P05800000",
    underlying="SPX",
    instrument=InstrumentType.OPT,
    multiplier=Decimal(100),
    expiry=date(2026, 3, 20),
    strike=Decimal(5800),
    right=Right.PUT,
    trading_class="SPXW",
    broker_id="SPXW  260320P05800000",
)
LONG_PUT = SHORT_PUT.model_copy(
    update={"symbol": "SPXW  260320P05750000", "strike": Decimal(5750), "broker_id": "SPXW  260320P05750000"}
)
ES_FUTURE = Contract(
    symbol="/ESH6", underlying="/ES", instrument=InstrumentType.FUT, multiplier=Decimal(50), broker_id="/ESH6"
)


def spread(limit: Decimal | None = Decimal("-1.20"), order_type: OrderType = OrderType.LIMIT) -> Order:
    return Order(
        order_id=UUID(int=7),
        account="5WT00001",
        broker="tastytrade",
        legs=(
            OrderLeg(action=Action.SELL, quantity=2, contract=SHORT_PUT),
            OrderLeg(action=Action.BUY, quantity=2, contract=LONG_PUT),
        ),
        order_type=order_type,
        limit_price=limit,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


def wire(order: Order, held: dict[str, Decimal] | None = None) -> dict[str, Any]:
    sdk = tastytrade_order(order, held or {})
    body: dict[str, Any] = json.loads(sdk.model_dump_json(exclude_none=True, by_alias=True))
    return body


def test_a_credit_spread_goes_as_a_credit_with_an_unsigned_price() -> None:
    body = wire(spread(Decimal("-1.20")))
    assert (body["price"], body["price-effect"], body["order-type"]) == ("1.20", "Credit", "Limit")
    assert [(leg["symbol"], leg["action"], leg["quantity"]) for leg in body["legs"]] == [
        ("SPXW  260320P05800000", "Sell to Open", 2),
        ("SPXW  260320P05750000", "Buy to Open", 2),
    ]


def test_a_debit_is_a_debit() -> None:
    assert wire(spread(Decimal("2.05")))["price-effect"] == "Debit"


def test_the_order_carries_its_external_identifier_and_no_paper_api_fields() -> None:
    body = wire(spread())
    assert body["external-identifier"] == spread().client_order_id
    assert not {"behavior", "schedule", "delay"} & set(body)


def test_closing_legs_say_so() -> None:
    held = {SHORT_PUT.symbol: Decimal(-2), LONG_PUT.symbol: Decimal(2)}
    closing = spread().model_copy(
        update={
            "legs": (
                OrderLeg(action=Action.BUY, quantity=2, contract=SHORT_PUT),
                OrderLeg(action=Action.SELL, quantity=2, contract=LONG_PUT),
            ),
            "limit_price": Decimal("0.40"),
        }
    )
    assert [leg["action"] for leg in wire(closing, held)["legs"]] == ["Buy to Close", "Sell to Close"]


@pytest.mark.parametrize(
    ("action", "held", "expected"),
    [
        (Action.SELL, Decimal(0), OrderAction.SELL_TO_OPEN),
        (Action.SELL, Decimal(-3), OrderAction.SELL_TO_OPEN),
        (Action.SELL, Decimal(5), OrderAction.SELL_TO_CLOSE),
        (Action.BUY, Decimal(0), OrderAction.BUY_TO_OPEN),
        (Action.BUY, Decimal(4), OrderAction.BUY_TO_OPEN),
        (Action.BUY, Decimal(-2), OrderAction.BUY_TO_CLOSE),
    ],
)
def test_the_position_effect_follows_the_holding(
    action: Action, held: Decimal, expected: OrderAction
) -> None:
    assert leg_action(action, InstrumentType.OPT, 2, held, "X") is expected


@given(st.sampled_from(list(Action)), st.integers(1, 50), st.integers(-50, 50))
def test_a_leg_never_opens_against_an_opposite_holding(action: Action, quantity: int, held: int) -> None:
    try:
        chosen = leg_action(action, InstrumentType.OPT, quantity, Decimal(held), "X")
    except BrokerRejected:
        assert abs(held) < quantity
        assert held * action.sign < 0
        return
    if chosen in (OrderAction.SELL_TO_OPEN, OrderAction.BUY_TO_OPEN):
        assert held * action.sign >= 0
    else:
        assert held * action.sign < 0
        assert quantity <= abs(held)


def test_a_leg_that_would_cross_zero_is_refused_before_sending() -> None:
    with pytest.raises(BrokerRejected, match="send the closing and the opening orders separately"):
        leg_action(Action.SELL, InstrumentType.OPT, 5, Decimal(2), "SPY   260320P00580000")


def test_an_outright_future_is_a_plain_buy_or_sell() -> None:
    assert leg_action(Action.SELL, InstrumentType.FUT, 1, Decimal(3), "/ESH6") is OrderAction.SELL
    assert leg_action(Action.BUY, InstrumentType.FUT, 1, Decimal(-3), "/ESH6") is OrderAction.BUY


def test_market_on_close_is_refused() -> None:
    order = spread().model_copy(
        update={
            "legs": (
                OrderLeg(
                    action=Action.BUY,
                    quantity=100,
                    contract=ES_FUTURE.model_copy(
                        update={
                            "symbol": "SPY",
                            "underlying": "SPY",
                            "instrument": InstrumentType.ETF,
                            "multiplier": Decimal(1),
                            "broker_id": "SPY",
                        }
                    ),
                ),
            ),
            "order_type": OrderType.MOC,
            "limit_price": None,
        }
    )
    with pytest.raises(BrokerRejected, match="no MOC orders"):
        tastytrade_order(order, {})


def test_an_option_on_a_future_without_its_tastytrade_symbol_is_refused() -> None:
    fop = Contract(
        symbol="/ESH6 260320P5600",
        underlying="/ES",
        instrument=InstrumentType.FOP,
        multiplier=Decimal(50),
        expiry=date(2026, 3, 20),
        strike=Decimal(5600),
        right=Right.PUT,
        underlying_contract="/ESH6",
    )
    order = spread().model_copy(update={"legs": (OrderLeg(action=Action.SELL, quantity=1, contract=fop),)})
    with pytest.raises(BrokerRejected, match="resolve the leg first"):
        tastytrade_order(order, {})


def placed(status: str, fills: int = 0, **extra: Any) -> PlacedOrder:
    def leg(symbol: str, action: str, price: str) -> dict[str, Any]:
        done = [
            {
                "fill-id": f"{symbol[-8:]}-{i}",
                "quantity": "1",
                "fill-price": price,
                "filled-at": "2026-03-02T15:02:15.000+00:00",
            }
            for i in range(fills)
        ]
        return {
            "instrument-type": "Equity Option",
            "symbol": symbol,
            "quantity": 2,
            "remaining-quantity": 2 - fills,
            "action": action,
            "fills": done,
        }

    return PlacedOrder(
        **{
            "id": 5,
            "account-number": "5WT00001",
            "time-in-force": "Day",
            "order-type": "Limit",
            "size": 2,
            "underlying-symbol": "SPX",
            "underlying-instrument-type": "Equity",
            "price": "1.2",
            "price-effect": "Credit",
            "status": status,
            "cancellable": True,
            "editable": True,
            "edited": False,
            "updated-at": 1772463735000,
            "legs": [
                leg(SHORT_PUT.symbol, "Sell to Open", "4.1"),
                leg(LONG_PUT.symbol, "Buy to Open", "2.9"),
            ],
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("status", "fills", "state"),
    [
        ("Received", 0, OrderState.SUBMITTED),
        ("Routed", 0, OrderState.SUBMITTED),
        ("In Flight", 0, OrderState.SUBMITTED),
        ("Live", 0, OrderState.SUBMITTED),
        ("Live", 1, OrderState.PARTIAL),
        ("Cancel Requested", 1, OrderState.PARTIAL),
        ("Filled", 2, OrderState.FILLED),
        ("Cancelled", 0, OrderState.CANCELLED),
        ("Cancelled", 1, OrderState.CANCELLED),
        ("Expired", 0, OrderState.CANCELLED),
        ("Removed", 0, OrderState.CANCELLED),
        ("Partially Removed", 1, OrderState.CANCELLED),
    ],
)
def test_every_tastytrade_status_has_a_desk_state(status: str, fills: int, state: OrderState) -> None:
    result = order_status(placed(status, fills))
    assert result.state is state
    assert result.filled_quantity == fills


def test_a_filled_spread_has_nothing_left_and_its_average_credit() -> None:
    result = order_status(placed("Filled", 2))
    assert (result.remaining_quantity, result.average_price) == (0, Decimal("-1.2"))


def test_a_rejection_keeps_tastytrades_reason() -> None:
    result = order_status(placed("Rejected", reject_reason="Insufficient buying power"))
    assert (result.state, result.reason) == (OrderState.REJECTED, "Insufficient buying power")
