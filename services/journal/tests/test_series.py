from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.journal.domain.series import (
    Bucket,
    InvalidSnapshotQuery,
    bucket_seconds,
    point,
    series_points,
    window,
)
from deltadesk.shared.commands import QuerySnapshots, SnapshotRange

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
YEAR_S = 365 * 86400


def bucket(
    at: datetime, *, delta: float | None = 10.0, theta: float | None = 100.0, vega: float | None = -400.0
) -> Bucket:
    return Bucket(at, Decimal("500000"), delta, -1.0, theta, vega, 16.0, 6000.0, "normal")


@pytest.mark.parametrize(
    ("range_", "span"),
    [
        (SnapshotRange.DAY, timedelta(days=1)),
        (SnapshotRange.WEEK, timedelta(days=7)),
        (SnapshotRange.MONTH, timedelta(days=30)),
    ],
)
def test_fixed_ranges_end_now(range_: SnapshotRange, span: timedelta) -> None:
    found = window(QuerySnapshots(account="A", range=range_), NOW, None, None)
    assert found is not None
    assert (found.start, found.end) == (NOW - span, NOW)


def test_all_covers_every_snapshot_held_and_nothing_when_there_is_none() -> None:
    first, last = NOW - timedelta(days=400), NOW - timedelta(minutes=3)
    found = window(QuerySnapshots(account="A", range=SnapshotRange.ALL), NOW, first, last)
    assert found is not None
    assert (found.start, found.end) == (first, last)
    assert window(QuerySnapshots(account="A", range=SnapshotRange.ALL), NOW, None, None) is None


def test_custom_range_needs_a_start_before_its_end() -> None:
    start = NOW - timedelta(days=3)
    found = window(QuerySnapshots(account="A", range=SnapshotRange.CUSTOM, start=start), NOW, None, None)
    assert found is not None
    assert (found.start, found.end) == (start, NOW)
    with pytest.raises(InvalidSnapshotQuery, match="needs a start"):
        window(QuerySnapshots(account="A", range=SnapshotRange.CUSTOM), NOW, None, None)
    with pytest.raises(InvalidSnapshotQuery, match="before it starts"):
        window(QuerySnapshots(account="A", range=SnapshotRange.CUSTOM, start=NOW, end=start), NOW, None, None)


@pytest.mark.parametrize(
    ("span_s", "max_points", "expected"),
    [
        (86400, 1000, 120),  # 1D: 2-minute buckets, each holds at most one 15-minute snapshot
        (7 * 86400, 1000, 900),  # 1W: one bucket per 15-minute snapshot
        (30 * 86400, 1000, 3600),
        (YEAR_S, 1000, 12 * 3600),  # a year of 15-minute snapshots: two points a day
        (YEAR_S, 100, 7 * 86400),
        (0, 10, 1),
    ],
)
def test_bucket_sizes_are_easily_read_and_keep_under_max_points(
    span_s: int, max_points: int, expected: int
) -> None:
    assert bucket_seconds(span_s, max_points) == expected


@given(st.floats(0, 10 * YEAR_S), st.integers(10, 5000))
def test_no_window_cuts_into_more_buckets_than_max_points(span_s: float, max_points: int) -> None:
    size = bucket_seconds(span_s, max_points)
    assert math.ceil(span_s / size) + 1 <= max_points


def test_a_bucket_with_no_delta_has_no_theta_delta_ratio_but_keeps_the_sebastian_ratio() -> None:
    flat = point(bucket(NOW, delta=0.0))
    assert flat.theta_delta_ratio is None
    assert flat.sebastian_ratio == pytest.approx(0.25)
    halted = point(bucket(NOW, delta=None, theta=None, vega=None))
    assert halted.theta_delta_ratio is None
    assert halted.sebastian_ratio is None
    normal = point(bucket(NOW))
    assert normal.theta_delta_ratio == pytest.approx(10.0)


def test_a_stretch_without_snapshots_becomes_a_gap_not_a_line() -> None:
    times = [NOW + timedelta(minutes=15 * i) for i in range(4)] + [
        NOW + timedelta(hours=5, minutes=15 * i) for i in range(3)
    ]
    points = series_points([bucket(t) for t in times], 900, 1000)
    assert len(points) == 8
    gap = points[4]
    assert gap.at == times[3] + timedelta(seconds=900)
    assert gap.net_liquidation is None
    assert gap.spx_delta is None
    assert gap.theta_delta_ratio is None
    assert [p.at for p in points if p is not gap] == times


def test_regular_snapshots_finer_than_the_bucket_grid_make_no_gaps() -> None:
    times = [NOW + timedelta(minutes=15 * i) for i in range(20)]  # 2-minute buckets, every 15 minutes
    assert len(series_points([bucket(t) for t in times], 120, 1000)) == 20


def test_gaps_never_push_a_series_past_max_points() -> None:
    times = [NOW + timedelta(minutes=15 * i) for i in range(5)] + [
        NOW + timedelta(days=1, minutes=15 * i) for i in range(5)
    ]
    assert len(series_points([bucket(t) for t in times], 900, 10)) == 10
