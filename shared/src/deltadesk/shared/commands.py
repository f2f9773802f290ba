"""Request/reply messages between the desk's services: what one asks another to do or tell it.

Requests are imperatives (`SimulateOrder`); replies name what comes back (`OrderView`). The paper
venue's own protocol is in `deltadesk.shared.paper`; it reuses the reply shapes defined here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from deltadesk.shared.events import TradingState
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.messages import Message
from deltadesk.shared.orders import (
    BrokerOrderStatus,
    Contract,
    ContractQuote,
    Execution,
    LegFill,
    LegSpec,
    OptionChain,
    Order,
    OrderRequest,
    OrderState,
    WhatIf,
)
from deltadesk.shared.portfolio import PortfolioGreeks
from deltadesk.shared.positions import Position
from deltadesk.shared.simulation import Simulation

# ── shared reply shapes ─────────────────────────────────────────────────────────────────────────


class ContractReply(Message):
    contract: Contract


class ExpiryList(Message):
    expiries: tuple[date, ...]


class ChainReply(Message):
    chain: OptionChain


class ContractQuoteList(Message):
    quotes: tuple[ContractQuote, ...]


class WhatIfReply(Message):
    whatif: WhatIf


class OrderPlaced(Message):
    broker_order_id: str


class OrderStatusReply(Message):
    status: BrokerOrderStatus | None


class ExecutionList(Message):
    executions: tuple[Execution, ...]


# ── market-data: quotes and chains for the order builder ───────────────────────────────────────


class QuoteLegs(Message):
    """Resolve each leg at the account's broker and quote it (bid, ask, last; Greeks for options)."""

    account: str
    legs: tuple[LegSpec, ...] = Field(min_length=1, max_length=4)


class LegQuotes(Message):
    """One entry per leg asked, in order: the quote, or why there is none (never blocks entry)."""

    quotes: tuple[ContractQuote | None, ...]
    errors: tuple[str | None, ...]


class ListOptionExpiries(Message):
    account: str
    underlying: str = Field(min_length=1, max_length=32)
    instrument: InstrumentType = InstrumentType.OPT


class GetOptionChain(Message):
    account: str
    underlying: str = Field(min_length=1, max_length=32)
    expiry: date
    instrument: InstrumentType = InstrumentType.OPT


# ── risk: post-trade Greeks of a proposed order ─────────────────────────────────────────────────


class ComputeRiskWhatIf(Message):
    """The account's current portfolio plus these legs (each a position of the order's signed
    quantity, with per-unit Greeks and its underlying price), beta-weighted like any position."""

    account: str
    legs: tuple[Position, ...] = Field(min_length=1, max_length=4)


# ── execution: the order path ──────────────────────────────────────────────────────────────────


class CreateOrder(Message):
    request: OrderRequest
    user: str


class SimulateOrder(Message):
    order_id: UUID
    user: str


class GetOrder(Message):
    order_id: UUID


class ListOrders(Message):
    account: str | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class CancelOrder(Message):
    order_id: UUID
    user: str


class SetTradingState(Message):
    """The kill switch (HALTED) and its release (ACTIVE), or REDUCING by hand."""

    state: TradingState
    reason: str = Field(min_length=1, max_length=500)
    user: str


class OrderView(Message):
    """An order as the blotter shows it: its state, latest simulation and fill progress."""

    order: Order
    state: OrderState
    simulation: Simulation | None = None
    broker_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    legs: tuple[LegFill, ...] = ()
    code: str | None = None
    reason: str | None = None
    confirmations: tuple[str, ...] = ()  # the broker's warnings confirmed when placing, word for word
    updated_at: AwareDatetime


class OrderList(Message):
    orders: tuple[OrderView, ...]


class TradingStateView(Message):
    state: TradingState
    reason: str
    changed_by: str
    changed_at: AwareDatetime


# ── journal: queries over fills and account snapshots ───────────────────────────────────────────


class JournalQuery(Message):
    """Filters of the journal; every one optional. Newest first, `limit` rows from `offset`."""

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    account: str | None = None
    underlying: str | None = None
    strategy: str | None = None
    regime: str | None = None
    status: OrderState | None = None
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=1000)


class JournalEntry(Message):
    """One fill as journaled, with its context."""

    entry_id: UUID
    filled_at: AwareDatetime
    broker: str
    account: str
    order_id: UUID
    broker_order_id: str
    fill_id: str
    underlying: str
    strategy: str
    status: OrderState
    legs: tuple[LegFill, ...]
    quantity: Decimal
    net_price: Decimal | None
    net_debit_credit: Decimal
    commission: Decimal | None
    vix: float | None
    spx_price: float | None
    regime: str | None
    pre_trade: PortfolioGreeks | None
    post_trade: PortfolioGreeks | None
    rationale: str
    ai_rationale: str | None
    suggestion_id: UUID | None


class JournalPage(Message):
    """`limit` is the number of entries returned: lower than asked when the page had to be cut to fit
    one bus message, so paging by offset + limit misses nothing."""

    entries: tuple[JournalEntry, ...]
    total: int
    offset: int
    limit: int


class CsvLayout(StrEnum):
    FULL = "full"  # every field of the journal, one row per fill
    EXECUTIONS = (
        "executions"  # one row per leg execution: date, time, symbol, side, quantity, price, commission
    )


class ExportJournal(Message):
    """A chunk of the CSV of exactly what `query` shows; the caller pages with `query.offset`."""

    query: JournalQuery
    layout: CsvLayout = CsvLayout.FULL
    header: bool = True


class CsvChunk(Message):
    text: str
    rows: int
    next_offset: int | None


class SnapshotRange(StrEnum):
    DAY = "1D"
    WEEK = "1W"
    MONTH = "1M"
    ALL = "All"
    CUSTOM = "custom"


class QuerySnapshots(Message):
    account: str
    range: SnapshotRange = SnapshotRange.WEEK
    start: AwareDatetime | None = None  # for CUSTOM
    end: AwareDatetime | None = None
    max_points: int = Field(default=1000, ge=10, le=5000)


class SnapshotPoint(Message):
    """One time bucket of account snapshots (averages over the bucket; last for money)."""

    at: AwareDatetime
    net_liquidation: Decimal | None
    spx_delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    theta_delta_ratio: float | None  # None where delta is 0: a gap, never a spike
    sebastian_ratio: float | None  # |theta| / |vega|
    vix: float | None
    spx_price: float | None
    regime: str | None


class SnapshotSeries(Message):
    account: str
    bucket_seconds: int
    points: tuple[SnapshotPoint, ...]
    paper: bool  # seeded or simulated history: shown as paper data


class SeedHistory(Message):
    account: str
    days: int = Field(ge=1, le=730)
    until: AwareDatetime | None = None
