"""The fake's DXLink streamer: the websocket protocol the tastytrade SDK speaks, server side.

    client SETUP                 → SETUP, then AUTH_STATE UNAUTHORIZED
    client AUTH {token}          → AUTH_STATE AUTHORIZED (the token /api-quote-tokens issued), else
                                   ERROR UNAUTHORIZED and the socket closes
    client CHANNEL_REQUEST       → CHANNEL_OPENED (service FEED)
    client FEED_SETUP            → FEED_CONFIG (COMPACT, the event fields the client accepted)
    client FEED_SUBSCRIPTION     → FEED_DATA for each added symbol the market knows, in COMPACT form:
                                   ["Quote", [v1, v2, …]] with the values in the client's field order
    client CHANNEL_CANCEL        → CHANNEL_CLOSED
    client KEEPALIVE             → KEEPALIVE

A subscription message with more symbols than `max_symbols_per_message` closes the socket with code
1009 (message too big), as DXLink does. `publish()` pushes fresh events (after a price change) to
every subscriber; `drop()` closes every socket, to test reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from deltadesk.brokers.tastytrade.fakes.market import FakeMarket

MESSAGE_TOO_BIG = 1009
GOING_AWAY = 1001


@dataclass
class Channel:
    fields: dict[str, list[str]] = field(default_factory=dict)  # event type → field names, client's order
    subscribed: dict[str, set[str]] = field(default_factory=dict)  # event type → symbols


@dataclass
class Connection:
    socket: WebSocket
    authorized: bool = False
    channels: dict[int, Channel] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            await self.socket.send_json(message)


@dataclass
class FakeDxlinkState:
    market: FakeMarket
    token: str
    max_symbols_per_message: int = 2000
    connections: list[Connection] = field(default_factory=list)
    connections_total: int = 0
    subscription_sizes: list[int] = field(default_factory=list)  # symbols per FEED_SUBSCRIPTION received
    refused_messages: int = 0

    def subscribers(self, event_type: str, symbol: str) -> int:
        return sum(
            1
            for c in self.connections
            for ch in c.channels.values()
            if symbol in ch.subscribed.get(event_type, set())
        )

    async def publish(self, symbols: Iterable[str] | None = None) -> None:
        """Send every subscriber the current events of `symbols` (all subscribed ones when None)."""
        wanted = set(symbols) if symbols is not None else None
        for connection in list(self.connections):
            for number, channel in connection.channels.items():
                for event_type, subscribed in channel.subscribed.items():
                    chosen = subscribed if wanted is None else subscribed & wanted
                    await self._send_data(connection, number, channel, event_type, sorted(chosen))

    async def drop(self, code: int = GOING_AWAY) -> None:
        """Close every connection, as a network failure or a server restart would."""
        for connection in list(self.connections):
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await connection.socket.close(code)
        self.connections.clear()

    async def _send_data(
        self, connection: Connection, number: int, channel: Channel, event_type: str, symbols: list[str]
    ) -> None:
        names = channel.fields.get(event_type)
        if not names or not symbols:
            return
        values: list[Any] = []
        for symbol in symbols:
            event = self.market.events(event_type, symbol)
            if event is None:
                continue
            values.extend(event.get(name, "NaN") for name in names)
        if values:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await connection.send({"type": "FEED_DATA", "channel": number, "data": [event_type, values]})


def create_dxlink(state: FakeDxlinkState) -> Starlette:
    async def endpoint(socket: WebSocket) -> None:
        await socket.accept()
        connection = Connection(socket)
        state.connections.append(connection)
        state.connections_total += 1
        try:
            while True:
                message = await socket.receive_json()
                if not await _handle(state, connection, message):
                    return
        except WebSocketDisconnect:
            pass
        finally:
            if connection in state.connections:
                state.connections.remove(connection)

    return Starlette(routes=[WebSocketRoute("/realtime", endpoint)])


async def _handle(state: FakeDxlinkState, connection: Connection, message: dict[str, Any]) -> bool:
    """Answer one client message; False when the connection is to close."""
    kind, number = message.get("type"), int(message.get("channel", 0))
    if kind == "SETUP":
        await connection.send(
            {
                "type": "SETUP",
                "channel": 0,
                "keepaliveTimeout": 60,
                "acceptKeepaliveTimeout": 60,
                "version": "1.0-fake",
            }
        )
        await connection.send({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
    elif kind == "AUTH":
        if message.get("token") != state.token:
            await connection.send(
                {"type": "ERROR", "channel": 0, "error": "UNAUTHORIZED", "message": "bad token"}
            )
            await connection.socket.close(1008)
            return False
        connection.authorized = True
        await connection.send(
            {"type": "AUTH_STATE", "channel": 0, "state": "AUTHORIZED", "userId": "fake-user"}
        )
    elif kind == "KEEPALIVE":
        await connection.send({"type": "KEEPALIVE", "channel": 0})
    elif not connection.authorized:
        await connection.send(
            {"type": "ERROR", "channel": number, "error": "UNAUTHORIZED", "message": "AUTH first"}
        )
    elif kind == "CHANNEL_REQUEST":
        connection.channels[number] = Channel()
        await connection.send(
            {
                "type": "CHANNEL_OPENED",
                "channel": number,
                "service": "FEED",
                "parameters": {"contract": "AUTO"},
            }
        )
    elif kind == "CHANNEL_CANCEL":
        connection.channels.pop(number, None)
        await connection.send({"type": "CHANNEL_CLOSED", "channel": number})
    elif kind == "FEED_SETUP":
        channel = connection.channels.setdefault(number, Channel())
        channel.fields.update(message.get("acceptEventFields") or {})
        await connection.send(
            {
                "type": "FEED_CONFIG",
                "channel": number,
                "dataFormat": "COMPACT",
                "aggregationPeriod": message.get("acceptAggregationPeriod", 0.1),
                "eventFields": channel.fields,
            }
        )
    elif kind == "FEED_SUBSCRIPTION":
        added, removed = message.get("add") or [], message.get("remove") or []
        state.subscription_sizes.append(len(added) + len(removed))
        if len(added) + len(removed) > state.max_symbols_per_message:
            state.refused_messages += 1
            await connection.socket.close(MESSAGE_TOO_BIG)
            return False
        channel = connection.channels.setdefault(number, Channel())
        for item in removed:
            channel.subscribed.get(item["type"], set()).discard(item["symbol"])
        fresh: dict[str, list[str]] = {}
        for item in added:
            channel.subscribed.setdefault(item["type"], set()).add(item["symbol"])
            fresh.setdefault(item["type"], []).append(item["symbol"])
        for event_type, symbols in fresh.items():
            await state._send_data(connection, number, channel, event_type, symbols)
    return True
