"""The bus layer against a real nats-server: headers, validation, dead letters, KV, streams, requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from deltadesk.shared.bus import HEADER_ID, HEADER_PUBLISHER, HEADER_TYPE, HEADER_VERSION, Bus, Rejected
from deltadesk.shared.errors import BrokerUnavailable, PeerUnavailable, RemoteError, UnauthorizedPublisher
from deltadesk.shared.events import BrokerState, BrokerStatusChanged, DeadLettered, LimitBreached
from deltadesk.shared.messages import Ack
from deltadesk.shared.paper import FaultKind, InjectFault
from deltadesk.shared.subjects import DLQ, MD_BROKER_STATUS, RISK_LIMIT_BREACHED, VENUE_FAULT_SET
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration

BusFactory = Callable[[str], Awaitable[Bus]]
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def status(account: str = "PAPER", state: BrokerState = BrokerState.UP) -> BrokerStatusChanged:
    return BrokerStatusChanged(
        event_id=uuid4(), occurred_at=NOW, account=account, broker="paper", state=state, since=NOW
    )


def breach(actual: float = 350.0, event_id: UUID | None = None) -> LimitBreached:
    return LimitBreached(
        event_id=event_id or uuid4(),
        occurred_at=NOW,
        account="PAPER",
        limit="max_portfolio_delta",
        threshold=300.0,
        actual=actual,
        regime="normal",
        description="|SPX delta| above 300",
    )


async def dead_letters(bus: Bus, service: str, count: int) -> list[DeadLettered]:
    sub = await bus.js.pull_subscribe(DLQ.render(service=service), durable=None, stream="DD_DLQ")
    msgs = await sub.fetch(count, timeout=5)
    return [DeadLettered.model_validate_json(m.data) for m in msgs]


async def test_publish_carries_id_type_version_and_publisher_headers(bus_factory: BusFactory) -> None:
    md, watcher = await bus_factory("market-data"), await bus_factory("risk")
    sub = await watcher.nc.subscribe(MD_BROKER_STATUS.wildcard())
    event = status()
    await md.publish(MD_BROKER_STATUS, event, account="PAPER")
    msg = await sub.next_msg(timeout=5)
    assert msg.subject == "dd.md.status.PAPER"
    assert msg.headers == {
        HEADER_ID: str(event.event_id),
        HEADER_TYPE: "BrokerStatusChanged",
        HEADER_VERSION: "1",
        HEADER_PUBLISHER: "market-data",
    }


async def test_only_listed_publishers_may_publish(bus_factory: BusFactory) -> None:
    gateway = await bus_factory("gateway")
    with pytest.raises(UnauthorizedPublisher):
        await gateway.publish(MD_BROKER_STATUS, status(), account="PAPER")


async def test_subscribe_validates_and_dead_letters_while_the_rest_flows(bus_factory: BusFactory) -> None:
    md, risk = await bus_factory("market-data"), await bus_factory("risk")
    received: list[BrokerStatusChanged] = []

    async def handle(event: BrokerStatusChanged) -> None:
        received.append(event)

    await risk.subscribe(MD_BROKER_STATUS, handle)
    await risk.nc.publish("dd.md.status.PAPER", b'{"not": "a status"}')
    await risk.nc.publish("dd.md.status.PAPER", b"\xff garbage", headers={HEADER_TYPE: "BrokerStatusChanged"})
    await risk.nc.publish(
        "dd.md.status.PAPER", status().model_dump_json().encode(), headers={HEADER_TYPE: "QuotesReported"}
    )
    good = status(state=BrokerState.DOWN)
    await md.publish(MD_BROKER_STATUS, good, account="PAPER")

    await eventually(lambda: received, what="the valid message")
    assert received == [good]
    letters = await dead_letters(risk, "risk", 3)
    assert [letter.subject for letter in letters] == ["dd.md.status.PAPER"] * 3
    assert "event_id" in letters[0].reason
    assert "Field required" in letters[0].reason
    assert "QuotesReported is not BrokerStatusChanged" in letters[2].reason
    assert letters[2].payload.startswith("{")


async def test_a_handler_rejection_is_dead_lettered_and_an_unexpected_error_does_not_stop_it(
    bus_factory: BusFactory,
) -> None:
    md, risk = await bus_factory("market-data"), await bus_factory("risk")
    calls: list[str] = []

    async def handle(event: BrokerStatusChanged) -> None:
        calls.append(event.account)
        if event.account == "BAD":
            raise Rejected("account BAD is not configured")
        if event.account == "BUG":
            raise RuntimeError("a bug")

    await risk.subscribe(MD_BROKER_STATUS, handle)
    for account in ("BAD", "BUG", "OK"):
        await md.publish(MD_BROKER_STATUS, status(account), account=account)
    await eventually(lambda: len(calls) == 3)
    (letter,) = await dead_letters(risk, "risk", 1)
    assert letter.reason == "account BAD is not configured"


async def test_kv_subjects_keep_the_latest_value_for_late_starters(bus_factory: BusFactory) -> None:
    md = await bus_factory("market-data")
    await md.publish(MD_BROKER_STATUS, status("A", BrokerState.UP), account="A")
    last_a = status("A", BrokerState.DOWN)
    await md.publish(MD_BROKER_STATUS, last_a, account="A")
    b = status("B")
    await md.publish(MD_BROKER_STATUS, b, account="B")

    late = await bus_factory("gateway")
    assert await late.latest(MD_BROKER_STATUS, account="A") == last_a
    assert await late.latest(MD_BROKER_STATUS, account="NONE") is None
    everything = await late.latest_matching(MD_BROKER_STATUS)
    assert sorted(everything, key=lambda e: e.account) == [last_a, b]
    assert await late.latest_matching(MD_BROKER_STATUS, account="B") == [b]


async def test_latest_matching_with_nothing_published_is_empty(bus_factory: BusFactory) -> None:
    assert await (await bus_factory("gateway")).latest_matching(MD_BROKER_STATUS) == []


async def test_stream_publish_is_deduplicated_on_the_event_id(bus_factory: BusFactory) -> None:
    risk = await bus_factory("risk")
    event = breach()
    await risk.publish(RISK_LIMIT_BREACHED, event, account="PAPER")
    await risk.publish(RISK_LIMIT_BREACHED, event, account="PAPER")
    info = await risk.js.stream_info("DD_RISK")
    assert info.state.messages == 1


async def test_a_durable_consumer_acks_after_the_handler_and_redelivers_on_failure(
    bus_factory: BusFactory,
) -> None:
    risk, analyst = await bus_factory("risk"), await bus_factory("gateway")
    first, second = breach(310.0), breach(320.0)
    await risk.publish(RISK_LIMIT_BREACHED, first, account="PAPER")
    await risk.publish(RISK_LIMIT_BREACHED, second, account="PAPER")
    seen: list[float] = []
    fail_once = {first.event_id}

    async def handle(event: LimitBreached) -> None:
        seen.append(event.actual)
        if event.event_id in fail_once:
            fail_once.clear()
            raise ConnectionError("database briefly down")

    consumer = await analyst.consume(RISK_LIMIT_BREACHED, "test-analyst", handle, ack_wait_s=5.0)
    try:
        await eventually(lambda: sorted(seen) == [310.0, 310.0, 320.0], timeout=15)

        async def all_acked() -> bool:
            info = await analyst.js.consumer_info("DD_RISK", "test-analyst")
            return info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(all_acked)
    finally:
        await consumer.stop()

    # a restarted consumer resumes after what was acked: nothing is handled twice
    again: list[float] = []

    async def record(event: LimitBreached) -> None:
        again.append(event.actual)

    third = breach(330.0)
    await risk.publish(RISK_LIMIT_BREACHED, third, account="PAPER")
    consumer = await analyst.consume(RISK_LIMIT_BREACHED, "test-analyst", record)
    try:
        await eventually(lambda: again)
        assert again == [330.0]
    finally:
        await consumer.stop()


async def test_a_message_that_keeps_failing_is_dead_lettered_after_its_last_delivery(
    bus_factory: BusFactory,
) -> None:
    risk, analyst = await bus_factory("risk"), await bus_factory("gateway")
    await risk.publish(RISK_LIMIT_BREACHED, breach(), account="PAPER")
    attempts = 0

    async def always_fails(event: LimitBreached) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("still down")

    consumer = await analyst.consume(
        RISK_LIMIT_BREACHED, "doomed", always_fails, max_deliver=2, ack_wait_s=1.0
    )
    try:
        (letter,) = await dead_letters(analyst, "gateway", 1)
    finally:
        await consumer.stop()
    assert attempts == 2
    assert "failed 2 deliveries" in letter.reason


async def test_a_malformed_stream_message_is_dead_lettered_and_terminated(bus_factory: BusFactory) -> None:
    risk, analyst = await bus_factory("risk"), await bus_factory("gateway")
    await risk.js.publish("dd.risk.limit.breached.PAPER", b"{}")
    good = breach()
    await risk.publish(RISK_LIMIT_BREACHED, good, account="PAPER")
    seen: list[LimitBreached] = []

    async def handle(event: LimitBreached) -> None:
        seen.append(event)

    consumer = await analyst.consume(RISK_LIMIT_BREACHED, "strict", handle)
    try:
        await eventually(lambda: seen)
        (letter,) = await dead_letters(analyst, "gateway", 1)
    finally:
        await consumer.stop()
    assert seen == [good]
    assert letter.subject == "dd.risk.limit.breached.PAPER"


async def test_request_reply_round_trip_and_errors(bus_factory: BusFactory) -> None:
    venue, cli = await bus_factory("paper-venue"), await bus_factory("cli")
    asked: list[FaultKind] = []

    async def handle(request: InjectFault) -> Ack:
        asked.append(request.kind)
        if request.kind is FaultKind.UNAVAILABLE:
            raise BrokerUnavailable("venue is closed")
        if request.kind is FaultKind.SILENT:
            raise RuntimeError("a bug")
        return Ack()

    with pytest.raises(PeerUnavailable, match="nobody answers"):
        await cli.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.NONE), Ack, timeout=2)

    await venue.serve(VENUE_FAULT_SET, handle)
    assert await cli.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.NONE), Ack) == Ack()
    with pytest.raises(BrokerUnavailable, match="venue is closed"):
        await cli.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.UNAVAILABLE), Ack)
    with pytest.raises(RemoteError) as info:
        await cli.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.SILENT), Ack)
    assert info.value.remote_code == "internal_error"

    reply = await cli.nc.request("dd.venue.fault.set", b'{"kind": "sideways"}', timeout=5)
    assert reply.headers == {"Dd-Error": "invalid_request"}
    assert b"kind" in reply.data
    assert asked == [FaultKind.NONE, FaultKind.UNAVAILABLE, FaultKind.SILENT]


async def test_a_request_nobody_answers_in_time_is_peer_unavailable(bus_factory: BusFactory) -> None:
    venue, cli = await bus_factory("paper-venue"), await bus_factory("cli")
    release = asyncio.Event()

    async def slow(request: InjectFault) -> Ack:
        await release.wait()
        return Ack()

    await venue.serve(VENUE_FAULT_SET, slow)
    with pytest.raises(PeerUnavailable, match="within"):
        await cli.request(VENUE_FAULT_SET, InjectFault(kind=FaultKind.NONE), Ack, timeout=0.3)
    release.set()


async def test_topology_setup_is_idempotent(bus_factory: BusFactory) -> None:
    bus = await bus_factory("risk")
    await bus.ensure_topology()
    await bus.ensure_topology()
    names = {info.config.name for info in await bus.js.streams_info()}
    assert {"DD_RISK", "DD_DLQ", "KV_dd-latest"} <= names
