from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.journal.domain.entries import (
    InvalidFill,
    InvalidOrderEvent,
    entry_id,
    journal_entry,
    order_status_of_event,
    supersedes,
)
from deltadesk.journal.testing import leg, make_fill, make_order, option, order_event, share
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, LegFill, OrderState

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def short_put_spread(**kwargs: object) -> object:
    return make_order(
        leg(Action.SELL, 2, option("SPX", Right.PUT, 5800, root="SPXW")),
        leg(Action.BUY, 2, option("SPX", Right.PUT, 5750, root="SPXW")),
        created_at=NOW,
        rationale="Collect premium under support",
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_entry_carries_every_field_of_the_fill_and_a_recognised_strategy() -> None:
    suggestion = uuid4()
    order = short_put_spread(suggestion_id=suggestion)
    fill = make_fill(order, filled_at=NOW, prices=("12.50", "9.00"))
    entry = journal_entry(fill)
    assert entry.strategy == "put credit spread"
    assert entry.status is OrderState.FILLED
    assert entry.underlying == "SPX"
    assert entry.net_debit_credit == Decimal("-700.00")  # (−12.50 + 9.00) × 100 × 2
    assert entry.suggestion_id == suggestion  # from the order when the fill does not say
    assert (entry.vix, entry.spx_price, entry.regime) == (17.5, 6010.25, "normal")
    assert entry.pre_trade is not None
    assert entry.post_trade is not None
    assert entry.rationale == "Collect premium under support"
    assert entry.ai_rationale == "Hedge the delta, keep the theta."


def test_the_same_broker_fill_always_has_the_same_entry_id() -> None:
    order = short_put_spread()
    first = journal_entry(make_fill(order, filled_at=NOW))
    again = journal_entry(make_fill(order, filled_at=NOW + timedelta(seconds=3)))  # republished: new event id
    assert first.entry_id == again.entry_id == entry_id("paper", "B1", "F1")
    assert entry_id("paper", "B1", "F2") != first.entry_id
    assert entry_id("ibkr", "B1", "F1") != first.entry_id


def test_the_traders_tag_is_kept() -> None:
    entry = journal_entry(make_fill(short_put_spread(), filled_at=NOW, strategy_tag="FLATTEN"))
    assert entry.strategy == "FLATTEN"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"account": "OTHER"}, "account"),
        ({"broker": "ibkr"}, "broker"),
        ({"order_id": uuid4()}, "order_id"),
        ({"fill_id": " "}, "fill_id"),
        ({"order_state": OrderState.SUBMITTED}, "order_state"),
        ({"quantity": Decimal(-1)}, "quantity"),
        ({"net_debit_credit": Decimal("NaN")}, "net_debit_credit"),
        ({"vix": -3.0}, "vix"),
        (
            {"legs": (LegFill(symbol="AAPL", action=Action.BUY, quantity=Decimal(1), ordered=Decimal(1)),)},
            "legs not in the order",
        ),
        ({"legs": ()}, "no leg was filled"),
    ],
)
def test_a_fill_that_does_not_add_up_is_refused_with_the_reason(
    change: dict[str, object], reason: str
) -> None:
    fill = make_fill(short_put_spread(), filled_at=NOW).model_copy(update=change)
    with pytest.raises(InvalidFill, match=reason):
        journal_entry(fill)


def test_an_order_event_for_another_account_is_refused() -> None:
    event = order_event(
        make_order(leg(Action.BUY, 100, share("KO")), created_at=NOW), OrderState.SUBMITTED, NOW
    )
    with pytest.raises(InvalidOrderEvent):
        order_status_of_event(event.model_copy(update={"account": "ELSEWHERE"}))


def test_newer_state_wins() -> None:
    assert supersedes(OrderState.PARTIAL, NOW + timedelta(seconds=1), OrderState.SUBMITTED, NOW)
    assert not supersedes(OrderState.SUBMITTED, NOW, OrderState.PARTIAL, NOW + timedelta(seconds=1))


def test_at_the_same_instant_the_further_state_wins() -> None:
    assert supersedes(OrderState.FILLED, NOW, OrderState.PARTIAL, NOW)
    assert not supersedes(OrderState.PARTIAL, NOW, OrderState.FILLED, NOW)
    assert not supersedes(OrderState.FILLED, NOW, OrderState.FILLED, NOW)


def test_a_final_state_is_not_undone_by_a_later_working_state() -> None:
    assert not supersedes(OrderState.PARTIAL, NOW + timedelta(seconds=5), OrderState.FILLED, NOW)
    assert not supersedes(OrderState.UNKNOWN, NOW + timedelta(seconds=5), OrderState.CANCELLED, NOW)
    assert supersedes(OrderState.FILLED, NOW, OrderState.PARTIAL, NOW + timedelta(seconds=5))


states = st.sampled_from(list(OrderState))
instants = st.integers(0, 5).map(lambda s: NOW + timedelta(seconds=s))


@given(st.lists(st.tuples(states, instants), min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_the_final_status_does_not_depend_on_arrival_order(
    events: list[tuple[OrderState, datetime]], rng: object
) -> None:
    def settle(sequence: list[tuple[OrderState, datetime]]) -> tuple[OrderState, datetime]:
        held = sequence[0]
        for incoming in sequence[1:]:
            if supersedes(incoming[0], incoming[1], held[0], held[1]):
                held = incoming
        return held

    shuffled = list(events)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert settle(shuffled) == settle(events)
    if any(state.is_final for state, _ in events):
        assert settle(events)[0].is_final


def test_a_fill_of_one_leg_of_a_combo_is_a_fill_of_no_whole_combo() -> None:
    order = short_put_spread()
    sold, bought = make_fill(order, filled_at=NOW).legs
    one_leg = make_fill(order, filled_at=NOW, state=OrderState.PARTIAL).model_copy(
        update={
            "legs": (sold, bought.model_copy(update={"quantity": Decimal(0), "price": None})),
            "quantity": Decimal(0),
        }
    )
    assert journal_entry(one_leg).quantity == 0
    priceless = one_leg.model_copy(update={"legs": (sold.model_copy(update={"price": None}), bought)})
    with pytest.raises(InvalidFill, match="has no price"):
        journal_entry(priceless)
