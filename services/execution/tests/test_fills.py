"""Fills: new executions counted once, per-leg progress, combos filled, and net debit/credit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.execution.domain.fills import (
    build_fill,
    combos_filled,
    is_complete,
    leg_progress,
    net_debit_credit,
    net_price,
    new_executions,
)
from deltadesk.execution.testing import simulate_for_test
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Contract,
    Execution,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def put(strike: int) -> Contract:
    return Contract(
        symbol=f"SPXW  261218P0{strike}000",
        underlying="SPX",
        instrument=InstrumentType.OPT,
        multiplier=Decimal(100),
        expiry=date(2026, 12, 18),
        strike=Decimal(strike),
        right=Right.PUT,
        trading_class="SPXW",
    )


SHORT, LONG = put(5800), put(5750)


def vertical(quantity: int = 2) -> Order:
    """A put credit spread: sell 5800, buy 5750, for a 4.00 credit per spread."""
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(
            OrderLeg(action=Action.SELL, quantity=quantity, contract=SHORT),
            OrderLeg(action=Action.BUY, quantity=quantity, contract=LONG),
        ),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("-4.00"),
        tif=TimeInForce.DAY,
        rationale="sell the 5800/5750 put spread",
        created_at=NOW,
    )


def execution(
    exec_id: str,
    contract: Contract,
    action: Action,
    quantity: int,
    price: str,
    *,
    broker_order_id: str = "B1",
    seconds: int = 0,
    commission: str | None = "1.00",
) -> Execution:
    return Execution(
        execution_id=exec_id,
        broker_order_id=broker_order_id,
        symbol=contract.symbol,
        action=action,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(commission) if commission is not None else None,
        executed_at=NOW + timedelta(seconds=seconds),
    )


def test_only_the_orders_unseen_executions_are_new_each_once_oldest_first() -> None:
    order = vertical()
    executions = [
        execution("e2", LONG, Action.BUY, 1, "6.00", seconds=2),
        execution("e1", SHORT, Action.SELL, 1, "10.00", seconds=1),
        execution("e1", SHORT, Action.SELL, 1, "10.00", seconds=1),  # reported twice
        execution("e0", SHORT, Action.SELL, 1, "10.00"),  # counted already
        execution("x1", SHORT, Action.SELL, 1, "10.00", broker_order_id="OTHER"),  # another order
        execution("x2", SHORT, Action.BUY, 1, "10.00"),  # the wrong side: not a leg of ours
    ]
    fresh = new_executions(order, "B1", {"e0"}, executions)
    assert [e.execution_id for e in fresh] == ["e1", "e2"]


def test_an_execution_is_found_by_client_order_id_before_the_broker_id_is_known() -> None:
    order = vertical()
    by_client = execution("e1", SHORT, Action.SELL, 1, "10.00", broker_order_id="B9").model_copy(
        update={"client_order_id": order.client_order_id}
    )
    assert new_executions(order, None, set(), [by_client]) == [by_client]


def test_leg_progress_averages_prices_and_keeps_unfilled_legs_visible() -> None:
    order = vertical(quantity=3)
    progress = leg_progress(
        order,
        [
            execution("e1", SHORT, Action.SELL, 1, "10.00"),
            execution("e2", SHORT, Action.SELL, 2, "10.30"),
        ],
    )
    short, long = progress
    assert short.quantity == 3
    assert short.ordered == 3
    assert short.price == Decimal("10.20")
    assert long.quantity == 0
    assert long.ordered == 3
    assert long.price is None
    assert not is_complete(progress)
    assert combos_filled(order, progress) == 0


def test_net_debit_credit_of_a_credit_spread_is_negative() -> None:
    # sold 2 at 10.00, bought 2 at 6.00: received (10 − 6) × 2 × 100 = 800
    order = vertical()
    fills = [
        execution("e1", SHORT, Action.SELL, 2, "10.00"),
        execution("e2", LONG, Action.BUY, 2, "6.00"),
    ]
    assert net_debit_credit(order, fills) == Decimal(-800)
    assert net_price(order, leg_progress(order, fills)) == Decimal("-4.00")


def test_net_debit_credit_of_a_future_uses_its_multiplier() -> None:
    es = Contract(symbol="/ESZ6", underlying="/ES", instrument=InstrumentType.FUT, multiplier=Decimal(50))
    order = Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=(OrderLeg(action=Action.BUY, quantity=1, contract=es),),
        order_type=OrderType.MARKET,
        limit_price=None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )
    assert net_debit_credit(order, [execution("f1", es, Action.BUY, 1, "6000.25")]) == Decimal("300012.50")


def test_an_unbalanced_batch_has_no_net_price_but_its_money_counts() -> None:
    order = vertical()
    fills = [execution("e1", SHORT, Action.SELL, 2, "10.00"), execution("e2", LONG, Action.BUY, 1, "6.00")]
    assert net_price(order, leg_progress(order, fills)) is None
    assert net_debit_credit(order, fills) == Decimal(-1400)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([(SHORT, Action.SELL), (LONG, Action.BUY)]),
            st.integers(min_value=1, max_value=5),
            st.decimals(min_value=Decimal("0.05"), max_value=Decimal("50"), places=2),
        ),
        max_size=8,
    )
)
def test_net_debit_credit_is_additive_over_any_split_of_the_fills(
    items: list[tuple[tuple[Contract, Action], int, Decimal]],
) -> None:
    order = vertical(quantity=100)
    fills = [
        execution(f"e{i}", contract, action, quantity, str(price))
        for i, ((contract, action), quantity, price) in enumerate(items)
    ]
    half = len(fills) // 2
    assert net_debit_credit(order, fills) == net_debit_credit(order, fills[:half]) + net_debit_credit(
        order, fills[half:]
    )


def test_a_fill_carries_the_orders_context_and_this_fills_legs() -> None:
    order = vertical()
    simulation = simulate_for_test(order, NOW)
    before = [execution("e1", SHORT, Action.SELL, 1, "10.00"), execution("e2", LONG, Action.BUY, 1, "6.00")]
    fresh = [
        execution("e3", SHORT, Action.SELL, 1, "10.20", seconds=5),
        execution("e4", LONG, Action.BUY, 1, "6.10", seconds=6, commission="0.65"),
    ]
    fill = build_fill(
        order,
        simulation=simulation,
        broker_order_id="B1",
        executions=fresh,
        before=before,
        order_state=OrderState.FILLED,
        event_id=uuid4(),
        now=NOW,
    )
    assert fill.fill_id == "e3"
    assert fill.quantity == 1
    assert fill.net_price == Decimal("-4.10")
    assert fill.net_debit_credit == Decimal(-410)
    assert fill.commission == Decimal("1.65")
    assert fill.filled_at == NOW + timedelta(seconds=6)
    assert [(leg.symbol, leg.quantity, leg.price) for leg in fill.legs] == [
        (SHORT.symbol, 1, Decimal("10.20")),
        (LONG.symbol, 1, Decimal("6.10")),
    ]
    assert fill.underlying == "SPX"
    assert fill.rationale == "sell the 5800/5750 put spread"
    assert fill.spx_price == simulation.risk.spx_price
    assert fill.pre_trade == simulation.risk.pre_trade
    assert fill.order_state is OrderState.FILLED


def test_a_fill_needs_an_execution() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_fill(
            vertical(),
            simulation=None,
            broker_order_id="B1",
            executions=[],
            before=[],
            order_state=OrderState.PARTIAL,
            event_id=uuid4(),
            now=NOW,
        )
