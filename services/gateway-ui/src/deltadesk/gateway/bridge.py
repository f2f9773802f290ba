"""The gateway's requests to execution, market-data and the journal over the bus, and its one
publication: approvals.

Every call has a timeout. A peer that does not answer, or a bus that fails under the call, is
`PeerUnavailable` (the API's 503); an error reply comes back as the peer's own DeskError, code and
reason kept, for the API to map.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TypeVar
from uuid import UUID

import nats.errors

from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    CancelOrder,
    ChainReply,
    CreateOrder,
    CsvChunk,
    ExpiryList,
    ExportJournal,
    GetOptionChain,
    GetOrder,
    JournalPage,
    JournalQuery,
    LegQuotes,
    ListOptionExpiries,
    ListOrders,
    OrderList,
    OrderView,
    QuerySnapshots,
    QuoteLegs,
    SetTradingState,
    SimulateOrder,
    SnapshotSeries,
    TradingStateView,
)
from deltadesk.shared.errors import PeerUnavailable
from deltadesk.shared.events import ApprovalIssued, TradingState
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.messages import Message
from deltadesk.shared.orders import LegSpec, OptionChain, OrderRequest
from deltadesk.shared.simulation import Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_ORDERS_CANCEL,
    EXEC_ORDERS_CREATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    EXEC_SIMULATE,
    EXEC_STATE_SET,
    JOURNAL_FILLS_EXPORT,
    JOURNAL_FILLS_LIST,
    JOURNAL_SNAPSHOTS_LIST,
    MD_CHAIN_GET,
    MD_EXPIRIES_LIST,
    MD_LEGS_QUOTE,
    Subject,
)

logger = logging.getLogger(__name__)

Q = TypeVar("Q", bound=Message)
R = TypeVar("R", bound=Message)


class DeskLink:
    def __init__(self, bus: Bus, *, timeout_s: float = 5.0, simulate_timeout_s: float = 15.0) -> None:
        self.bus = bus
        self.timeout_s = timeout_s
        self.simulate_timeout_s = simulate_timeout_s

    # ── execution ───────────────────────────────────────────────────────────────────────────────
    async def create_order(self, request: OrderRequest, user: str) -> OrderView:
        return await self._ask(EXEC_ORDERS_CREATE, CreateOrder(request=request, user=user), OrderView)

    async def simulate(self, order_id: UUID, user: str) -> Simulation:
        return await self._ask(
            EXEC_SIMULATE, SimulateOrder(order_id=order_id, user=user), Simulation, self.simulate_timeout_s
        )

    async def order(self, order_id: UUID) -> OrderView:
        return await self._ask(EXEC_ORDERS_GET, GetOrder(order_id=order_id), OrderView)

    async def orders(self, account: str | None = None, limit: int = 200) -> OrderList:
        return await self._ask(EXEC_ORDERS_LIST, ListOrders(account=account, limit=limit), OrderList)

    async def cancel(self, order_id: UUID, user: str) -> OrderView:
        return await self._ask(EXEC_ORDERS_CANCEL, CancelOrder(order_id=order_id, user=user), OrderView)

    async def set_trading(self, state: TradingState, reason: str, user: str) -> TradingStateView:
        request = SetTradingState(state=state, reason=reason, user=user)
        return await self._ask(EXEC_STATE_SET, request, TradingStateView)

    async def publish_approval(self, event: ApprovalIssued) -> None:
        """On the JetStream stream; returns once the stream stored it (or raises PeerUnavailable)."""
        try:
            await self.bus.publish(EXEC_APPROVAL, event, account=event.account)
        except (TimeoutError, nats.errors.Error) as exc:
            raise PeerUnavailable(f"the bus did not store the approval: {exc!r}") from exc

    # ── market-data ─────────────────────────────────────────────────────────────────────────────
    async def quote_legs(self, account: str, legs: tuple[LegSpec, ...]) -> LegQuotes:
        return await self._ask(MD_LEGS_QUOTE, QuoteLegs(account=account, legs=legs), LegQuotes)

    async def expiries(self, account: str, underlying: str, instrument: InstrumentType) -> ExpiryList:
        request = ListOptionExpiries(account=account, underlying=underlying, instrument=instrument)
        return await self._ask(MD_EXPIRIES_LIST, request, ExpiryList)

    async def chain(
        self, account: str, underlying: str, expiry: date, instrument: InstrumentType
    ) -> OptionChain:
        request = GetOptionChain(account=account, underlying=underlying, expiry=expiry, instrument=instrument)
        reply = await self._ask(MD_CHAIN_GET, request, ChainReply)
        return reply.chain

    # ── the journal ─────────────────────────────────────────────────────────────────────────────
    async def journal(self, query: JournalQuery) -> JournalPage:
        return await self._ask(JOURNAL_FILLS_LIST, query, JournalPage)

    async def export_chunk(self, request: ExportJournal) -> CsvChunk:
        return await self._ask(JOURNAL_FILLS_EXPORT, request, CsvChunk)

    async def snapshots(self, query: QuerySnapshots) -> SnapshotSeries:
        return await self._ask(JOURNAL_SNAPSHOTS_LIST, query, SnapshotSeries)

    async def _ask(self, subject: Subject[Q], request: Q, expect: type[R], timeout: float | None = None) -> R:
        try:
            return await self.bus.request(subject, request, expect, timeout=timeout or self.timeout_s)
        except nats.errors.Error as exc:  # the connection itself failed under the request
            raise PeerUnavailable(f"{subject.pattern}: the bus failed: {exc!r}") from exc
