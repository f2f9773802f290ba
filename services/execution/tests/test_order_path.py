"""The order path on real NATS: create, simulate, approve, transmit and track to a final state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from deltadesk.execution.testing import ExecutionHarness, FakeBroker, FillBehaviour, long_put, short_put
from deltadesk.shared.commands import ListOrders, OrderList
from deltadesk.shared.errors import BrokerUnavailable, RemoteError
from deltadesk.shared.events import FillReceived, TradingState
from deltadesk.shared.orders import OrderState
from deltadesk.shared.subjects import EXEC_ORDERS_LIST, EXEC_STATE
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
S = OrderState
MakeDesk = Callable[..., Awaitable[ExecutionHarness]]


async def test_create_simulate_approve_fills_with_the_orders_context(desk: ExecutionHarness) -> None:
    draft = await desk.create(short_put(), limit="-2.40", rationale="sell premium into strength")
    assert draft.state is S.DRAFT
    assert draft.order.broker == "paper"
    assert draft.order.legs[0].contract.multiplier == 100

    simulation = await desk.simulate(draft.order.order_id)
    assert simulation.whatif.initial_margin_change == Decimal(5000)
    # a short SPY put (delta −0.30 × −1 × 100 × 600 / 6000) adds +3.0 SPX delta to the book's 100
    assert simulation.risk.post_trade.spx_delta == pytest.approx(103.0)
    asked = desk.risk.asked[-1]
    assert asked.legs[0].quantity == -1
    assert asked.legs[0].underlying_price == 600.0

    await desk.approve(simulation)
    filled = await desk.state(draft.order.order_id, S.FILLED)
    assert filled.filled_quantity == 1
    assert filled.broker_order_id == "B1"
    assert len(desk.broker.placed) == 1

    order_id = draft.order.order_id
    (fill,) = await _fills(desk, order_id, 1)
    assert fill.order_state is S.FILLED
    assert fill.net_debit_credit == Decimal(-240)  # sold at the 2.40 mid: received
    assert fill.commission == Decimal("0.65")
    assert fill.pre_trade is not None
    assert fill.pre_trade.spx_delta == pytest.approx(100.0)
    assert fill.post_trade is not None
    assert fill.post_trade.spx_delta == pytest.approx(103.0)
    assert (fill.spx_price, fill.vix, fill.regime) == (6000.0, 16.0, "normal")
    assert fill.rationale == "sell premium into strength"
    assert fill.underlying == "SPY"
    states = await desk.states_until(order_id, S.FILLED)
    assert states == [S.DRAFT, S.SIMULATED, S.APPROVED, S.SUBMITTED, S.FILLED]


async def test_the_blotter_lists_orders_newest_first(desk: ExecutionHarness) -> None:
    first = await desk.create(short_put("580"))
    second = await desk.create(short_put("570"))
    listed = await desk.gateway.request(EXEC_ORDERS_LIST, ListOrders(account="PAPER"), OrderList)
    assert [v.order.order_id for v in listed.orders][:2] == [second.order.order_id, first.order.order_id]


async def test_an_unknown_account_is_refused_naming_it(desk: ExecutionHarness) -> None:
    with pytest.raises(RemoteError, match="NOPE") as caught:
        await desk.create(short_put(), account="NOPE")
    assert caught.value.remote_code == "unknown_account"


async def test_an_unresolvable_leg_is_refused_naming_the_leg(desk: ExecutionHarness) -> None:
    with pytest.raises(RemoteError, match=r"leg 2 \(BUY 1 ZZZZ OPT") as caught:
        await desk.create(short_put(), long_put(underlying="ZZZZ"))
    assert caught.value.remote_code == "leg_unresolvable"


async def test_a_broker_down_at_simulation_stores_nothing_as_simulated(desk: ExecutionHarness) -> None:
    draft = await desk.create(short_put())
    desk.broker.down = True
    with pytest.raises(BrokerUnavailable, match=r"what-if|quotes"):
        await desk.simulate(draft.order.order_id)
    shown = await desk.order(draft.order.order_id)
    assert shown.state is S.DRAFT
    assert shown.simulation is None


async def test_risk_halted_at_simulation_stores_nothing_as_simulated(desk: ExecutionHarness) -> None:
    draft = await desk.create(short_put())
    desk.risk.halted = True
    with pytest.raises(RemoteError, match="halted") as caught:
        await desk.simulate(draft.order.order_id)
    assert caught.value.remote_code == "risk_unavailable"
    assert (await desk.order(draft.order.order_id)).state is S.DRAFT


async def test_a_submitted_order_cannot_be_simulated_again(desk: ExecutionHarness) -> None:
    desk.broker.fill_behaviour = FillBehaviour.HOLD
    draft = await desk.create(short_put())
    await desk.approve(await desk.simulate(draft.order.order_id))
    await desk.state(draft.order.order_id, S.SUBMITTED)
    with pytest.raises(RemoteError, match="SUBMITTED") as caught:
        await desk.simulate(draft.order.order_id)
    assert caught.value.remote_code == "invalid_order_state"


async def test_an_unknown_order_is_not_found(desk: ExecutionHarness) -> None:
    with pytest.raises(RemoteError, match="no order") as caught:
        await desk.order(uuid4())
    assert caught.value.remote_code == "order_not_found"


async def test_a_partial_fill_stays_partial_with_its_unfilled_leg_until_the_rest_fills(
    desk: ExecutionHarness, broker: FakeBroker
) -> None:
    broker.fill_behaviour = FillBehaviour.FIRST_LEG
    draft = await desk.create(short_put("580", 2), long_put("575", 2), limit="-0.00")
    await desk.approve(await desk.simulate(draft.order.order_id))
    partial = await desk.state(draft.order.order_id, S.PARTIAL)
    short, long = partial.legs
    assert (short.quantity, short.ordered) == (2, 2)
    assert (long.quantity, long.ordered) == (0, 2)
    assert partial.filled_quantity == 0
    assert broker.cancelled == []  # never auto-cancelled

    broker.fill_rest(partial.broker_order_id or "")
    filled = await desk.state(draft.order.order_id, S.FILLED)
    assert filled.filled_quantity == 2
    fills = await _fills(desk, draft.order.order_id, 2)
    assert [f.order_state for f in fills] == [S.PARTIAL, S.FILLED]
    assert sum(f.net_debit_credit for f in fills) == Decimal(0)  # both legs at the same 2.40 mid


async def test_cancelling_a_draft_discards_it(desk: ExecutionHarness) -> None:
    draft = await desk.create(short_put())
    cancelled = await desk.cancel(draft.order.order_id)
    assert cancelled.state is S.CANCELLED


async def test_cancelling_a_working_order_cancels_it_at_the_broker(
    desk: ExecutionHarness, broker: FakeBroker
) -> None:
    broker.fill_behaviour = FillBehaviour.HOLD
    draft = await desk.create(short_put())
    await desk.approve(await desk.simulate(draft.order.order_id))
    await desk.state(draft.order.order_id, S.SUBMITTED)
    await desk.cancel(draft.order.order_id)
    cancelled = await desk.state(draft.order.order_id, S.CANCELLED)
    assert broker.cancelled == [cancelled.broker_order_id]
    with pytest.raises(RemoteError, match="already CANCELLED") as caught:
        await desk.cancel(draft.order.order_id)
    assert caught.value.remote_code == "invalid_order_state"


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────
async def _fills(desk: ExecutionHarness, order_id: UUID, count: int) -> list[FillReceived]:
    def probe() -> list[FillReceived] | None:
        found = desk.recorded.filled(order_id)
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} fills")


async def test_what_the_broker_asked_to_confirm_is_kept_on_the_order_events(desk: ExecutionHarness) -> None:
    desk.broker.confirmation_texts = ("o163: The following order exceeds the price percentage limit",)
    draft = await desk.create(short_put())
    await desk.approve(await desk.simulate(draft.order.order_id))
    await desk.state(draft.order.order_id, S.FILLED)
    events = await eventually(
        lambda: [
            e
            for e in desk.recorded.orders
            if e.order.order_id == draft.order.order_id and e.state is S.FILLED
        ]
    )
    assert events[-1].confirmations == desk.broker.confirmation_texts
    submitted = [e for e in desk.recorded.orders if e.state is S.SUBMITTED]
    assert submitted[-1].confirmations == desk.broker.confirmation_texts


async def test_a_fresh_desk_announces_it_is_active(desk: ExecutionHarness) -> None:
    state = await eventually(lambda: desk.gateway.latest(EXEC_STATE), what="the trading state in KV")
    assert state.state is TradingState.ACTIVE
