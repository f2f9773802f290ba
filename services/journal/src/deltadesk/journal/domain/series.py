"""Chart series from account snapshots: the window a range covers, the time bucket that keeps it
under `max_points`, and each bucket's point with its ratios.

The database averages each bucket (Greeks, VIX, SPX) and keeps the last net liquidation and
regime; the ratios are taken here from those averages, so a bucket whose average delta is 0 (or
unknown) has no Θ/Δ: a gap in the line, never a spike. Buckets are aligned to a fixed origin,
so the same snapshots always fall in the same buckets whichever backend computes them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from deltadesk.journal.domain.snapshots import sebastian_ratio, theta_delta_ratio
from deltadesk.shared.commands import QuerySnapshots, SnapshotPoint, SnapshotRange
from deltadesk.shared.errors import DomainError

# Monday 2000-01-03 00:00 UTC: TimescaleDB's default origin, passed explicitly to both backends.
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)
RANGE_SPANS: dict[SnapshotRange, timedelta] = {
    SnapshotRange.DAY: timedelta(days=1),
    SnapshotRange.WEEK: timedelta(weeks=1),
    SnapshotRange.MONTH: timedelta(days=30),
}
# Bucket sizes a person reads easily; beyond a week, whole days.
NICE_BUCKETS_S: tuple[int, ...] = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 7 * 86400,
)  # fmt: skip
DAY_S = 86400
GAP_FACTOR = 2.5  # a distance this many times the usual spacing is a gap (the logger was down)


class InvalidSnapshotQuery(DomainError):
    code = "invalid_snapshot_query"


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end], both included: the instants a series covers."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket as the database aggregates it."""

    at: datetime
    net_liquidation: Decimal | None  # the last in the bucket
    spx_delta: float | None  # averages over the bucket's snapshots that have them
    gamma: float | None
    theta: float | None
    vega: float | None
    vix: float | None
    spx_price: float | None
    regime: str | None  # the last in the bucket


def window(
    query: QuerySnapshots, now: datetime, first: datetime | None, last: datetime | None
) -> Window | None:
    """The window of a query: the last day, week or month up to `now`; all the account's
    snapshots (`first`..`last`, None when it has none); or the custom start..end (end: now)."""
    if query.range is SnapshotRange.CUSTOM:
        if query.start is None:
            raise InvalidSnapshotQuery("a custom range needs a start")
        end = query.end if query.end is not None else now
        if end <= query.start:
            raise InvalidSnapshotQuery(f"the range ends ({end.isoformat()}) before it starts")
        return Window(query.start, end)
    if query.range is SnapshotRange.ALL:
        if first is None or last is None:
            return None
        return Window(first, last)
    return Window(now - RANGE_SPANS[query.range], now)


def bucket_seconds(span_s: float, max_points: int) -> int:
    """The smallest easily read bucket that cuts `span_s` into at most `max_points` buckets, however
    the buckets' grid falls on the window (a window can touch one bucket more than it spans)."""
    if max_points < 2:
        raise InvalidSnapshotQuery(f"max_points must be at least 2, was {max_points}")
    span = max(span_s, 0.0)
    for size in NICE_BUCKETS_S:
        if math.ceil(span / size) + 1 <= max_points:
            return size
    days = math.ceil(span / DAY_S / (max_points - 1))
    return max(days, 1) * DAY_S


def point(bucket: Bucket) -> SnapshotPoint:
    return SnapshotPoint(
        at=bucket.at,
        net_liquidation=bucket.net_liquidation,
        spx_delta=bucket.spx_delta,
        gamma=bucket.gamma,
        theta=bucket.theta,
        vega=bucket.vega,
        theta_delta_ratio=theta_delta_ratio(bucket.theta, bucket.spx_delta),
        sebastian_ratio=sebastian_ratio(bucket.theta, bucket.vega),
        vix=bucket.vix,
        spx_price=bucket.spx_price,
        regime=bucket.regime,
    )


def gap(at: datetime) -> SnapshotPoint:
    """A point with no values: a chart line breaks here instead of bridging a stretch of no data."""
    return SnapshotPoint(
        at=at,
        net_liquidation=None,
        spx_delta=None,
        gamma=None,
        theta=None,
        vega=None,
        theta_delta_ratio=None,
        sebastian_ratio=None,
        vix=None,
        spx_price=None,
        regime=None,
    )


def series_points(buckets: Sequence[Bucket], size_s: int, max_points: int) -> tuple[SnapshotPoint, ...]:
    """The buckets as points, with a gap wherever two of them lie much further apart than usual
    (more than GAP_FACTOR × the usual spacing, and more than a bucket): a logger that was down
    shows as a break, not as a straight line. Gaps never take the series past `max_points`."""
    points = [point(b) for b in buckets]
    if len(points) < 3:
        return tuple(points)
    spacings = [(b.at - a.at).total_seconds() for a, b in pairwise(buckets)]
    usual = statistics.median(spacings)
    threshold = max(usual * GAP_FACTOR, float(size_s))
    room = max_points - len(points)
    out: list[SnapshotPoint] = [points[0]]
    for previous, current, spacing in zip(buckets[:-1], points[1:], spacings, strict=True):
        if spacing > threshold and room > 0:
            out.append(gap(previous.at + timedelta(seconds=size_s)))
            room -= 1
        out.append(current)
    return tuple(out)
