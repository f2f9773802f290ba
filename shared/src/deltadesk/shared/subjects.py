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

from deltadesk.shared.errors import InvalidSubjectToken
from deltadesk.shared.events import (
    BalancesReported,
    BrokerStatusChanged,
    DeadLettered,
    LimitBreached,
    LimitCleared,
    PositionsReported,
    QuotesReported,
    RiskUpdated,
)
from deltadesk.shared.messages import Ack, Message
from deltadesk.shared.paper import (
    BalancesReply,
    GetBalances,
    GetQuotes,
    InjectFault,
    ListPositions,
    PositionList,
    QuoteList,
)

M = TypeVar("M", bound=Message)

# The actors that may publish. Services are named as their entry points; "cli" is the command line.
MARKET_DATA = "market-data"
PAPER_VENUE = "paper-venue"
RISK = "risk"
GATEWAY = "gateway"
CLI = "cli"
SERVICES = frozenset({MARKET_DATA, PAPER_VENUE, RISK, GATEWAY})
ACTORS = SERVICES | {CLI}

LATEST_BUCKET = "dd-latest"  # KV: latest state, keyed by the rendered subject
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
STREAMS: tuple[Stream, ...] = (RISK_STREAM, DLQ_STREAM)

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
    frozenset({MARKET_DATA}),
    "The paper account's positions, priced by the simulated market.",
    reply=PositionList,
)
VENUE_BALANCES_GET = Subject(
    "dd.venue.balances.get",
    GetBalances,
    Delivery.REQUEST,
    frozenset({MARKET_DATA}),
    "The paper account's net liquidation, cash and maintenance margin.",
    reply=BalancesReply,
)
VENUE_QUOTES_GET = Subject(
    "dd.venue.quotes.get",
    GetQuotes,
    Delivery.REQUEST,
    frozenset({MARKET_DATA}),
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
    DLQ,
)
