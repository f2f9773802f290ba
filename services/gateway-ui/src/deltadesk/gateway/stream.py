"""The /api/stream body: the current state on connect, then every update, as Server-Sent Events.

Event `risk` carries a RiskUpdated, event `status` a BrokerStatusChanged, both as their bus JSON.
An idle stream sends a keep-alive comment every `keepalive_s`. The stream ends when the client
leaves (its mailbox is then closed) or when the gateway stops (every mailbox is closed at once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from deltadesk.gateway.mailbox import MailboxClosed, Update
from deltadesk.gateway.state import DeskState
from deltadesk.shared.events import RiskUpdated

RECONNECT_MS = 2000  # the browser's EventSource waits this long before it reconnects


def event_name(update: Update) -> str:
    return "risk" if isinstance(update, RiskUpdated) else "status"


async def server_sent_events(state: DeskState, keepalive_s: float) -> AsyncIterator[ServerSentEvent]:
    mailbox = state.open_mailbox()
    try:
        yield ServerSentEvent(comment="connected", retry=RECONNECT_MS)
        while True:
            try:
                update = await mailbox.get(keepalive_s)
            except MailboxClosed:
                return
            if update is None:
                yield ServerSentEvent(comment="keep-alive")
            else:
                yield ServerSentEvent(event=event_name(update), data=update)
    finally:
        state.close_mailbox(mailbox)
