"""The subject catalog: every subject on the bus, its payload, its delivery and who may publish it.

Subjects are the desk's public integration API. Handlers never format a subject string; they
render one from here (`RISK_UPDATED.render(account=…)`). `docs/subjects.md` and the publish
permissions in `deploy/nats-server.conf` are generated from `CATALOG`, and tests fail when either
checked-in file is stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from deltadesk.shared.commands import (
    CancelOrder,
    ChainReply,
    ComputeRiskWhatIf,
    ContractQuoteList,
    ContractReply,
    CreateOrder,
    CsvChunk,
    ExecutionList,
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
    OrderPlaced,
    OrderStatusReply,
    OrderView,
    QuerySnapshots,
    QuoteLegs,
    SeedHistory,
    SetTradingState,
    SimulateOrder,
    SnapshotSeries,
    TradingStateView,
    WhatIfReply,
)
from deltadesk.shared.errors import InvalidSubjectToken
from deltadesk.shared.events import (
    ApprovalIssued,
    BalancesReported,
    BrokerStatusChanged,
    DeadLettered,
    FillReceived,
    LimitBreached,
    LimitCleared,
    OrderDenied,
    OrderStateChanged,
    PositionsReported,
    QuotesReported,
    RiskUpdated,
    SnapshotTaken,
    TradingStateChanged,
)
from deltadesk.shared.messages import Ack, Message
from deltadesk.shared.paper import (
    BalancesReply,
    CancelPaperOrder,
    ComputeMargin,
    FindPaperOrder,
    FrontMonth,
    GetBalances,
    GetPaperOrderStatus,
    GetQuotes,
    GetVenueChain,
    InjectFault,
    ListPaperExecutions,
    ListPositions,
    ListVenueExpiries,
    PlacePaperOrder,
    PositionList,
    QuoteContracts,
    QuoteList,
    ResolveLeg,
    SetFillBehaviour,
)
from deltadesk.shared.simulation import RiskWhatIf, Simulation

M = TypeVar("M", bound=Message)

# The actors that may publish. Services are named as their entry points; "cli" is the command line.
MARKET_DATA = "market-data"
PAPER_VENUE = "paper-venue"
RISK = "risk"
GATEWAY = "gateway"
EXECUTION = "execution"
JOURNAL = "journal"
CLI = "cli"
SERVICES = frozenset({MARKET_DATA, PAPER_VENUE, RISK, GATEWAY, EXECUTION, JOURNAL})
ACTORS = SERVICES | {CLI}
BROKER_CLIENTS = frozenset({MARKET_DATA, EXECUTION})  # the processes that hold broker adapters

LATEST_BUCKET = "dd-latest"  # KV: latest state, keyed by the rendered subject
ORDERS_BUCKET = "dd-orders"  # KV: execution's order records (the order, its simulation, its state)
NONCES_BUCKET = "dd-nonces"  # KV: approval nonces, created once; a second create fails
VENUE_BUCKET = "dd-venue"  # KV: the paper venue's accounts and orders, so a restart keeps them
# Buckets only their owner may write (or delete from): a used approval nonce must stay used.
PRIVATE_BUCKETS: dict[str, tuple[str, ...]] = {
    EXECUTION: (ORDERS_BUCKET, NONCES_BUCKET),
    PAPER_VENUE: (VENUE_BUCKET,),
}
_TOKEN_FORBIDDEN = frozenset(".*> \t\r\n")
_TOKEN_RE = re.compile(r"\{(\w+)\}")


class Delivery(StrEnum):
    CORE = "core"  # fire and forget: fine to miss, the next one follows
    STREAM = "stream"  # JetStream: durable, de-duplicated on Nats-Msg-Id, explicit acks
    KV = "kv"  # core publish plus the latest value in the dd-latest KV bucket, for late starters
    REQUEST = "request"  # request/reply: the subject ends in a verb


@dataclass(frozen=True)
class Stream:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float = 365.0
    duplicate_window_s: float = 120.0


@dataclass(frozen=True)
class Subject(Generic[M]):
    pattern: str
    payload: type[M]
    delivery: Delivery
    publishers: frozenset[str]
    description: str
    reply: type[Message] | None = None
    stream: Stream | None = None
    tokens: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(_TOKEN_RE.findall(self.pattern)))
        if self.delivery is Delivery.REQUEST and self.reply is None:
            raise ValueError(f"{self.pattern}: a request subject needs a reply model")
        if self.delivery is Delivery.STREAM and self.stream is None:
            raise ValueError(f"{self.pattern}: a stream subject needs its stream")

    def render(self, **tokens: str) -> str:
        """The concrete subject. Every token must be given and be one clean subject token."""
        if set(tokens) != set(self.tokens):
            raise InvalidSubjectToken(f"{self.pattern}: expected tokens {self.tokens}, got {sorted(tokens)}")
        for name, value in tokens.items():
            check_token(name, value)
        return self.pattern.format(**tokens)

    def wildcard(self, **tokens: str) -> str:
        """A subscription pattern: tokens given are fixed, the others match anything (`*`)."""
        for name, value in tokens.items():
            if name not in self.tokens:
                raise InvalidSubjectToken(f"{self.pattern}: no token named {name}")
            check_token(name, value)
        return self.pattern.format(**{name: tokens.get(name, "*") for name in self.tokens})

    def parse(self, subject: str) -> dict[str, str]:
        """The tokens of a concrete subject of this pattern."""
        regex = "^" + re.escape(self.pattern).replace(r"\{", "{").replace(r"\}", "}") + "$"
        for name in self.tokens:
            regex = regex.replace("{" + name + "}", f"(?P<{name}>[^.]+)")
        match = re.match(regex, subject)
        if match is None:
            raise InvalidSubjectToken(f"{subject} is not a {self.pattern} subject")
        return match.groupdict()


def check_token(name: str, value: str) -> None:
    if not value or set(value) & _TOKEN_FORBIDDEN or not value.isprintable():
        raise InvalidSubjectToken(f"subject token {name}={value!r} is empty or holds . * > or whitespace")


# ── streams ─────────────────────────────────────────────────────────────────────────────────────
RISK_STREAM = Stream("DD_RISK", ("dd.risk.limit.>",), "Limit breaches as they start and clear.")
DLQ_STREAM = Stream(
    "DD_DLQ", ("dd.dlq.>",), "Messages a service could not accept, with the reason.", max_age_days=30.0
)
EXEC_STREAM = Stream(
    "DD_EXEC",
    ("dd.exec.approval.>", "dd.exec.order.>", "dd.exec.fill.>", "dd.exec.audit.>"),
    "Approvals, order state changes, fills and denials: the order path's record.",
    duplicate_window_s=600.0,
)
STREAMS: tuple[Stream, ...] = (RISK_STREAM, EXEC_STREAM, DLQ_STREAM)

# ── market data ─────────────────────────────────────────────────────────────────────────────────
MD_POSITIONS = Subject(
    "dd.md.positions.{account}",
    PositionsReported,
    Delivery.KV,
    frozenset({MARKET_DATA}),
    "Every open position of an account with per-unit Greeks and underlying price, each poll.",
)
MD_BALANCES = Subject(
    "dd.md.balances.{account}",
    BalancesReported,
    Delivery.KV,
    frozenset({MARKET_DATA}),
    "Net liquidation, cash and margin of an account, each poll.",
)
MD_QUOTES = Subject(
    "dd.md.quotes.{account}",
    QuotesReported,
    Delivery.KV,
    frozenset({MARKET_DATA}),
    "Quotes from an account's broker feed: every held underlying, SPX and VIX.",
)
MD_BROKER_STATUS = Subject(
    "dd.md.status.{account}",
    BrokerStatusChanged,
    Delivery.KV,
    frozenset({MARKET_DATA}),
    "A broker connection went up or down, with the error that took it down.",
)

# ── risk ────────────────────────────────────────────────────────────────────────────────────────
RISK_UPDATED = Subject(
    "dd.risk.greeks.{account}",
    RiskUpdated,
    Delivery.KV,
    frozenset({RISK}),
    "Beta-weighted positions and portfolio Greeks of an account (`total`: all accounts), or halted.",
)
RISK_LIMIT_BREACHED = Subject(
    "dd.risk.limit.breached.{account}",
    LimitBreached,
    Delivery.STREAM,
    frozenset({RISK}),
    "A risk_matrix.yaml limit started being breached (once, not every tick).",
    stream=RISK_STREAM,
)
RISK_LIMIT_CLEARED = Subject(
    "dd.risk.limit.cleared.{account}",
    LimitCleared,
    Delivery.STREAM,
    frozenset({RISK}),
    "A breached limit is back within its threshold.",
    stream=RISK_STREAM,
)

# ── paper venue (request/reply; the paper adapter is its only client) ───────────────────────────
VENUE_POSITIONS_LIST = Subject(
    "dd.venue.positions.list",
    ListPositions,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "The paper account's positions, priced by the simulated market.",
    reply=PositionList,
)
VENUE_BALANCES_GET = Subject(
    "dd.venue.balances.get",
    GetBalances,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "The paper account's net liquidation, cash and maintenance margin.",
    reply=BalancesReply,
)
VENUE_QUOTES_GET = Subject(
    "dd.venue.quotes.get",
    GetQuotes,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "Quotes from the simulated market for the given symbols.",
    reply=QuoteList,
)
VENUE_FAULT_SET = Subject(
    "dd.venue.fault.set",
    InjectFault,
    Delivery.REQUEST,
    frozenset({CLI}),
    "Make the paper venue fail (unavailable, silent) or recover: the desk's fault injector.",
    reply=Ack,
)

# ── market-data: the order builder's quotes and chains ─────────────────────────────────────────
MD_LEGS_QUOTE = Subject(
    "dd.md.legs.quote",
    QuoteLegs,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "Resolve each leg at the account's broker and quote it (bid, ask, last; Greeks for options).",
    reply=LegQuotes,
)
MD_EXPIRIES_LIST = Subject(
    "dd.md.expiries.list",
    ListOptionExpiries,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "Option expiries of an underlying (or of a future's options) at the account's broker.",
    reply=ExpiryList,
)
MD_CHAIN_GET = Subject(
    "dd.md.chain.get",
    GetOptionChain,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "One expiry's strike chain with bid, ask, delta and IV for both rights.",
    reply=ChainReply,
)

# ── risk: what-if for a proposed order ──────────────────────────────────────────────────────────
RISK_WHATIF = Subject(
    "dd.risk.whatif.compute",
    ComputeRiskWhatIf,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "Post-trade Greeks: the account's portfolio plus the order's legs, and the limits it would breach.",
    reply=RiskWhatIf,
)

# ── execution: the order path ───────────────────────────────────────────────────────────────────
EXEC_ORDERS_CREATE = Subject(
    "dd.exec.orders.create",
    CreateOrder,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "Create a DRAFT order: every leg resolved to a contract at the account's broker.",
    reply=OrderView,
)
EXEC_SIMULATE = Subject(
    "dd.exec.simulate",
    SimulateOrder,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "Simulate an order: broker what-if margin plus risk's post-trade Greeks; stores the simulation.",
    reply=Simulation,
)
EXEC_ORDERS_GET = Subject(
    "dd.exec.orders.get",
    GetOrder,
    Delivery.REQUEST,
    frozenset({GATEWAY}),
    "One order with its state, latest simulation and fills.",
    reply=OrderView,
)
EXEC_ORDERS_LIST = Subject(
    "dd.exec.orders.list",
    ListOrders,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "The blotter: orders newest first, with their states.",
    reply=OrderList,
)
EXEC_ORDERS_CANCEL = Subject(
    "dd.exec.orders.cancel",
    CancelOrder,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "Cancel an order: a draft or simulation is discarded, a working order is cancelled at the broker.",
    reply=OrderView,
)
EXEC_STATE_SET = Subject(
    "dd.exec.state.set",
    SetTradingState,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "The kill switch: HALTED stops all transmission until released (ACTIVE); or REDUCING.",
    reply=TradingStateView,
)
EXEC_STATE = Subject(
    "dd.exec.state",
    TradingStateChanged,
    Delivery.KV,
    frozenset({EXECUTION}),
    "The trading state: ACTIVE, REDUCING (exposure-reducing orders only) or HALTED.",
)
EXEC_APPROVAL = Subject(
    "dd.exec.approval.{account}",
    ApprovalIssued,
    Delivery.STREAM,
    frozenset({GATEWAY}),
    "A human's signed approval of one simulated order. Only the gateway may publish it.",
    stream=EXEC_STREAM,
)
EXEC_ORDER = Subject(
    "dd.exec.order.{account}.{order_id}",
    OrderStateChanged,
    Delivery.STREAM,
    frozenset({EXECUTION}),
    "An order's state changed (DRAFT … FILLED | PARTIAL | REJECTED | CANCELLED | UNKNOWN).",
    stream=EXEC_STREAM,
)
EXEC_FILL = Subject(
    "dd.exec.fill.{account}.{order_id}",
    FillReceived,
    Delivery.STREAM,
    frozenset({EXECUTION}),
    "A fill with its context (per-leg prices, pre/post Greeks, VIX, SPX, regime, rationale).",
    stream=EXEC_STREAM,
)
EXEC_AUDIT = Subject(
    "dd.exec.audit.{account}",
    OrderDenied,
    Delivery.STREAM,
    frozenset({EXECUTION}),
    "An approval or order refused before reaching a broker, with the rule's code and reason.",
    stream=EXEC_STREAM,
)

# ── journal ─────────────────────────────────────────────────────────────────────────────────────
JOURNAL_FILLS_LIST = Subject(
    "dd.journal.fills.list",
    JournalQuery,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "Journal entries matching the filters, newest first, a page at a time.",
    reply=JournalPage,
)
JOURNAL_FILLS_EXPORT = Subject(
    "dd.journal.fills.export",
    ExportJournal,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "A chunk of the CSV of exactly what a journal query shows.",
    reply=CsvChunk,
)
JOURNAL_SNAPSHOTS_LIST = Subject(
    "dd.journal.snapshots.list",
    QuerySnapshots,
    Delivery.REQUEST,
    frozenset({GATEWAY, CLI}),
    "Account snapshots over a range, down-sampled into time buckets for charts.",
    reply=SnapshotSeries,
)
JOURNAL_HISTORY_SEED = Subject(
    "dd.journal.history.seed",
    SeedHistory,
    Delivery.REQUEST,
    frozenset({CLI}),
    "Fill a paper account's history by running the simulated market through time (paper data).",
    reply=Ack,
)
JOURNAL_SNAPSHOT = Subject(
    "dd.journal.snapshot.{account}",
    SnapshotTaken,
    Delivery.KV,
    frozenset({JOURNAL}),
    "The snapshot logger's last run for an account: when, or the error that stopped it.",
)

# ── the paper venue's order side ────────────────────────────────────────────────────────────────
VENUE_CONTRACT_RESOLVE = Subject(
    "dd.venue.contract.resolve",
    ResolveLeg,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "The simulated market's contract for a leg (futures without expiry: the front month).",
    reply=ContractReply,
)
VENUE_FRONTMONTH_GET = Subject(
    "dd.venue.frontmonth.get",
    FrontMonth,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "The front-month future of a root.",
    reply=ContractReply,
)
VENUE_EXPIRIES_LIST = Subject(
    "dd.venue.expiries.list",
    ListVenueExpiries,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "Option expiries listed in the simulated market.",
    reply=ExpiryList,
)
VENUE_CHAIN_GET = Subject(
    "dd.venue.chain.get",
    GetVenueChain,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "A strike chain priced by the simulated market.",
    reply=ChainReply,
)
VENUE_CONTRACTS_QUOTE = Subject(
    "dd.venue.contracts.quote",
    QuoteContracts,
    Delivery.REQUEST,
    BROKER_CLIENTS,
    "Markets and Greeks of resolved contracts.",
    reply=ContractQuoteList,
)
VENUE_MARGIN_COMPUTE = Subject(
    "dd.venue.margin.compute",
    ComputeMargin,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "What-if: the paper account's strategy-based margin with and without an order.",
    reply=WhatIfReply,
)
VENUE_ORDER_PLACE = Subject(
    "dd.venue.order.place",
    PlacePaperOrder,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "Transmit an approved order to the paper venue.",
    reply=OrderPlaced,
)
VENUE_ORDER_GET = Subject(
    "dd.venue.order.get",
    GetPaperOrderStatus,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "A paper order's status by the venue's order id.",
    reply=OrderStatusReply,
)
VENUE_ORDER_FIND = Subject(
    "dd.venue.order.find",
    FindPaperOrder,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "A paper order's status by client order id (None when the venue never saw it).",
    reply=OrderStatusReply,
)
VENUE_EXECUTIONS_LIST = Subject(
    "dd.venue.executions.list",
    ListPaperExecutions,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "Fills of the paper account since a time.",
    reply=ExecutionList,
)
VENUE_ORDER_CANCEL = Subject(
    "dd.venue.order.cancel",
    CancelPaperOrder,
    Delivery.REQUEST,
    frozenset({EXECUTION}),
    "Cancel a working paper order.",
    reply=Ack,
)
VENUE_FILLS_SET = Subject(
    "dd.venue.fills.set",
    SetFillBehaviour,
    Delivery.REQUEST,
    frozenset({CLI}),
    "How the paper venue fills (immediately, partially, never) or rejects: a test hook.",
    reply=Ack,
)

# ── dead letters ────────────────────────────────────────────────────────────────────────────────
DLQ = Subject(
    "dd.dlq.{service}",
    DeadLettered,
    Delivery.STREAM,
    ACTORS,
    "A message that failed validation or handling, with its subject, payload and reason.",
    stream=DLQ_STREAM,
)

CATALOG: tuple[Subject[Any], ...] = (
    MD_POSITIONS,
    MD_BALANCES,
    MD_QUOTES,
    MD_BROKER_STATUS,
    RISK_UPDATED,
    RISK_LIMIT_BREACHED,
    RISK_LIMIT_CLEARED,
    VENUE_POSITIONS_LIST,
    VENUE_BALANCES_GET,
    VENUE_QUOTES_GET,
    VENUE_FAULT_SET,
    MD_LEGS_QUOTE,
    MD_EXPIRIES_LIST,
    MD_CHAIN_GET,
    RISK_WHATIF,
    EXEC_ORDERS_CREATE,
    EXEC_SIMULATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    EXEC_ORDERS_CANCEL,
    EXEC_STATE_SET,
    EXEC_STATE,
    EXEC_APPROVAL,
    EXEC_ORDER,
    EXEC_FILL,
    EXEC_AUDIT,
    JOURNAL_FILLS_LIST,
    JOURNAL_FILLS_EXPORT,
    JOURNAL_SNAPSHOTS_LIST,
    JOURNAL_HISTORY_SEED,
    JOURNAL_SNAPSHOT,
    VENUE_CONTRACT_RESOLVE,
    VENUE_FRONTMONTH_GET,
    VENUE_EXPIRIES_LIST,
    VENUE_CHAIN_GET,
    VENUE_CONTRACTS_QUOTE,
    VENUE_MARGIN_COMPUTE,
    VENUE_ORDER_PLACE,
    VENUE_ORDER_GET,
    VENUE_ORDER_FIND,
    VENUE_EXECUTIONS_LIST,
    VENUE_ORDER_CANCEL,
    VENUE_FILLS_SET,
    DLQ,
)
