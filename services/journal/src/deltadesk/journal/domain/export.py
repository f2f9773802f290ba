"""The journal as CSV, through Python's csv module so commas, quotes and newlines in a rationale
survive a round trip.

Two layouts:
- FULL: one row per fill, every field of the entry as a column (legs as JSON, the pre- and
  post-trade Greeks as a column each), times in ISO 8601 UTC.
- EXECUTIONS: one row per leg execution, for trade-journal tools' generic import: Date, Time
  (exchange time, New York), Symbol, Side, Quantity, Price, Commission. A fill's legs carry what
  that fill executed (execution publishes them so); a fill's commission is shared out over its
  legs by quantity, in cents, the remainder on the last leg, so the rows add up to exactly the
  fill's commission.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from deltadesk.shared.commands import CsvLayout, JournalEntry
from deltadesk.shared.portfolio import PortfolioGreeks

EXCHANGE_TIME = ZoneInfo("America/New_York")
CENT = Decimal("0.01")

FULL_COLUMNS: tuple[str, ...] = (
    "entry_id",
    "filled_at",
    "broker",
    "account",
    "order_id",
    "broker_order_id",
    "fill_id",
    "underlying",
    "strategy",
    "status",
    "quantity",
    "net_price",
    "net_debit_credit",
    "commission",
    "vix",
    "spx_price",
    "regime",
    "pre_spx_delta",
    "pre_gamma",
    "pre_theta",
    "pre_vega",
    "post_spx_delta",
    "post_gamma",
    "post_theta",
    "post_vega",
    "rationale",
    "ai_rationale",
    "suggestion_id",
    "legs",
)
EXECUTION_COLUMNS: tuple[str, ...] = ("Date", "Time", "Symbol", "Side", "Quantity", "Price", "Commission")

Cell = str | int | float | Decimal | None


def render_csv(entries: Sequence[JournalEntry], layout: CsvLayout, *, header: bool) -> tuple[str, int]:
    """The CSV text of these entries in a layout, and how many data rows it holds."""
    if layout is CsvLayout.FULL:
        columns, rows = FULL_COLUMNS, [full_row(e) for e in entries]
    else:
        columns, rows = EXECUTION_COLUMNS, [row for e in entries for row in execution_rows(e)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    writer.writerows([[_text(cell) for cell in row] for row in rows])
    return buffer.getvalue(), len(rows)


def full_row(entry: JournalEntry) -> list[Cell]:
    return [
        str(entry.entry_id),
        entry.filled_at.isoformat(),
        entry.broker,
        entry.account,
        str(entry.order_id),
        entry.broker_order_id,
        entry.fill_id,
        entry.underlying,
        entry.strategy,
        entry.status.value,
        entry.quantity,
        entry.net_price,
        entry.net_debit_credit,
        entry.commission,
        entry.vix,
        entry.spx_price,
        entry.regime,
        *_greeks(entry.pre_trade),
        *_greeks(entry.post_trade),
        entry.rationale,
        entry.ai_rationale,
        str(entry.suggestion_id) if entry.suggestion_id is not None else None,
        json.dumps([leg.model_dump(mode="json") for leg in entry.legs], separators=(",", ":")),
    ]


def execution_rows(entry: JournalEntry) -> list[list[Cell]]:
    """One row per leg the fill executed (a leg a fill did not reach has no row), with what that
    leg traded in this fill at its price."""
    local = entry.filled_at.astimezone(EXCHANGE_TIME)
    traded = [leg for leg in entry.legs if leg.quantity > 0]
    commissions = share_commission(entry.commission, [leg.quantity for leg in traded])
    return [
        [
            local.date().isoformat(),
            local.strftime("%H:%M:%S"),
            leg.symbol,
            leg.action.value,
            leg.quantity,
            leg.price,
            commission,
        ]
        for leg, commission in zip(traded, commissions, strict=True)
    ]


def share_commission(commission: Decimal | None, quantities: Sequence[Decimal]) -> list[Decimal | None]:
    """Split a commission over legs by quantity, in cents (or finer if the commission is), the
    remainder on the last leg: the parts always add up to the whole."""
    if commission is None or not quantities:
        return [None] * len(quantities)
    total = sum(quantities, Decimal(0))
    if total <= 0:
        return [commission, *([Decimal(0)] * (len(quantities) - 1))]
    exponent = commission.as_tuple().exponent
    step = CENT if not isinstance(exponent, int) or exponent >= -2 else Decimal(1).scaleb(exponent)
    parts = [(commission * q / total).quantize(step, rounding=ROUND_DOWN) for q in quantities[:-1]]
    return [*parts, commission - sum(parts, Decimal(0))]


def parse_csv(text: str) -> list[list[str]]:
    """The rows of a CSV text as csv.reader reads them (for checking what an export holds)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def _greeks(greeks: PortfolioGreeks | None) -> tuple[Cell, ...]:
    if greeks is None:
        return (None, None, None, None)
    return (greeks.spx_delta, greeks.gamma, greeks.theta, greeks.vega)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, float):
        return repr(cell)
    return str(cell)
