from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.journal.domain.history import InvalidSeed, seed_window, simulate_history
from deltadesk.journal.domain.snapshots import RiskState, SnapshotSource, slot_at_or_before
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX
from deltadesk.shared.portfolio import Beta, BetaSource

UNTIL = datetime(2026, 11, 24, 15, 7, tzinfo=UTC)
BETAS = {
    key: Beta(value=value, source=BetaSource.CONFIG, method="test")
    for key, value in {"SPY": 1.0, "AAPL": 1.2, "NVDA": 1.9, "KO": 0.58}.items()
}


def history(days: int, seed: int = 7, interval_s: float = 900) -> list:  # type: ignore[type-arg]
    start, end = seed_window(UNTIL, days, interval_s, None)
    return list(
        simulate_history(
            "PAPER",
            start,
            end,
            interval_s=interval_s,
            rng=random.Random(seed),
            betas=BETAS,
            regimes=DEFAULT_MATRIX.vix_regimes,
        )
    )


def test_the_window_ends_at_the_first_snapshot_already_held() -> None:
    first_real = UNTIL - timedelta(hours=3)
    start, end = seed_window(UNTIL, 2, 900, first_real)
    assert (start, end) == (slot_at_or_before(UNTIL - timedelta(days=2), 900), first_real)
    first_seeded = start
    assert seed_window(UNTIL, 2, 900, first_seeded) == (start, start)  # the same days again: nothing
    longer = seed_window(UNTIL, 5, 900, first_seeded)
    assert longer == (slot_at_or_before(UNTIL - timedelta(days=5), 900), first_seeded)  # only the days before


def test_a_seed_needs_an_aware_end_and_at_least_a_day() -> None:
    with pytest.raises(InvalidSeed):
        seed_window(UNTIL.replace(tzinfo=None), 2, 900, None)
    with pytest.raises(InvalidSeed):
        seed_window(UNTIL, 0, 900, None)


def test_seeded_snapshots_are_on_the_grid_flagged_paper_with_greeks() -> None:
    snapshots = history(2)
    assert len(snapshots) == 2 * 96 + 1  # 15:00 two days before 15:07, to 15:00 today
    steps = {b.captured_at - a.captured_at for a, b in itertools.pairwise(snapshots)}
    assert steps == {timedelta(minutes=15)}
    assert all(s.captured_at == slot_at_or_before(s.captured_at, 900) for s in snapshots)
    assert snapshots[-1].captured_at < UNTIL
    assert all(
        s.paper and s.source is SnapshotSource.SEED and s.risk_state is RiskState.OK for s in snapshots
    )
    first = snapshots[0]
    assert first.net_liquidation == Decimal(500_000)  # the demo book is bought at its marks
    assert first.theta is not None
    assert first.theta > 0
    assert first.vega is not None
    assert first.vega < 0
    assert first.regime == "normal"


def test_the_same_seed_gives_the_same_history() -> None:
    assert history(1, seed=3) == history(1, seed=3)
    assert history(1, seed=3) != history(1, seed=4)


def test_a_month_rolls_the_book_instead_of_letting_it_expire_to_nothing() -> None:
    snapshots = history(75, interval_s=3600)
    last_week = snapshots[-7 * 24 :]
    assert all(s.theta is not None and s.theta > 0 for s in last_week)  # options still in the book
    jumps = [
        abs(b.net_liquidation - a.net_liquidation) / a.net_liquidation  # type: ignore[operator]
        for a, b in itertools.pairwise(snapshots)
    ]
    assert max(jumps) < Decimal("0.02")  # a roll trades at marks: net liquidation carries across it


def test_the_book_is_managed_at_21_days_so_its_theta_to_vega_stays_a_premium_sellers() -> None:
    # held into the last weeks, theta explodes against vega (the Sebastian ratio would leave its band);
    # managed at 21 DTE it stays near the 0.25–0.40 band the History tab draws
    ratios = sorted(abs(s.theta) / abs(s.vega) for s in history(60, interval_s=3600) if s.vega)
    assert 0.25 <= ratios[len(ratios) // 2] <= 0.45
    assert ratios[int(len(ratios) * 0.95)] < 0.6
