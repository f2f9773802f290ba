"""The order ticket IBKR takes, and its statuses in the desk's states."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.brokers.ibkr.orders import (
    USD_SPREAD_CONID,
    order_state,
    order_ticket,
    parse_conidex,
    read_place_answer,
)
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import Action, OrderState, OrderType

from .orders_for_test import contract, order

PUT_A = contract(101, "SPXW  261218P05800000")
PUT_B = contract(102, "SPXW  261218P05700000")
CALL_A = contract(103, "SPXW  261218C06200000")
CALL_B = contract(104, "SPXW  261218C06300000")


def test_a_single_leg_goes_by_conid_with_its_side_and_the_price_magnitude() -> None:
    ticket = order_ticket(order((Action.SELL, 2, PUT_A), limit_price=Decimal("-4.10")), operator="trader")
    assert ticket["conid"] == 101
    assert "conidex" not in ticket
    assert (ticket["side"], ticket["quantity"], ticket["price"]) == ("SELL", 2, 4.10)
    assert ticket["cOID"].startswith("dd-")
    assert "manualIndicator" not in ticket


def test_an_iron_condor_goes_as_one_combo_with_signed_ratios_and_a_credit_price() -> None:
    condor = order(
        (Action.SELL, 2, PUT_A),
        (Action.BUY, 2, PUT_B),
        (Action.SELL, 2, CALL_A),
        (Action.BUY, 2, CALL_B),
        limit_price=Decimal("-3.20"),
    )
    ticket = order_ticket(condor, operator="trader")
    assert ticket["conidex"] == f"{USD_SPREAD_CONID};;;101/-1,102/1,103/-1,104/1"
    assert (ticket["side"], ticket["quantity"], ticket["price"]) == ("BUY", 2, -3.20)
    assert "conid" not in ticket


def test_futures_carry_the_manual_indicator_and_the_approving_person() -> None:
    future = contract(495512557, "/ESZ6", InstrumentType.FUT, 50)
    ticket = order_ticket(order((Action.BUY, 1, future), limit_price=Decimal("6000")), operator="alice")
    assert (ticket["manualIndicator"], ticket["extOperator"]) == (True, "alice")


def test_a_market_order_has_no_price() -> None:
    shares = contract(265598, "AAPL", InstrumentType.STK, 1)
    ticket = order_ticket(order((Action.BUY, 10, shares), order_type=OrderType.MARKET), operator="t")
    assert ticket["orderType"] == "MKT"
    assert "price" not in ticket


def test_a_leg_without_a_conid_is_refused_before_anything_is_sent() -> None:
    bare = PUT_A.model_copy(update={"broker_id": None})
    with pytest.raises(BrokerRejected, match="no IBKR conid"):
        order_ticket(order((Action.SELL, 1, bare)), operator="t")


@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.integers(1, 5)), min_size=2, max_size=4))
def test_conidex_ratios_are_the_legs_signed_quantities_over_the_combo_size(
    legs: list[tuple[Action, int]],
) -> None:
    contracts = [contract(200 + i, f"SPY   26121{i}P00500000") for i in range(len(legs))]
    draft = order(*((a, q, c) for (a, q), c in zip(legs, contracts, strict=True)))
    ticket = order_ticket(draft, operator="t")
    ratios = parse_conidex(ticket["conidex"])
    for (action, quantity), (conid, ratio), leg_contract in zip(legs, ratios, contracts, strict=True):
        assert conid == int(leg_contract.broker_id or 0)
        assert ratio * ticket["quantity"] == action.sign * quantity


@pytest.mark.parametrize(
    ("status", "filled", "state"),
    [
        ("PreSubmitted", 0, OrderState.SUBMITTED),
        ("Submitted", 1, OrderState.PARTIAL),
        ("Filled", 5, OrderState.FILLED),
        ("Cancelled", 0, OrderState.CANCELLED),
        ("Inactive", 0, OrderState.REJECTED),
        ("PendingSubmit", 0, OrderState.SUBMITTED),
        ("pending_cancel", 0, OrderState.SUBMITTED),
        ("WarnState", 0, OrderState.SUBMITTED),
    ],
)
def test_ibkr_statuses_map_to_desk_states(status: str, filled: int, state: OrderState) -> None:
    assert order_state(status, Decimal(filled)) is state


def test_an_answer_in_an_unknown_shape_is_not_guessed() -> None:
    assert read_place_answer({"something": "else"}) is None
    assert read_place_answer([]) is None
    assert read_place_answer({"order_id": "77", "order_status": "Submitted"}) is not None  # the bare form
