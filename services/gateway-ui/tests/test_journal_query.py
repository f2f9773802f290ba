"""The Journal tab's domain: filters from the query string, rows, the export's paging and name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.domain.journal import (
    JournalRows,
    Side,
    describe_fill,
    export_filename,
    journal_query,
    journal_row,
    journal_rows,
    next_export_offset,
    parse_instant,
)
from deltadesk.gateway.errors import InvalidAccount, InvalidFilter, PeerFailed
from deltadesk.shared.commands import CsvLayout, JournalEntry, JournalPage
from deltadesk.shared.orders import Action, LegFill, OrderState
from deltadesk.shared.portfolio import PortfolioGreeks

NEW_YORK = timezone(timedelta(hours=-4))


def entry(net: str = "-125.00", **fields: object) -> JournalEntry:
    values: dict[str, object] = {
        "entry_id": uuid4(),
        "filled_at": datetime(2026, 3, 18, 14, 30, 5, tzinfo=UTC),
        "broker": "paper",
        "account": "PAPER",
        "order_id": uuid4(),
        "broker_order_id": "P-00001",
        "fill_id": "E-1",
        "underlying": "SPY",
        "strategy": "short put",
        "status": OrderState.FILLED,
        "legs": (
            LegFill(
                symbol="SPY 260417P00550000",
                action=Action.SELL,
                quantity=Decimal(1),
                ordered=Decimal(1),
                price=Decimal("1.25"),
            ),
        ),
        "quantity": Decimal(1),
        "net_price": Decimal("-1.25"),
        "net_debit_credit": Decimal(net),
        "commission": Decimal("1.05"),
        "vix": 16.4,
        "spx_price": 6010.0,
        "regime": "normal",
        "pre_trade": PortfolioGreeks(spx_delta=10.0, gamma=-1.0, theta=50.0, vega=-200.0),
        "post_trade": PortfolioGreeks(spx_delta=12.5, gamma=-1.2, theta=55.0, vega=-215.0),
        "rationale": "sell the dip",
        "ai_rationale": None,
        "suggestion_id": None,
    }
    values.update(fields)
    return JournalEntry.model_validate(values)


# ── instants ────────────────────────────────────────────────────────────────────────────────────
def test_a_plain_date_is_the_start_of_its_utc_day() -> None:
    assert parse_instant("2026-03-02", "start") == datetime(2026, 3, 2, tzinfo=UTC)


def test_a_plain_end_date_includes_that_whole_day() -> None:
    assert parse_instant("2026-03-06", "end", end=True) == datetime(2026, 3, 7, tzinfo=UTC)


def test_an_instant_with_an_offset_is_kept_as_the_same_instant() -> None:
    moment = parse_instant("2026-03-18T00:00:00-04:00", "start")
    assert moment == datetime(2026, 3, 18, 4, 0, tzinfo=UTC)


def test_an_instant_in_z_notation_is_utc() -> None:
    assert parse_instant("2026-03-18T04:00:00.000Z", "end", end=True) == datetime(2026, 3, 18, 4, tzinfo=UTC)


def test_blank_means_no_bound() -> None:
    assert parse_instant("  ", "start") is None
    assert parse_instant(None, "start") is None


def test_an_instant_without_offset_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidFilter, match=r"^start: .*no UTC offset"):
        parse_instant("2026-03-18T09:30:00", "start")


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "2026-02-30", "18/03/2026"])
def test_what_is_not_a_date_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidFilter, match=r"^end: "):
        parse_instant(text, "end", end=True)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 400))
def test_a_date_range_covers_every_day_from_the_first_to_the_last(first: date, days: int) -> None:
    last = first + timedelta(days=days)
    start = parse_instant(first.isoformat(), "start")
    end = parse_instant(last.isoformat(), "end", end=True)
    assert start is not None
    assert end is not None
    assert end - start == timedelta(days=days + 1)


# Fixed offsets, as ISO 8601 writes them (an IANA zone's skipped hour has no instant to compare).
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=OFFSETS))
def test_any_instant_written_in_iso_8601_reads_back_as_itself(moment: datetime) -> None:
    assert parse_instant(moment.isoformat(), "start") == moment


# ── the query ───────────────────────────────────────────────────────────────────────────────────
def test_every_filter_reaches_the_journal_query() -> None:
    query = journal_query(
        start="2026-03-02",
        end="2026-03-06",
        account="PAPER",
        underlying=" spy ",
        strategy="Short Put",
        regime="normal",
        status=OrderState.FILLED,
        offset=50,
        limit=25,
    )
    assert query.start == datetime(2026, 3, 2, tzinfo=UTC)
    assert query.end == datetime(2026, 3, 7, tzinfo=UTC)
    assert (query.account, query.underlying, query.strategy, query.regime) == (
        "PAPER",
        "SPY",
        "Short Put",
        "normal",
    )
    assert (query.status, query.offset, query.limit) == (OrderState.FILLED, 50, 25)


def test_blank_filters_and_total_filter_nothing() -> None:
    query = journal_query(start="", end=" ", account="total", underlying="", strategy="  ", regime="")
    assert query.model_dump(exclude={"offset", "limit"}) == {
        "start": None,
        "end": None,
        "account": None,
        "underlying": None,
        "strategy": None,
        "regime": None,
        "status": None,
    }


def test_an_end_before_the_start_is_refused_naming_end() -> None:
    with pytest.raises(InvalidFilter, match=r"^end: "):
        journal_query(start="2026-03-06", end="2026-03-02")


def test_a_same_day_range_is_that_day() -> None:
    query = journal_query(start="2026-03-06", end="2026-03-06")
    assert query.end is not None
    assert query.start is not None
    assert query.end - query.start == timedelta(days=1)


def test_an_account_that_is_no_subject_token_is_refused() -> None:
    with pytest.raises(InvalidAccount, match=r"^account: "):
        journal_query(account="PAPER.>")


@pytest.mark.parametrize(
    ("field", "value"),
    [("underlying", "X" * 33), ("strategy", "s" * 65), ("regime", "r" * 33), ("regime", "nor\x00mal")],
)
def test_an_overlong_or_unprintable_filter_is_refused_naming_it(field: str, value: str) -> None:
    with pytest.raises(InvalidFilter, match=rf"^{field}: "):
        journal_query(**{field: value})


# ── rows ────────────────────────────────────────────────────────────────────────────────────────
def test_a_row_keeps_every_field_and_reads_the_credit() -> None:
    held = entry()
    row = journal_row(held)
    assert row.model_dump(exclude={"summary", "side", "paper"}) == held.model_dump()
    assert row.side is Side.CREDIT
    assert row.paper is True
    assert row.summary == "SELL 1 SPY 260417P00550000 @ 1.25"


@pytest.mark.parametrize(("net", "side"), [("310.00", Side.DEBIT), ("-0.01", Side.CREDIT), ("0", Side.EVEN)])
def test_the_side_is_the_sign_of_the_net_amount(net: str, side: Side) -> None:
    assert journal_row(entry(net)).side is side


def test_a_leg_this_fill_did_not_reach_is_left_out_of_the_summary() -> None:
    legs = (
        LegFill(
            symbol="A", action=Action.SELL, quantity=Decimal(2), ordered=Decimal(2), price=Decimal("3.1")
        ),
        LegFill(symbol="B", action=Action.BUY, quantity=Decimal(0), ordered=Decimal(2), price=None),
    )
    assert describe_fill(legs) == "SELL 2 A @ 3.1"


def test_a_page_says_where_the_next_one_starts() -> None:
    entries = tuple(entry() for _ in range(3))
    page = journal_rows(JournalPage(entries=entries, total=10, offset=3, limit=3))
    assert isinstance(page, JournalRows)
    assert (page.total, page.offset, page.next_offset) == (10, 3, 6)


def test_the_last_page_has_no_next_one() -> None:
    page = journal_rows(JournalPage(entries=(entry(),), total=4, offset=3, limit=3))
    assert page.next_offset is None
    empty = journal_rows(JournalPage(entries=(), total=4, offset=9, limit=3))
    assert empty.next_offset is None


def test_a_page_cut_to_fit_a_message_continues_after_what_it_holds() -> None:
    page = journal_rows(JournalPage(entries=(entry(), entry()), total=10, offset=0, limit=2))
    assert page.next_offset == 2


# ── the export ──────────────────────────────────────────────────────────────────────────────────
def test_the_export_pages_forward_and_stops_at_the_end() -> None:
    assert next_export_offset(0, 1000) == 1000
    assert next_export_offset(1000, None) is None


@pytest.mark.parametrize("following", [0, 5])
def test_a_journal_that_does_not_move_forward_fails_the_export(following: int) -> None:
    with pytest.raises(PeerFailed):
        next_export_offset(5, following)


def test_the_download_is_named_for_its_layout_and_time() -> None:
    at = datetime(2026, 3, 18, 10, 30, 0, tzinfo=NEW_YORK)
    assert export_filename(CsvLayout.FULL, at) == "deltadesk-journal-20260318-143000.csv"
    assert export_filename(CsvLayout.EXECUTIONS, at) == "deltadesk-journal-executions-20260318-143000.csv"
