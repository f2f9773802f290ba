"""The journal as the page asks for it: the query string's filters made into a JournalQuery, and
each journaled fill as a row of the Journal tab (its legs in one line, credit or debit).

Dates: a filter's `start` and `end` are instants with a UTC offset (what the page sends: the
trader's own midnight) or plain dates, read as UTC days. `end` is exclusive, as the journal reads
it; a plain-date `end` names the last day included, so `start=2026-03-02&end=2026-03-06` is the
whole working week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.gateway.domain.accounts import parse_account_field
from deltadesk.gateway.errors import InvalidFilter, PeerFailed
from deltadesk.shared.commands import CsvLayout, JournalEntry, JournalPage, JournalQuery
from deltadesk.shared.orders import LegFill, OrderState
from deltadesk.shared.portfolio import PortfolioGreeks

DEFAULT_PAGE = 50  # rows of the Journal tab
EXPORT_PAGE = 1000  # entries asked per CSV chunk: the most one journal query returns
MAX_UNDERLYING = 32
MAX_STRATEGY = 64
MAX_REGIME = 32
PAPER = "paper"
# The states a journaled order can be in (it has a fill), for the status filter.
JOURNAL_STATES: tuple[OrderState, ...] = (
    OrderState.FILLED,
    OrderState.PARTIAL,
    OrderState.CANCELLED,
    OrderState.UNKNOWN,
    OrderState.REJECTED,
)
# Suggestions for the filters (the journal's strategy names and the default VIX regimes); any
# other value can be typed, and the page adds those it has seen.
STRATEGY_SUGGESTIONS: tuple[str, ...] = (
    "short put",
    "short call",
    "put credit spread",
    "call credit spread",
    "iron condor",
    "iron butterfly",
    "short strangle",
    "short straddle",
    "jade lizard",
    "covered call",
    "calendar",
    "diagonal",
    "future",
    "stock",
    "custom",
)
REGIME_SUGGESTIONS: tuple[str, ...] = ("low", "normal", "elevated", "crisis")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Side(StrEnum):
    CREDIT = "credit"  # the trader received premium
    DEBIT = "debit"  # the trader paid
    EVEN = "even"


class JournalRow(BaseModel):
    """One journaled fill with its context, as the Journal tab shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: UUID = Field(description="The journal's id of this fill (stable across redeliveries).")
    filled_at: AwareDatetime
    broker: str = Field(description="`paper` for the paper broker.")
    paper: bool = Field(description="True for the paper broker's fills.")
    account: str
    order_id: UUID
    broker_order_id: str
    fill_id: str = Field(description="The broker's execution id of the fill's first execution.")
    underlying: str
    strategy: str = Field(description="The trader's tag, or the strategy recognised from the legs.")
    status: OrderState = Field(description="The order's latest state (PARTIAL until it is complete).")
    summary: str = Field(description="What this fill executed, e.g. `SELL 1 SPY 261218P00550000 @ 1.25`.")
    legs: tuple[LegFill, ...] = Field(description="Per leg: what this fill executed and at what price.")
    quantity: Decimal = Field(description="Whole combos this fill completed.")
    net_price: Decimal | None = Field(description="Per combo, signed: + debit, − credit.")
    net_debit_credit: Decimal = Field(description="Σ price × signed quantity × multiplier: + paid, − got.")
    side: Side
    commission: Decimal | None
    vix: float | None
    spx_price: float | None
    regime: str | None
    pre_trade: PortfolioGreeks | None = Field(description="The account's Greeks before the order.")
    post_trade: PortfolioGreeks | None = Field(description="The account's Greeks with the order (simulated).")
    rationale: str
    ai_rationale: str | None
    suggestion_id: UUID | None


