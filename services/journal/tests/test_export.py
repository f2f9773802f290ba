from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from deltadesk.journal.domain.entries import journal_entry
from deltadesk.journal.domain.export import (
    EXECUTION_COLUMNS,
    FULL_COLUMNS,
    parse_csv,
    render_csv,
    share_commission,
)
from deltadesk.journal.testing import leg, make_fill, make_order, option, share
from deltadesk.shared.commands import CsvLayout, JournalEntry
from deltadesk.shared.instruments import Right
from deltadesk.shared.orders import Action, LegFill, OrderState

NOW = datetime(2026, 11, 24, 15, 30, 5, tzinfo=UTC)  # 10:30:05 in New York
TRICKY = 'Sold the 5800/5750, "support" held; VIX < 18,\nrolled "up", and out — 10% of BP'


def condor_entry(rationale: str = TRICKY, ai: str | None = 'AI: a, "b"\r\nc') -> JournalEntry:
    order = make_order(
        leg(Action.BUY, 2, option("SPX", Right.PUT, 5650, root="SPXW")),
        leg(Action.SELL, 2, option("SPX", Right.PUT, 5700, root="SPXW")),
        leg(Action.SELL, 2, option("SPX", Right.CALL, 6300, root="SPXW")),
        leg(Action.BUY, 2, option("SPX", Right.CALL, 6350, root="SPXW")),
        created_at=NOW,
    )
    fill = make_fill(
        order,
        filled_at=NOW,
        prices=("3.10", "4.40", "3.90", "2.70"),
        commission="5.21",
        rationale=rationale,
        ai_rationale=ai,
    )
    return journal_entry(fill)


def test_full_csv_round_trips_commas_quotes_and_newlines_in_rationales() -> None:
    entry = condor_entry()
    text, rows = render_csv([entry], CsvLayout.FULL, header=True)
    header, row = parse_csv(text)
    assert rows == 1
    assert tuple(header) == FULL_COLUMNS
    record = dict(zip(header, row, strict=True))
    assert record["rationale"] == TRICKY
    assert record["ai_rationale"] == 'AI: a, "b"\r\nc'


def test_full_csv_has_every_field_as_a_column() -> None:
    entry = condor_entry()
    text, _ = render_csv([entry], CsvLayout.FULL, header=True)
    record = dict(zip(*parse_csv(text), strict=True))
    assert record["entry_id"] == str(entry.entry_id)
    assert datetime.fromisoformat(record["filled_at"]) == NOW
    assert record["strategy"] == "iron condor"
    assert record["status"] == "FILLED"
    assert Decimal(record["net_debit_credit"]) == entry.net_debit_credit == Decimal("-500.00")
    assert Decimal(record["commission"]) == Decimal("5.21")
    assert float(record["vix"]) == 17.5
    assert float(record["pre_spx_delta"]) == -42.5
    assert float(record["post_theta"]) == 180.0
    assert record["suggestion_id"] == ""
    legs = [LegFill.model_validate(item) for item in json.loads(record["legs"])]
    assert legs == list(entry.legs)
    assert set(FULL_COLUMNS) - {"legs"} <= {n for n in JournalEntry.model_fields} | {
        f"{side}_{greek}" for side in ("pre", "post") for greek in ("spx_delta", "gamma", "theta", "vega")
    }


def test_empty_values_are_empty_cells_and_no_header_when_asked() -> None:
    order = make_order(leg(Action.BUY, 100, share("KO")), created_at=NOW, limit_price="70.10")
    entry = journal_entry(
        make_fill(order, filled_at=NOW, prices=("70.10",), commission=None, vix=None, ai_rationale=None)
    )
    text, rows = render_csv([entry], CsvLayout.FULL, header=False)
    (row,) = parse_csv(text)
    record = dict(zip(FULL_COLUMNS, row, strict=True))
    assert rows == 1
    assert record["commission"] == record["vix"] == record["ai_rationale"] == ""


def test_executions_layout_is_one_row_per_leg_in_exchange_time() -> None:
    text, rows = render_csv([condor_entry()], CsvLayout.EXECUTIONS, header=True)
    header, *lines = parse_csv(text)
    assert tuple(header) == EXECUTION_COLUMNS
    assert rows == len(lines) == 4
    assert [line[:2] for line in lines] == [["2026-11-24", "10:30:05"]] * 4
    assert [line[3] for line in lines] == ["BUY", "SELL", "SELL", "BUY"]
    assert [line[4] for line in lines] == ["2"] * 4
    assert [line[5] for line in lines] == ["3.10", "4.40", "3.90", "2.70"]
    assert sum(Decimal(line[6]) for line in lines) == Decimal("5.21")
    assert lines[0][2].startswith("SPXW ")


def test_a_partial_fill_exports_what_that_fill_traded() -> None:
    order = make_order(
        leg(Action.SELL, 4, option("SPX", Right.PUT, 5800, root="SPXW")),
        leg(Action.BUY, 4, option("SPX", Right.PUT, 5750, root="SPXW")),
        created_at=NOW,
    )
    entry = journal_entry(make_fill(order, filled_at=NOW, combos=1, state=OrderState.PARTIAL))
    _, *lines = parse_csv(render_csv([entry], CsvLayout.EXECUTIONS, header=True)[0])
    assert [line[4] for line in lines] == ["1", "1"]


def test_a_fill_of_one_leg_of_a_combo_exports_that_leg_only() -> None:
    order = make_order(
        leg(Action.SELL, 1, option("SPX", Right.PUT, 5800, root="SPXW")),
        leg(Action.BUY, 1, option("SPX", Right.PUT, 5750, root="SPXW")),
        created_at=NOW,
    )
    sold, bought = make_fill(order, filled_at=NOW, prices=("12.50", "9.00")).legs
    fill = make_fill(order, filled_at=NOW, state=OrderState.PARTIAL).model_copy(
        update={
            "legs": (sold, bought.model_copy(update={"quantity": Decimal(0), "price": None})),
            "quantity": Decimal(0),
        }
    )
    _, *lines = parse_csv(render_csv([journal_entry(fill)], CsvLayout.EXECUTIONS, header=True)[0])
    assert [(line[2], line[3], line[4], line[5], line[6]) for line in lines] == [
        (sold.symbol, "SELL", "1", "12.50", "2.60")
    ]


def test_commission_split_keeps_the_cents_on_the_last_leg() -> None:
    assert share_commission(Decimal("1.00"), [Decimal(1)] * 3) == [
        Decimal("0.33"),
        Decimal("0.33"),
        Decimal("0.34"),
    ]
    assert share_commission(None, [Decimal(1)] * 2) == [None, None]
    assert share_commission(Decimal("1.0512"), [Decimal(1)] * 2) == [Decimal("0.5256"), Decimal("0.5256")]


@given(
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.lists(st.integers(1, 500).map(Decimal), min_size=1, max_size=4),
)
def test_commission_parts_add_up_to_the_whole(commission: Decimal, quantities: list[Decimal]) -> None:
    parts = share_commission(commission, quantities)
    assert sum(p for p in parts if p is not None) == commission
    assert all(p is not None and p >= 0 for p in parts)


@given(st.text(max_size=200))
def test_any_rationale_round_trips(rationale: str) -> None:
    text, _ = render_csv([condor_entry(rationale=rationale, ai=rationale)], CsvLayout.FULL, header=False)
    (row,) = parse_csv(text)
    record = dict(zip(FULL_COLUMNS, row, strict=True))
    assert record["rationale"] == rationale
    assert record["ai_rationale"] == rationale
