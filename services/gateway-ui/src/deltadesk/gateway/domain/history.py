"""The History tab: the journal's snapshot query of a chart range, and the series it answers with,
plus what the charts draw around it (the window on the time axis, the Sebastian ratio's zones).

The points are the journal's time buckets as they come: a ratio that is undefined there (delta or
vega 0, or no Greeks) is null, and stays null, so the chart breaks its line instead of drawing a
zero or a spike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.gateway.domain.accounts import parse_account_field
from deltadesk.gateway.domain.journal import check_range, parse_instant
from deltadesk.gateway.errors import InvalidFilter
from deltadesk.shared.commands import QuerySnapshots, SnapshotPoint, SnapshotRange, SnapshotSeries

DEFAULT_POINTS = 1000
# The journal's own windows for the fixed ranges (deltadesk.journal.domain.series): the charts show
# the same span on their time axis, so a week with two days of data looks like one.
RANGE_SPANS: dict[SnapshotRange, timedelta] = {
    SnapshotRange.DAY: timedelta(days=1),
    SnapshotRange.WEEK: timedelta(weeks=1),
    SnapshotRange.MONTH: timedelta(days=30),
}


class SebastianBand(BaseModel):
    """The Sebastian ratio's zones (|Θ|/|V|): green is the target, red is too little theta for the
    vega carried, or too much (a book paid for its theta with gamma)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    green_low: float = 0.25
    green_high: float = 0.40
    red_below: float = 0.20
    red_above: float = 0.50


SEBASTIAN_BAND = SebastianBand()


class History(BaseModel):
    """An account's snapshots over a range, down-sampled by the journal into time buckets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    range: SnapshotRange
    window_start: AwareDatetime | None = Field(
        description="The time axis' start: the range's start (null for All: the data's own extent)."
    )
    window_end: AwareDatetime | None
    bucket_seconds: int = Field(description="The width of one point's bucket (0 when there is no data).")
    paper: bool = Field(description="Seeded or simulated history: paper data, not an account's record.")
    points: tuple[SnapshotPoint, ...] = Field(
        description="Oldest first. A point with every value null is a gap: the logger was not running."
    )
    band: SebastianBand = SEBASTIAN_BAND


def history_query(
    *,
    account: str,
    range: SnapshotRange,
    start: str | None = None,
    end: str | None = None,
    max_points: int = DEFAULT_POINTS,
) -> QuerySnapshots:
    """The journal query of a chart range: a custom range needs a start (its end defaults to now);
    the fixed ranges take neither."""
    parse_account_field(account)
    first = parse_instant(start, "start")
    last = parse_instant(end, "end", end=True)
    if range is SnapshotRange.CUSTOM:
        if first is None:
            raise InvalidFilter("start: a custom range needs a start")
        check_range(first, last)
    else:
        for name, value in (("start", first), ("end", last)):
            if value is not None:
                raise InvalidFilter(f"{name}: only range=custom takes one, not range={range.value}")
    return QuerySnapshots(account=account, range=range, start=first, end=last, max_points=max_points)


def window(query: QuerySnapshots, now: datetime) -> tuple[datetime | None, datetime | None]:
    if query.range is SnapshotRange.CUSTOM:
        return query.start, query.end or now
    span = RANGE_SPANS.get(query.range)
    if span is None:
        return None, None
    return now - span, now


def history(series: SnapshotSeries, query: QuerySnapshots, now: datetime) -> History:
    start, end = window(query, now)
    return History(
        account=series.account,
        range=query.range,
        window_start=start,
        window_end=end,
        bucket_seconds=series.bucket_seconds,
        paper=series.paper,
        points=series.points,
    )