class JournalRows(BaseModel):
    """A page of the journal, newest first. Page on with `next_offset` (null on the last page)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: tuple[JournalRow, ...]
    total: int = Field(description="How many entries match the filters in all.")
    offset: int
    limit: int = Field(description="Entries this page holds at most (fewer when cut to fit one message).")
    next_offset: int | None


def parse_instant(text: str | None, field: str, *, end: bool = False) -> datetime | None:
    """An instant from the query string, or None when blank. A plain date is its UTC day: its
    start, or for an `end` the start of the next day (the date itself is included)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if _PLAIN_DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidFilter(f"{field}: {text!r} is not a date ({exc})") from exc
        moment = datetime.combine(day, time(), tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidFilter(
            f"{field}: {text!r} is neither a date (2026-03-18) nor an ISO 8601 instant"
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidFilter(
            f"{field}: {text!r} has no UTC offset; give one (2026-03-18T00:00:00-04:00) or a plain date"
        )
    return moment


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidFilter(f"end: {end.isoformat()} is not after start {start.isoformat()}")


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidFilter(f"{field}: at most {limit} characters, got {len(value)}")
    if not value.isprintable():
        raise InvalidFilter(f"{field}: holds a control character")
    return value


def journal_query(
    *,
    start: str | None = None,
    end: str | None = None,
    account: str | None = None,
    underlying: str | None = None,
    strategy: str | None = None,
    regime: str | None = None,
    status: OrderState | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
) -> JournalQuery:
    """The journal query of the page's filters; a blank filter is no filter. `total` is every
    account, so it filters nothing either."""
    first = parse_instant(start, "start")
    last = parse_instant(end, "end", end=True)
    check_range(first, last)
    chosen = _text(account, "account", 64)
    if chosen is not None:
        parse_account_field(chosen)
    name = _text(underlying, "underlying", MAX_UNDERLYING)
    return JournalQuery(
        start=first,
        end=last,
        account=None if chosen in (None, "total") else chosen,
        underlying=name.upper() if name is not None else None,
        strategy=_text(strategy, "strategy", MAX_STRATEGY),
        regime=_text(regime, "regime", MAX_REGIME),
        status=status,
        offset=offset,
        limit=limit,
    )


def side_of(net_debit_credit: Decimal) -> Side:
    if net_debit_credit < 0:
        return Side.CREDIT
    if net_debit_credit > 0:
        return Side.DEBIT
    return Side.EVEN


def describe_fill(legs: tuple[LegFill, ...]) -> str:
    """The legs this fill executed, in one line: `SELL 1 SPY 261218P00550000 @ 1.25 / …`."""
    parts = []
    for leg in legs:
        if leg.quantity <= 0:
            continue
        quantity = format(leg.quantity.normalize(), "f")
        price = f" @ {leg.price:f}" if leg.price is not None else ""
        parts.append(f"{leg.action.value} {quantity} {leg.symbol}{price}")
    return " / ".join(parts)


def journal_row(entry: JournalEntry) -> JournalRow:
    return JournalRow(
        entry_id=entry.entry_id,
        filled_at=entry.filled_at,
        broker=entry.broker,
        paper=entry.broker == PAPER,
        account=entry.account,
        order_id=entry.order_id,
        broker_order_id=entry.broker_order_id,
        fill_id=entry.fill_id,
        underlying=entry.underlying,
        strategy=entry.strategy,
        status=entry.status,
        summary=describe_fill(entry.legs),
        legs=entry.legs,
        quantity=entry.quantity,
        net_price=entry.net_price,
        net_debit_credit=entry.net_debit_credit,
        side=side_of(entry.net_debit_credit),
        commission=entry.commission,
        vix=entry.vix,
        spx_price=entry.spx_price,
        regime=entry.regime,
        pre_trade=entry.pre_trade,
        post_trade=entry.post_trade,
        rationale=entry.rationale,
        ai_rationale=entry.ai_rationale,
        suggestion_id=entry.suggestion_id,
    )


def journal_rows(page: JournalPage) -> JournalRows:
    following = page.offset + len(page.entries)
    return JournalRows(
        entries=tuple(journal_row(entry) for entry in page.entries),
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        next_offset=following if following < page.total and page.entries else None,
    )


def next_export_offset(current: int, next_offset: int | None) -> int | None:
    """The offset of the export's next chunk; a journal that does not move forward is an error,
    never an endless download."""
    if next_offset is None:
        return None
    if next_offset <= current:
        raise PeerFailed(f"the journal answered next_offset {next_offset} after offset {current}")
    return next_offset


def export_filename(layout: CsvLayout, now: datetime) -> str:
    """`deltadesk-journal-20260318-143000.csv`, or `…-executions-…` for the executions layout."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    kind = "journal" if layout is CsvLayout.FULL else "journal-executions"
    return f"deltadesk-{kind}-{stamp}.csv"
