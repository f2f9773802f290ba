"""The gateway's run() on a real NATS server: bus → state → /api/stream and /api/portfolio."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deltadesk.gateway.errors import ServeFailed
from deltadesk.gateway.service import SERVICE, run
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.shared.events import BrokerState, OrderStateChanged, TradingState, TradingStateChanged
from deltadesk.shared.orders import OrderState
from deltadesk.shared.subjects import (
    EXEC_ORDER,
    EXEC_STATE,
    EXECUTION,
    MARKET_DATA,
    MD_BROKER_STATUS,
    RISK,
    RISK_UPDATED,
)
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event, data) of each Server-Sent Event with data; comments (keep-alives) are skipped."""
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


async def next_event(
    events: AsyncIterator[tuple[str, dict[str, Any]]], match: Callable[[str, dict[str, Any]], bool]
) -> tuple[str, dict[str, Any]]:
    async def find() -> tuple[str, dict[str, Any]]:
        async for name, data in events:
            if match(name, data):
                return name, data
        raise AssertionError("the stream ended before the expected event")

    return await asyncio.wait_for(find(), 10)


async def test_a_risk_update_reaches_the_stream_and_the_api(
    gateway: Any, bus_factory: Any, book: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    update = book.risk("PAPER")
    async with gateway.session() as client, client.stream("GET", "/api/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        await risk_bus.publish(RISK_UPDATED, update, account="PAPER")
        name, data = await next_event(events, lambda n, d: d.get("event_id") == str(update.event_id))
        assert name == "risk"
        assert data["greeks"]["spx_delta"] == update.greeks.spx_delta
        newer = book.risk("PAPER", occurred_at=book.now + timedelta(seconds=2), es_quantity=3)
        await risk_bus.publish(RISK_UPDATED, newer, account="PAPER")
        _, data = await next_event(events, lambda n, d: d.get("event_id") == str(newer.event_id))
        assert data["greeks"]["spx_delta"] == newer.greeks.spx_delta
        portfolio = await client.get("/api/portfolio", params={"account": "PAPER"})
    assert portfolio.status_code == 200
    assert portfolio.json()["greeks"]["spx_delta"] == newer.greeks.spx_delta


async def test_state_published_before_the_gateway_started_is_served_from_kv(
    start_gateway: Any, bus_factory: Any, book: Any
) -> None:
    risk_bus, md_bus = await bus_factory(RISK), await bus_factory(MARKET_DATA)
    early = book.risk("total")
    down = book.status("PAPER", reason="paper venue does not answer")
    await risk_bus.publish(RISK_UPDATED, early, account="total")
    await md_bus.publish(MD_BROKER_STATUS, down, account="PAPER")
    async with start_gateway() as gateway, gateway.session() as client:
        portfolio = await client.get("/api/portfolio")
        assert portfolio.status_code == 200
        assert portfolio.json()["greeks"]["spx_delta"] == early.greeks.spx_delta
        async with client.stream("GET", "/api/stream") as response:
            events = sse_events(response)
            _, data = await next_event(events, lambda n, d: n == "status")
            assert (data["account"], data["state"], data["reason"]) == ("PAPER", "down", down.reason)
            _, data = await next_event(events, lambda n, d: n == "risk")
            assert data["event_id"] == str(early.event_id)


async def test_a_broker_going_down_reaches_the_stream(gateway: Any, bus_factory: Any, book: Any) -> None:
    md_bus = await bus_factory(MARKET_DATA)
    async with gateway.session() as client, client.stream("GET", "/api/stream") as response:
        events = sse_events(response)
        await md_bus.publish(MD_BROKER_STATUS, book.status("U222", reason="HTTP 503"), account="U222")
        _, data = await next_event(events, lambda n, d: n == "status" and d["account"] == "U222")
        assert (data["state"], data["reason"]) == (BrokerState.DOWN.value, "HTTP 503")


async def test_an_idle_stream_gets_keep_alive_comments(gateway: Any) -> None:
    async with gateway.session() as client, client.stream("GET", "/api/stream") as response:

        async def first_keep_alive() -> str:
            async for line in response.aiter_lines():
                if line.startswith(": keep-alive"):
                    return str(line)
            raise AssertionError("the stream ended")

        assert await asyncio.wait_for(first_keep_alive(), 10) == ": keep-alive"


async def test_a_client_that_leaves_stops_being_fed(gateway: Any) -> None:
    async with gateway.session() as client:
        async with client.stream("GET", "/api/stream") as response:
            # keep the line iterator: a dropped one is finalised, and that closes the response
            lines = response.aiter_lines()
            assert await asyncio.wait_for(anext(lines), 10) == ": connected"
            assert (await client.get("/api/health")).json()["stream_clients"] == 1
            await lines.aclose()

        async def released() -> bool | None:
            return (await client.get("/api/health")).json()["stream_clients"] == 0

        await eventually(released, what="the departed client's mailbox closed")


async def test_a_malformed_risk_message_is_dead_lettered_and_the_gateway_carries_on(
    gateway: Any, bus_factory: Any, book: Any
) -> None:
    risk_bus = await bus_factory(RISK)
    dead = await risk_bus.nc.subscribe("dd.dlq.gateway")
    await risk_bus.nc.publish(RISK_UPDATED.render(account="PAPER"), b'{"account": "PAPER"}')
    letter = await dead.next_msg(timeout=10)
    assert json.loads(letter.data)["subject"] == "dd.risk.greeks.PAPER"
    good = book.risk("PAPER")
    await risk_bus.publish(RISK_UPDATED, good, account="PAPER")
    async with gateway.session() as client:

        async def served() -> bool | None:
            answer = await client.get("/api/portfolio", params={"account": "PAPER"})
            return answer.status_code == 200 and answer.json()["updated_at"] is not None

        await eventually(served, what="the valid update served after the malformed one")


async def test_stop_returns_promptly_even_with_an_open_stream(start_gateway: Any) -> None:
    async with start_gateway() as gateway, gateway.session() as client:
        async with client.stream("GET", "/api/stream") as response:
            lines = response.aiter_lines()
            assert await asyncio.wait_for(anext(lines), 10) == ": connected"
            gateway.stop.set()
            # run() returns (bounded well below the graceful-shutdown timeout) and the stream ends cleanly.
            await asyncio.wait_for(asyncio.shield(gateway.task), 10)
            rest = [line async for line in lines]
        assert all(line == "" or line.startswith(("retry:", ": keep-alive")) for line in rest)


async def test_a_port_already_taken_fails_run_with_a_reason_instead_of_exiting(
    nats_url: str, gateway_settings: Any
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = gateway_settings(nats_url, port=taken.getsockname()[1])
        task = asyncio.create_task(run(settings, asyncio.Event()))
        done, _ = await asyncio.wait({task}, timeout=15)  # a guard against a hang, not a timing test
        if not done:
            task.cancel()
        assert done, "run() did not return by itself after failing to serve"
        with pytest.raises(ServeFailed, match="could not serve"):
            task.result()


def test_the_service_spec_names_the_page_url() -> None:
    settings = GatewaySettings(_env_file=None, gateway_host="0.0.0.0", gateway_port=8123)
    assert SERVICE.name == "gateway"
    assert SERVICE.url is not None
    assert SERVICE.url(settings) == "http://127.0.0.1:8123"
    assert SERVICE.health_path == "/api/health"


async def test_a_stream_ends_when_its_login_does(gateway: Any) -> None:
    async with gateway.session() as client, client.stream("GET", "/api/stream") as response:
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 10) == ": connected"
        assert (await client.post("/logout")).status_code == 204

        async def rest() -> list[str]:
            return [line async for line in lines]

        remaining = await asyncio.wait_for(rest(), 10)  # ends at the next keep-alive at the latest
    assert not any(line.startswith("event:") for line in remaining)


async def test_the_trading_state_and_order_events_reach_the_stream(
    gateway: Any, bus_factory: Any, tickets: Any
) -> None:
    execution = await bus_factory(EXECUTION)
    order = tickets.resolve(tickets.iron_condor())
    async with gateway.session() as client, client.stream("GET", "/api/stream") as response:
        events = sse_events(response)
        halted = TradingStateChanged(
            event_id=uuid4(),
            occurred_at=tickets.now,
            state=TradingState.HALTED,
            reason="CPI",
            changed_by="cli",
        )
        await execution.publish(EXEC_STATE, halted)
        _, data = await next_event(events, lambda n, d: n == "trading")
        assert (data["state"], data["reason"]) == ("HALTED", "CPI")
        changed = OrderStateChanged(
            event_id=uuid4(),
            occurred_at=tickets.now,
            account="PAPER",
            order=order,
            state=OrderState.SUBMITTED,
            broker_order_id="P-1",
        )
        await execution.publish(EXEC_ORDER, changed, account="PAPER", order_id=str(order.order_id))
        _, data = await next_event(events, lambda n, d: n == "order")
        assert (data["order_id"], data["state"], data["broker_order_id"]) == (
            str(order.order_id),
            "SUBMITTED",
            "P-1",
        )
        assert (await client.get("/api/kill-switch")).json()["state"] == "HALTED"
