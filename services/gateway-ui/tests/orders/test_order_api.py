"""The order API through the running gateway, against execution and market-data faked on real NATS.

Every line of the HTTP contract (issue 5) and each refusal: drafts, simulations, the two-step
approval (signed with the key folder's private key, verified with its public key), cancels, the
kill switch, quotes and chains, the blotter's live events, and 503s when a peer is silent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.orders import order_hash
from deltadesk.shared.signing import PUBLIC_KEY_FILE, load_verify_key, signature_valid
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration


def iron_condor(tickets: Any, account: str = "PAPER", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = tickets.iron_condor(account=account, **kw).model_dump(mode="json")
    return body


@pytest.fixture
async def api(gateway: Any, desk: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway.session() as client:
        yield client


async def draft(api: httpx.AsyncClient, tickets: Any, **kw: Any) -> dict[str, Any]:
    answer = await api.post("/api/orders", json=iron_condor(tickets, **kw))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def simulated(api: httpx.AsyncClient, tickets: Any, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    order = await draft(api, tickets, **kw)
    answer = await api.post(f"/api/orders/{order['order_id']}/simulate")
    assert answer.status_code == 200, answer.text
    return order, answer.json()


def approval_of(simulation: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "simulation_id": simulation["simulation_id"],
        "order_hash": simulation["order_hash"],
        "confirm": True,
    }
    body.update(overrides)
    return body


async def state_of(api: httpx.AsyncClient, order_id: str) -> str:
    state: str = (await api.get(f"/api/orders/{order_id}")).json()["state"]
    return state


def refusal(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code, body
    reason: str = body["reason"]
    return reason


# ── drafts ──────────────────────────────────────────────────────────────────────────────────────
async def test_a_draft_is_created_with_every_leg_resolved(api: httpx.AsyncClient, tickets: Any) -> None:
    order = await draft(api, tickets)
    assert order["state"] == "DRAFT"
    assert (order["account"], order["broker"], order["draft"], order["cancellable"]) == (
        "PAPER",
        "paper",
        True,
        True,
    )
    assert [leg["contract"]["trading_class"] for leg in order["order"]["legs"]] == ["SPXW"] * 4
    assert order["order"]["limit_price"] == "-8.60"
    assert order["summary"].startswith("BUY 1 SPXW 2026-04-17 5500 P / SELL 1 SPXW 2026-04-17 5600 P")
    again = await api.get(f"/api/orders/{order['order_id']}")
    assert again.status_code == 200
    assert again.json()["order"] == order["order"]
    listed = (await api.get("/api/orders")).json()["orders"]
    assert [o["order_id"] for o in listed] == [order["order_id"]]


async def test_more_than_four_legs_is_refused_naming_the_legs(api: httpx.AsyncClient, tickets: Any) -> None:
    body = iron_condor(tickets)
    body["legs"].append(body["legs"][0])
    reason = refusal(await api.post("/api/orders", json=body), 422, "invalid_request")
    assert reason == "legs: an order has at most 4 legs, this one has 5"


@pytest.mark.parametrize("quantity", [0, -1])
async def test_a_quantity_of_zero_or_less_is_refused_naming_the_leg(
    api: httpx.AsyncClient, tickets: Any, quantity: int
) -> None:
    body = iron_condor(tickets)
    body["legs"][1]["quantity"] = quantity
    reason = refusal(await api.post("/api/orders", json=body), 422, "invalid_request")
    assert reason.startswith("legs.1.quantity:")


async def test_moc_with_an_option_leg_is_refused(api: httpx.AsyncClient, tickets: Any) -> None:
    body = iron_condor(tickets) | {"order_type": "MOC", "limit_price": None}
    reason = refusal(await api.post("/api/orders", json=body), 422, "invalid_request")
    assert reason == "order_type: MOC not supported for options — switch to Limit or Market"


async def test_moc_for_shares_is_a_draft(api: httpx.AsyncClient) -> None:
    body = {
        "account": "PAPER",
        "legs": [{"action": "SELL", "instrument": "ETF", "underlying": "SPY", "quantity": 100}],
        "order_type": "MOC",
        "tif": "DAY",
    }
    answer = await api.post("/api/orders", json=body)
    assert answer.status_code == 201, answer.text


async def test_a_limit_order_without_a_price_is_refused(api: httpx.AsyncClient, tickets: Any) -> None:
    body = iron_condor(tickets) | {"limit_price": None}
    assert refusal(await api.post("/api/orders", json=body), 422, "invalid_request").startswith(
        "limit_price:"
    )


async def test_an_account_that_cannot_be_a_subject_token_is_refused(
    api: httpx.AsyncClient, tickets: Any
) -> None:
    reason = refusal(
        await api.post("/api/orders", json=iron_condor(tickets, account="a.b")), 422, "invalid_account"
    )
    assert reason.startswith("account:")


async def test_a_leg_the_broker_cannot_resolve_is_refused_naming_it(api: httpx.AsyncClient) -> None:
    body = {
        "account": "PAPER",
        "legs": [
            {"action": "BUY", "instrument": "STK", "underlying": "AAPL", "quantity": 100},
            {"action": "SELL", "instrument": "STK", "underlying": "NOPE", "quantity": 100},
        ],
        "order_type": "MKT",
    }
    reason = refusal(await api.post("/api/orders", json=body), 422, "leg_unresolvable")
    assert reason.startswith("legs.1:")


async def test_an_account_no_broker_serves_is_refused(api: httpx.AsyncClient, tickets: Any) -> None:
    reason = refusal(
        await api.post("/api/orders", json=iron_condor(tickets, account="U999")), 422, "unknown_account"
    )
    assert reason.startswith("account:")


# ── simulations ─────────────────────────────────────────────────────────────────────────────────
async def test_a_simulation_answers_margin_greeks_limits_and_what_to_approve(
    api: httpx.AsyncClient, tickets: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    assert simulation["order_id"] == order["order_id"]
    assert len(simulation["order_hash"]) == 64
    assert simulation["margin"]["initial_margin_change"] == "9140"
    assert simulation["margin"]["commission"] == "2.64"
    assert simulation["post_trade"]["spx_delta"] == pytest.approx(61.2)
    assert [c["limit"] for c in simulation["checks"]] == ["max_portfolio_delta", "min_theta"]
    assert (simulation["breaches"], simulation["breached_greeks"]) == ([], [])
    view = (await api.get(f"/api/orders/{order['order_id']}")).json()
    assert view["state"] == "SIMULATED"
    assert view["simulation"]["simulation_id"] == simulation["simulation_id"]


async def test_the_simulations_hash_is_the_canonical_hash_of_the_order(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    held = desk.execution.record(UUID(order["order_id"]))
    assert simulation["order_hash"] == order_hash(held.order)


async def test_a_breach_marks_the_post_trade_delta(api: httpx.AsyncClient, tickets: Any, desk: Any) -> None:
    desk.execution.post_delta = 341.5
    _, simulation = await simulated(api, tickets)
    assert [b["limit"] for b in simulation["breaches"]] == ["max_portfolio_delta"]
    assert simulation["breached_greeks"] == ["delta"]


async def test_simulating_an_unknown_order_is_a_404(api: httpx.AsyncClient) -> None:
    refusal(await api.post(f"/api/orders/{uuid4()}/simulate"), 404, "order_not_found")


async def test_an_order_id_that_is_not_one_is_refused_naming_it(api: httpx.AsyncClient) -> None:
    assert refusal(await api.post("/api/orders/42/simulate"), 422, "invalid_request").startswith("order_id:")


async def test_a_broker_outage_during_simulation_is_a_503_with_the_reason(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    desk.execution.simulate_fault = BrokerUnavailable("paper venue does not answer")
    order = await draft(api, tickets)
    reason = refusal(await api.post(f"/api/orders/{order['order_id']}/simulate"), 503, "broker_unavailable")
    assert reason == "paper venue does not answer"
    assert await state_of(api, order["order_id"]) == "DRAFT"  # nothing stored as simulated


async def test_an_order_that_is_not_a_draft_cannot_be_simulated(api: httpx.AsyncClient, tickets: Any) -> None:
    order = await draft(api, tickets)
    await api.post(f"/api/orders/{order['order_id']}/cancel")
    refusal(await api.post(f"/api/orders/{order['order_id']}/simulate"), 409, "invalid_order_state")


async def test_a_silent_execution_is_a_503_not_a_hang(
    start_gateway: Callable[..., Any], desk: Any, tickets: Any
) -> None:
    async with start_gateway(gateway_simulate_timeout_s=0.5) as gateway, gateway.session() as api:
        order = await draft(api, tickets)
        desk.execution.simulate_hangs = True
        reason = refusal(await api.post(f"/api/orders/{order['order_id']}/simulate"), 503, "peer_unavailable")
        assert "within 0.5 s" in reason


async def test_without_execution_every_order_call_is_a_503_with_a_reason(gateway: Any, tickets: Any) -> None:
    async with gateway.session() as api:
        reason = refusal(await api.post("/api/orders", json=iron_condor(tickets)), 503, "peer_unavailable")
        assert "dd.exec.orders.create" in reason
        refusal(await api.get("/api/orders"), 503, "peer_unavailable")
        refusal(await api.post("/api/kill-switch", json={"engaged": True}), 503, "peer_unavailable")
        refusal(
            await api.get("/api/expiries", params={"account": "PAPER", "underlying": "SPX"}),
            503,
            "peer_unavailable",
        )


# ── approval ────────────────────────────────────────────────────────────────────────────────────
async def test_an_approval_is_signed_for_exactly_the_reviewed_simulation_and_the_order_fills(
    api: httpx.AsyncClient, tickets: Any, desk: Any, key_dir: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))
    assert answer.status_code == 202, answer.text
    sent = answer.json()
    await asyncio.wait_for(desk.execution.approval_seen.wait(), 10)
    [approval] = desk.execution.approvals
    assert signature_valid(approval, load_verify_key(key_dir / PUBLIC_KEY_FILE))
    assert str(approval.order_id) == order["order_id"] == sent["order_id"]
    assert str(approval.simulation_id) == simulation["simulation_id"]
    assert approval.order_hash == simulation["order_hash"]
    assert approval.user == "trader"
    assert approval.expires_at - approval.issued_at == timedelta(seconds=60)
    assert len(approval.nonce) >= 16
    assert "nonce" not in sent
    assert "signature" not in sent

    async def filled() -> bool:
        return await state_of(api, order["order_id"]) == "FILLED"

    await eventually(filled, what="the order filled")


async def test_without_the_confirmation_nothing_is_approved(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    answer = await api.post(
        f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation, confirm=False)
    )
    assert refusal(answer, 422, "confirmation_required").startswith("confirm:")
    assert desk.execution.approvals == []


async def test_an_approval_without_a_simulation_is_refused(api: httpx.AsyncClient, tickets: Any) -> None:
    order = await draft(api, tickets)
    body = {"simulation_id": str(uuid4()), "order_hash": "0" * 64, "confirm": True}
    reason = refusal(
        await api.post(f"/api/orders/{order['order_id']}/approve", json=body), 409, "not_simulated"
    )
    assert reason.startswith("simulation_id:")


async def test_a_different_hash_is_refused(api: httpx.AsyncClient, tickets: Any) -> None:
    order, simulation = await simulated(api, tickets)
    answer = await api.post(
        f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation, order_hash="f" * 64)
    )
    assert refusal(answer, 409, "hash_mismatch").startswith("order_hash:")


async def test_a_malformed_hash_is_refused_naming_it(api: httpx.AsyncClient, tickets: Any) -> None:
    order, simulation = await simulated(api, tickets)
    answer = await api.post(
        f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation, order_hash="xyz")
    )
    assert refusal(answer, 422, "invalid_request").startswith("order_hash:")


async def test_a_stale_simulation_is_refused_after_simulating_again(
    api: httpx.AsyncClient, tickets: Any
) -> None:
    order, first = await simulated(api, tickets)
    second = (await api.post(f"/api/orders/{order['order_id']}/simulate")).json()
    assert second["simulation_id"] != first["simulation_id"]
    answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(first))
    assert refusal(answer, 409, "stale_simulation").startswith("simulation_id:")
    answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(second))
    assert answer.status_code == 202


async def test_an_expired_simulation_cannot_be_approved(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    desk.execution.valid_s = -1.0
    order, simulation = await simulated(api, tickets)
    answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))
    refusal(answer, 409, "simulation_expired")
    assert desk.execution.approvals == []


async def test_a_second_approval_of_one_simulation_is_refused_before_execution_answers(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    desk.execution.fill = desk.Fill.HOLD
    order, simulation = await simulated(api, tickets)
    path = f"/api/orders/{order['order_id']}/approve"
    first, second = await asyncio.gather(
        api.post(path, json=approval_of(simulation)), api.post(path, json=approval_of(simulation))
    )
    assert sorted([first.status_code, second.status_code]) == [202, 409]
    refused = first if first.status_code == 409 else second
    assert refused.json()["code"] == "already_approved"
    await asyncio.wait_for(desk.execution.approval_seen.wait(), 10)
    assert len(desk.execution.approvals) == 1


async def test_an_order_already_approved_is_not_approved_again(api: httpx.AsyncClient, tickets: Any) -> None:
    order, simulation = await simulated(api, tickets)
    path = f"/api/orders/{order['order_id']}/approve"
    assert (await api.post(path, json=approval_of(simulation))).status_code == 202

    async def done() -> bool:
        return await state_of(api, order["order_id"]) == "FILLED"

    await eventually(done, what="the first approval's fill")
    refusal(await api.post(path, json=approval_of(simulation)), 409, "already_approved")


async def test_an_order_changed_after_its_simulation_is_refused(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    desk.execution.tamper(UUID(order["order_id"]))
    answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))
    assert "changed after it was simulated" in refusal(answer, 409, "order_changed")


async def test_no_approval_while_the_kill_switch_is_engaged(api: httpx.AsyncClient, tickets: Any) -> None:
    order, simulation = await simulated(api, tickets)
    engaged = await api.post("/api/kill-switch", json={"engaged": True, "reason": "CPI print"})
    assert engaged.status_code == 200
    assert engaged.json() | {"changed_at": None} == {
        "state": "HALTED",
        "reason": "CPI print",
        "changed_by": "trader",
        "changed_at": None,
    }

    async def halted() -> bool:
        return (await api.get("/api/kill-switch")).json()["state"] == "HALTED"

    await eventually(halted, what="the trading state from the bus")
    path = f"/api/orders/{order['order_id']}/approve"
    refusal(await api.post(path, json=approval_of(simulation)), 409, "trading_halted")
    released = await api.post("/api/kill-switch", json={"engaged": False})
    assert released.json()["state"] == "ACTIVE"
    assert released.json()["reason"] == "kill switch released from the desk page"

    async def active() -> bool:
        return (await api.get("/api/kill-switch")).json()["state"] == "ACTIVE"

    await eventually(active, what="the release from the bus")
    assert (await api.post(path, json=approval_of(simulation))).status_code == 202


async def test_without_a_signing_key_approvals_are_refused_with_a_reason(
    start_gateway: Callable[..., Any], desk: Any, tickets: Any, tmp_path: Any
) -> None:
    async with start_gateway(approval_key_dir=tmp_path / "empty") as gateway, gateway.session() as api:
        order, simulation = await simulated(api, tickets)
        answer = await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))
        assert "no approval signing key" in refusal(answer, 503, "signing_unavailable")


# ── cancel, the blotter, the kill switch ────────────────────────────────────────────────────────
async def test_cancelling_a_draft_discards_it(api: httpx.AsyncClient, tickets: Any) -> None:
    order = await draft(api, tickets)
    answer = await api.post(f"/api/orders/{order['order_id']}/cancel")
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["draft"], answer.json()["cancellable"]) == (
        "CANCELLED",
        True,
        False,
    )


async def test_a_filled_order_cannot_be_cancelled(api: httpx.AsyncClient, tickets: Any) -> None:
    order, simulation = await simulated(api, tickets)
    await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))

    async def filled() -> bool:
        return await state_of(api, order["order_id"]) == "FILLED"

    await eventually(filled, what="the fill")
    refusal(await api.post(f"/api/orders/{order['order_id']}/cancel"), 409, "invalid_order_state")


async def test_the_blotter_follows_order_events_live(
    gateway: Any, api: httpx.AsyncClient, tickets: Any
) -> None:
    order, simulation = await simulated(api, tickets)
    async with api.stream("GET", "/api/stream") as stream:
        events = sse(stream)
        first = await next_order(events, order["order_id"], "SIMULATED")
        assert first["simulation"]["simulation_id"] == simulation["simulation_id"]
        await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))
        filled = await next_order(events, order["order_id"], "FILLED")
        assert filled["broker_order_id"].startswith("P-")
        assert filled["filled_quantity"] == "1"
        assert filled["draft"] is False


async def test_a_partial_fill_shows_its_unfilled_legs(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    desk.execution.fill = desk.Fill.PARTIAL
    order, simulation = await simulated(api, tickets)
    await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))

    async def partial() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"/api/orders/{order['order_id']}")).json()
        return body if body["state"] == "PARTIAL" else None

    entry = await eventually(partial, what="the partial fill")
    assert [leg["symbol"] for leg in entry["unfilled_legs"]] == [
        entry["order"]["legs"][3]["contract"]["symbol"]
    ]
    assert entry["cancellable"] is True


async def test_an_unknown_outcome_tells_the_trader_to_check_the_broker(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    desk.execution.fill = desk.Fill.UNKNOWN
    order, simulation = await simulated(api, tickets)
    await api.post(f"/api/orders/{order['order_id']}/approve", json=approval_of(simulation))

    async def unknown() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"/api/orders/{order['order_id']}")).json()
        return body if body["state"] == "UNKNOWN" else None

    entry = await eventually(unknown, what="the lost answer")
    assert entry["note"] == "Order status unknown — verify in broker platform"


async def test_orders_from_before_the_gateway_started_are_in_its_blotter(
    start_gateway: Callable[..., Any], desk: Any, tickets: Any
) -> None:
    async with start_gateway() as gateway, gateway.session() as api:
        order = await draft(api, tickets)
    async with (
        start_gateway() as gateway,
        gateway.session() as api,
        api.stream("GET", "/api/stream") as stream,
    ):
        entry = await next_order(sse(stream), order["order_id"], "DRAFT")
        assert entry["summary"] == order["summary"]


async def test_the_blotter_is_hydrated_once_execution_answers(
    start_gateway: Callable[..., Any], make_desk: Callable[..., Any], tickets: Any
) -> None:
    async with start_gateway() as gateway, gateway.session() as api:
        desk = await make_desk()  # execution comes up after the gateway
        order = tickets.resolve(tickets.iron_condor())
        desk.execution.orders[order.order_id] = desk.Record(order)  # known to execution, never announced
        async with api.stream("GET", "/api/stream") as stream:
            entry = await next_order(sse(stream), str(order.order_id), "DRAFT")
        assert entry["summary"].startswith("BUY 1 SPXW")


# ── the builder's market ────────────────────────────────────────────────────────────────────────
async def test_legs_are_quoted_with_the_combos_natural_and_mid(
    api: httpx.AsyncClient, tickets: Any, desk: Any
) -> None:
    legs = iron_condor(tickets, expiry=desk.market.expiries[3])["legs"]
    answer = await api.post("/api/quotes/legs", json={"account": "PAPER", "legs": legs})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["errors"] == [None] * 4
    assert [q["contract"]["trading_class"] for q in body["quotes"]] == ["SPXW"] * 4
    bids = [float(q["bid"]) for q in body["quotes"]]
    asks = [float(q["ask"]) for q in body["quotes"]]
    assert float(body["combo"]["natural"]) == pytest.approx(asks[0] - bids[1] - bids[2] + asks[3])
    assert float(body["combo"]["natural"]) < 0  # a short condor a month out: a credit
    mids = [(float(q["bid"]) + float(q["ask"])) / 2 for q in body["quotes"]]
    assert float(body["combo"]["mid"]) == pytest.approx(mids[0] - mids[1] - mids[2] + mids[3])
    assert body["combo"]["ratios"] == [1, -1, -1, 1]


async def test_a_leg_without_a_quote_says_why_and_leaves_the_others(api: httpx.AsyncClient) -> None:
    legs = [
        {"action": "BUY", "instrument": "FUT", "underlying": "/ES", "quantity": 1},
        {"action": "SELL", "instrument": "STK", "underlying": "NOQUOTE", "quantity": 1},
    ]
    body = (await api.post("/api/quotes/legs", json={"account": "PAPER", "legs": legs})).json()
    assert body["quotes"][0]["contract"]["symbol"] == "/ESM6"  # the front month
    assert body["quotes"][1] is None
    assert body["errors"] == [None, "no market data subscription for NOQUOTE"]
    assert body["combo"]["natural"] is None


async def test_expiries_and_a_chain_for_the_builder(api: httpx.AsyncClient, desk: Any) -> None:
    expiries = (await api.get("/api/expiries", params={"account": "PAPER", "underlying": "SPX"})).json()
    assert expiries["expiries"] == [d.isoformat() for d in desk.market.expiries]
    chain = await api.get(
        "/api/chain", params={"account": "PAPER", "underlying": "SPX", "expiry": expiries["expiries"][3]}
    )
    assert chain.status_code == 200
    rows = chain.json()["rows"]
    assert len(rows) == 49
    atm = rows[24]
    assert atm["strike"] == "6000"
    assert 0.4 < atm["call"]["greeks"]["delta"] < 0.6
    assert atm["put"]["iv"] > 0


async def test_a_chain_the_broker_does_not_list_is_refused_with_its_reason(api: httpx.AsyncClient) -> None:
    answer = await api.get(
        "/api/chain", params={"account": "PAPER", "underlying": "ZZZ", "expiry": "2026-04-17"}
    )
    assert refusal(answer, 422, "broker_rejected") == "no options listed for ZZZ"


# ── the API document ────────────────────────────────────────────────────────────────────────────
async def test_openapi_documents_the_order_path(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    paths = spec["paths"]
    expected = {
        ("/api/orders", "post", "201"),
        ("/api/orders", "get", "200"),
        ("/api/orders/{order_id}", "get", "200"),
        ("/api/orders/{order_id}/simulate", "post", "200"),
        ("/api/orders/{order_id}/approve", "post", "202"),
        ("/api/orders/{order_id}/cancel", "post", "200"),
        ("/api/kill-switch", "post", "200"),
        ("/api/kill-switch", "get", "200"),
        ("/api/quotes/legs", "post", "200"),
        ("/api/expiries", "get", "200"),
        ("/api/chain", "get", "200"),
        ("/api/session", "get", "200"),
        ("/login", "post", "303"),
        ("/logout", "post", "204"),
    }
    for path, method, status in expected:
        assert status in paths[path][method]["responses"], (path, method)
    approve = paths["/api/orders/{order_id}/approve"]["post"]
    for status in ("401", "403", "404", "409", "422", "503"):
        assert approve["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    assert spec["components"]["securitySchemes"]["APIKeyCookie"]["name"] == "dd_session"


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────
async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


async def next_order(
    events: AsyncIterator[tuple[str, dict[str, Any]]], order_id: str, state: str
) -> dict[str, Any]:
    async def find() -> dict[str, Any]:
        async for name, data in events:
            if name == "order" and data["order_id"] == order_id and data["state"] == state:
                return data
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 10)
