"""The approval protocol on real NATS: forged, replayed, stale and changed approvals send nothing, and
every refusal is on the audit stream with its code."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from deltadesk.execution.testing import ExecutionHarness, short_put
from deltadesk.shared.bus import Bus
from deltadesk.shared.events import ApprovalIssued, OrderDenied
from deltadesk.shared.orders import OrderState
from deltadesk.shared.signing import PUBLIC_KEY_FILE, ensure_keypair, load_signing_key, sign_approval
from deltadesk.shared.simulation import Simulation
from deltadesk.shared.subjects import EXEC_APPROVAL, EXEC_AUDIT, EXEC_STREAM
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
S = OrderState
BusFactory = Callable[[str], Awaitable[Bus]]
MakeDesk = Callable[..., Awaitable[ExecutionHarness]]


async def simulated(desk: ExecutionHarness) -> Simulation:
    draft = await desk.create(short_put())
    return await desk.simulate(draft.order.order_id)


async def denial(desk: ExecutionHarness, code: str) -> OrderDenied:
    """The denial with `code`, read back from the audit stream itself (not only seen in passing)."""

    async def probe() -> OrderDenied | None:
        for event in await audit_stream(desk.gateway):
            if event.code == code:
                return event
        return None

    return await eventually(probe, what=f"{code} on the audit stream")


async def audit_stream(bus: Bus) -> list[OrderDenied]:
    sub = await bus.js.subscribe(EXEC_AUDIT.wildcard(), stream=EXEC_STREAM.name, ordered_consumer=True)
    found: list[OrderDenied] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.2)
            except TimeoutError:
                return found
            found.append(OrderDenied.model_validate_json(msg.data))
    finally:
        await sub.unsubscribe()


async def test_an_approval_signed_with_another_key_is_refused_and_audited(
    desk: ExecutionHarness, tmp_path: Path
) -> None:
    simulation = await simulated(desk)
    forger_key = load_signing_key(ensure_keypair(tmp_path / "forger")[0])
    genuine = desk.approval(simulation)
    forged = sign_approval(genuine.model_copy(update={"approval_id": uuid4()}), forger_key)
    await desk.send(forged)  # same nonce as the genuine one, sent first
    refused = await denial(desk, "SIGNATURE_INVALID")
    assert refused.order_id == simulation.order_id
    assert refused.stage == "approval"
    assert desk.broker.placed == []
    assert (await desk.order(simulation.order_id)).state is S.SIMULATED  # a forgery says nothing

    await desk.send(genuine)  # the forgery did not burn the real approval's nonce
    await desk.state(simulation.order_id, S.FILLED)
    assert len(desk.broker.placed) == 1


async def test_an_unsigned_approval_is_refused_and_audited(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    await desk.send(desk.approval(simulation, signed=False))
    await denial(desk, "SIGNATURE_INVALID")
    assert desk.broker.placed == []


async def test_an_approval_published_raw_by_another_client_is_refused_and_audited(
    desk: ExecutionHarness, bus_factory: BusFactory
) -> None:
    simulation = await simulated(desk)
    intruder = await bus_factory("market-data")  # its bus would refuse; it writes the bytes itself
    approval = desk.approval(simulation, signed=False).model_copy(update={"signature": "AAAA" * 22})
    issued = ApprovalIssued(
        event_id=uuid4(), occurred_at=datetime.now(UTC), account="PAPER", approval=approval
    )
    await intruder.js.publish(EXEC_APPROVAL.render(account="PAPER"), issued.model_dump_json().encode())
    await denial(desk, "SIGNATURE_INVALID")
    assert desk.broker.placed == []
    assert (await desk.order(simulation.order_id)).state is S.SIMULATED


async def test_a_replayed_approval_sends_nothing_twice(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    approval = await desk.approve(simulation)
    await desk.state(simulation.order_id, S.FILLED)
    await desk.send(approval)  # the same signed approval again, as a new message
    replay = await denial(desk, "NONCE_REUSED")
    assert replay.order_id == simulation.order_id
    assert len(desk.broker.placed) == 1
    assert (await desk.order(simulation.order_id)).state is S.FILLED  # the replay changes nothing


async def test_the_same_approval_message_twice_is_handled_once(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    approval = desk.approval(simulation)
    event_id = uuid4()
    await desk.send(approval, event_id=event_id)
    await desk.send(approval, event_id=event_id)  # JetStream drops it: the same Nats-Msg-Id
    await desk.state(simulation.order_id, S.FILLED)
    second = desk.approval(simulation)  # a later approval of the same (now filled) order
    await desk.send(second)
    await denial(desk, "APPROVAL_MISMATCH")
    assert len(desk.broker.placed) == 1
    assert not [d for d in await audit_stream(desk.gateway) if d.code == "NONCE_REUSED"]


async def test_an_approval_of_an_expired_simulation_is_refused(make_desk: MakeDesk) -> None:
    async with await make_desk(exec_simulation_validity_s=0.001) as desk:
        simulation = await simulated(desk)
        await desk.approve(simulation)
        refused = await denial(desk, "APPROVAL_EXPIRED")
        assert "simulation" in refused.reason
        rejected = await desk.state(simulation.order_id, S.REJECTED)
        assert rejected.code == "APPROVAL_EXPIRED"
        assert desk.broker.placed == []


async def test_an_expired_approval_is_refused(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    past = datetime.now(UTC) - timedelta(minutes=2)
    await desk.send(desk.approval(simulation, issued_at=past, expires_at=past + timedelta(seconds=60)))
    await denial(desk, "APPROVAL_EXPIRED")
    assert (await desk.state(simulation.order_id, S.REJECTED)).reason
    assert desk.broker.placed == []


async def test_an_approval_with_another_hash_is_refused(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    await desk.send(desk.approval(simulation, order_hash="0" * 64))
    await denial(desk, "ORDER_CHANGED_AFTER_SIMULATION")
    assert desk.broker.placed == []


async def test_an_approval_of_an_earlier_simulation_is_refused(desk: ExecutionHarness) -> None:
    first = await simulated(desk)
    await desk.simulate(first.order_id)  # simulated again: the first one is no longer approvable
    await desk.approve(first)
    await denial(desk, "APPROVAL_MISMATCH")
    assert desk.broker.placed == []


async def test_an_approval_of_an_unknown_order_is_audited(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    await desk.send(desk.approval(simulation, order_id=uuid4()))
    refused = await denial(desk, "APPROVAL_MISMATCH")
    assert refused.order_id != simulation.order_id
    assert desk.broker.placed == []


async def test_without_the_public_key_every_approval_is_refused(desk: ExecutionHarness) -> None:
    simulation = await simulated(desk)
    (desk.settings.approval_keys / PUBLIC_KEY_FILE).unlink()
    await desk.approve(simulation)
    refused = await denial(desk, "APPROVAL_KEY_UNAVAILABLE")
    assert PUBLIC_KEY_FILE in refused.reason
    assert desk.broker.placed == []
    assert (await desk.order(simulation.order_id)).state is S.SIMULATED


async def test_a_malformed_approval_is_dead_lettered_not_obeyed(
    desk: ExecutionHarness, bus_factory: BusFactory
) -> None:
    simulation = await simulated(desk)
    intruder = await bus_factory("market-data")
    body = json.dumps({"account": "PAPER", "approval": {"order_id": str(simulation.order_id)}})
    await intruder.js.publish(EXEC_APPROVAL.render(account="PAPER"), body.encode())
    await desk.approve(simulation)  # the consumer carries on past it
    await desk.state(simulation.order_id, S.FILLED)
    assert len(desk.broker.placed) == 1
