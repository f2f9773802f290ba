"""The History tab's domain: the snapshot query of a chart range, its window, and the series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.gateway.domain.history import SEBASTIAN_BAND, history, history_query, window
from deltadesk.gateway.errors import InvalidAccount, InvalidFilter
from deltadesk.shared.commands import SnapshotPoint, SnapshotRange, SnapshotSeries

NOW = datetime(2026, 3, 18, 14, 30, tzinfo=UTC)


def point(at: datetime, ratio: float | None) -> SnapshotPoint:
    return SnapshotPoint(
        at=at,
        net_liquidation=Decimal("500000"),
        spx_delta=None if ratio is None else 10.0,
        gamma=-1.0,
        theta=None if ratio is None else 10.0 * ratio,
        vega=-300.0,
        theta_delta_ratio=ratio,
        sebastian_ratio=0.3,
        vix=16.0,
        spx_price=6000.0,
        regime="normal",
    )


@pytest.mark.parametrize(
    ("span", "days"), [(SnapshotRange.DAY, 1), (SnapshotRange.WEEK, 7), (SnapshotRange.MONTH, 30)]
)
def test_a_fixed_range_ends_now_and_spans_its_length(span: SnapshotRange, days: int) -> None:
    query = history_query(account="PAPER", range=span)
    assert (query.account, query.range, query.start, query.end) == ("PAPER", span, None, None)
    assert window(query, NOW) == (NOW - timedelta(days=days), NOW)


def test_all_has_no_window_of_its_own() -> None:
    assert window(history_query(account="total", range=SnapshotRange.ALL), NOW) == (None, None)


def test_a_custom_range_runs_from_its_start_through_its_last_day() -> None:
    query = history_query(account="PAPER", range=SnapshotRange.CUSTOM, start="2026-03-02", end="2026-03-06")
    assert query.start == datetime(2026, 3, 2, tzinfo=UTC)
    assert query.end == datetime(2026, 3, 7, tzinfo=UTC)
    assert window(query, NOW) == (query.start, query.end)


def test_a_custom_range_without_end_runs_until_now() -> None:
    query = history_query(account="PAPER", range=SnapshotRange.CUSTOM, start="2026-03-02T09:30:00-05:00")
    assert query.end is None
    assert window(query, NOW) == (datetime(2026, 3, 2, 14, 30, tzinfo=UTC), NOW)


def test_a_custom_range_needs_a_start() -> None:
    with pytest.raises(InvalidFilter, match=r"^start: a custom range needs a start"):
        history_query(account="PAPER", range=SnapshotRange.CUSTOM, end="2026-03-06")


def test_a_custom_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidFilter, match=r"^end: "):
        history_query(account="PAPER", range=SnapshotRange.CUSTOM, start="2026-03-06", end="2026-03-01")


@pytest.mark.parametrize("field", ["start", "end"])
def test_a_fixed_range_takes_no_bounds(field: str) -> None:
    with pytest.raises(InvalidFilter, match=rf"^{field}: only range=custom"):
        history_query(account="PAPER", range=SnapshotRange.WEEK, **{field: "2026-03-02"})


def test_the_account_must_be_a_subject_token() -> None:
    with pytest.raises(InvalidAccount):
        history_query(account="a b", range=SnapshotRange.DAY)


def test_the_series_keeps_its_gaps_as_nulls_and_carries_the_band() -> None:
    points = (point(NOW - timedelta(hours=2), 1.5), point(NOW - timedelta(hours=1), None), point(NOW, 2.0))
    series = SnapshotSeries(account="PAPER", bucket_seconds=3600, points=points, paper=True)
    query = history_query(account="PAPER", range=SnapshotRange.DAY)
    shown = history(series, query, NOW)
    assert [p.theta_delta_ratio for p in shown.points] == [1.5, None, 2.0]
    assert (shown.paper, shown.bucket_seconds, shown.range) == (True, 3600, SnapshotRange.DAY)
    assert (shown.window_start, shown.window_end) == (NOW - timedelta(days=1), NOW)
    assert shown.band == SEBASTIAN_BAND
    assert (shown.band.red_below, shown.band.green_low, shown.band.green_high, shown.band.red_above) == (
        0.20,
        0.25,
        0.40,
        0.50,
    )
