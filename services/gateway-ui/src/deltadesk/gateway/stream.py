"""The /api/stream body: the current state on connect, then every update, as Server-Sent Events.

Event `risk` carries a RiskUpdated, event `status` a BrokerStatusChanged, both as their bus JSON;
event `order` an order's blotter entry (the API's order body), event `trading` a TradingStateChanged,
event `snapshot` a SnapshotTaken (the journal's snapshot logger ran for an account, or failed).
An idle stream sends a keep-alive comment every `keepalive_s`. The stream ends when the client
leaves (its mailbox is then closed), when its login ends, or when the gateway stops (every mailbox
is closed at once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi.sse import ServerSentEvent

from deltadesk.gateway.domain.blotter import OrderEntry
from deltadesk.gateway.mailbox import MailboxClosed, Update
from deltadesk.gateway.state import DeskState
from deltadesk.shared.events import RiskUpdated, SnapshotTaken, TradingStateChanged

RECONNECT_MS = 2000  # the browser's EventSource waits this long before it reconnects


def event_name(update: Update) -> str:
    if isinstance(update, RiskUpdated):
        return "risk"
    if isinstance(update, OrderEntry):
        return "order"
    if isinstance(update, TradingStateChanged):
        return "trading"
    if isinstance(update, SnapshotTaken):
        return "snapshot"
    return "status"


async def server_sent_events(
    state: DeskState, keepalive_s: float, alive: Callable[[], bool] = lambda: True
) -> AsyncIterator[ServerSentEvent]:
    """`alive` says whether the client's login still stands: the stream ends once it does not."""
    mailbox = state.open_mailbox()
    try:
        yield ServerSentEvent(comment="connected", retry=RECONNECT_MS)
        while True:
            try:
                update = await mailbox.get(keepalive_s)
            except MailboxClosed:
                return
            if not alive():
                return
            if update is None:
                yield ServerSentEvent(comment="keep-alive")
            else:
                yield ServerSentEvent(event=event_name(update), data=update)
    finally:
        state.close_mailbox(mailbox)
