"""What the fake gateway remembers: its constants, sessions, holdings, orders, pacing limits and the
faults a test injects. Plain records; the behaviour is `state`, the JSON `shapes`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

SPREAD_CONID = 28812380
DEFAULT_ACCOUNT = "DU1234567"
PRICE_CONSTRAINT = (
    "o163",
    'The following order "{order}" price exceeds \nthe Percentage constraint of 3%.\n'
    "Are you sure you want to submit this order?",
)
NO_MARKET_DATA = ("o354", "You are submitting an order without market data. Are you sure?")
MARKET_DATA_WARNING = (
    "21/You are trying to submit an order without having market data for this instrument. IB strongly "
    "recommends against this kind of blind trading which may result in erroneous or unexpected trades."
)
SLOW_ENDPOINTS = frozenset(
    {
        "GET /iserver/account/orders",
        "GET /iserver/account/trades",
        "GET /iserver/account/pnl/partitioned",
        "GET /portfolio/accounts",
        "GET /portfolio/subaccounts",
    }
)
ORDER_TYPES = frozenset({"LMT", "MKT", "STP", "STOP_LIMIT", "MIDPRICE", "TRAIL", "TRAILLMT", "MOC", "LOC"})


class Refusal(Exception):
    """An HTTP answer other than 200 (or a 200 whose body is an error): the app sends it as is."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


@dataclass
class Limits:
    """IBKR's pacing (CP1 "Pacing Limitations"): 10 requests/s overall, 1 per 5 s on the slow
    endpoints, 1/s on tickle; over that a 429 and a penalty box of 10–15 minutes."""

    global_per_s: int = 10
    slow_interval_s: float = 5.0
    tickle_interval_s: float = 1.0
    penalty_s: float = 900.0


@dataclass
class Faults:
    """What a test breaks. Keys are `METHOD /template` (`GET /iserver/marketdata/snapshot`,
    `POST /iserver/account/{account}/orders`) or `*` for any request."""

    failures: dict[str, deque[tuple[int, Any]]] = field(default_factory=dict)
    delays: dict[str, deque[float]] = field(default_factory=dict)
    drop_next_place: bool = False

    def fail(self, key: str, status: int = 503, *, times: int = 1, body: Any = None) -> None:
        body = body if body is not None else {"error": "Service Unavailable", "statusCode": status}
        self.failures.setdefault(key, deque()).extend([(status, body)] * times)

    def delay(self, key: str, seconds: float, *, times: int = 1) -> None:
        """Answer `times` requests `seconds` late (after doing what they asked)."""
        self.delays.setdefault(key, deque()).extend([seconds] * times)

    def take_failure(self, key: str) -> tuple[int, Any] | None:
        for k in (key, "*"):
            queue = self.failures.get(k)
            if queue:
                return queue.popleft()
        return None

    def take_delay(self, key: str) -> float:
        for k in (key, "*"):
            queue = self.delays.get(k)
            if queue:
                return queue.popleft()
        return 0.0


@dataclass
class BrokerageSession:
    """What IBKR remembers per brokerage session, and forgets on re-authentication."""

    number: int
    accounts_queried: bool = False
    portfolio_queried: bool = False
    searched: set[int] = field(default_factory=set)
    streams: dict[int, int] = field(default_factory=dict)  # conid → polls since it was opened
    stream_fields: dict[int, set[str]] = field(default_factory=dict)
    live_orders_primed: bool = False


@dataclass
class Holding:
    quantity: Decimal
    average_price: Decimal  # per unit


@dataclass
class FakeOrder:
    order_id: int
    account: str
    c_oid: str | None
    legs: list[tuple[int, int]]  # (conid, signed ratio); a single order is one leg of ±1
    conidex: str | None
    side: str
    quantity: Decimal
    order_type: str
    price: Decimal | None
    tif: str
    placed_at: datetime
    status: str = "PreSubmitted"
    filled: Decimal = Decimal(0)
    average_price: Decimal | None = None
    reason: str | None = None
    last_execution: datetime | None = None

    @property
    def combo(self) -> bool:
        return self.conidex is not None

    @property
    def remaining(self) -> Decimal:
        return (
            Decimal(0) if self.status in ("Filled", "Cancelled", "Inactive") else self.quantity - self.filled
        )


@dataclass
class PendingPlace:
    account: str
    orders: list[dict[str, Any]]
    questions: list[tuple[str, str]]
