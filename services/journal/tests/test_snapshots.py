from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.journal.domain.snapshots import (
    RiskState,
    sebastian_ratio,
    slot_after,
    slot_at_or_before,
    take_snapshots,
    theta_delta_ratio,
)
from deltadesk.journal.testing import balances_reported, greeks, risk_update

AT = datetime(2026, 11, 24, 15, 15, tzinfo=UTC)
FRESH = AT - timedelta(seconds=5)


@pytest.mark.parametrize(
    ("theta", "delta", "expected"),
    [
        (120.0, 40.0, 3.0),
        (120.0, -40.0, -3.0),
        (-50.0, 25.0, -2.0),
        (120.0, 0.0, None),
        (120.0, -0.0, None),
        (0.0, 10.0, 0.0),
        (None, 10.0, None),
        (120.0, None, None),
        (math.inf, 10.0, None),
        (1e308, 1e-308, None),  # overflows to infinity: no number rather than inf
    ],
)
def test_theta_delta_ratio_edge_cases(
    theta: float | None, delta: float | None, expected: float | None
) -> None:
    assert theta_delta_ratio(theta, delta) == expected


@pytest.mark.parametrize(
    ("theta", "vega", "expected"),
    [(120.0, -400.0, 0.3), (-120.0, 400.0, 0.3), (120.0, 0.0, None), (None, 400.0, None), (0.0, 400.0, 0.0)],
)
def test_sebastian_ratio_is_absolute_theta_over_absolute_vega(
    theta: float | None, vega: float | None, expected: float | None
) -> None:
    assert sebastian_ratio(theta, vega) == (pytest.approx(expected) if expected is not None else None)


def test_slots_fall_on_the_quarter_hours_for_900_seconds() -> None:
    assert slot_after(datetime(2026, 11, 24, 15, 7, 31, tzinfo=UTC), 900) == datetime(
        2026, 11, 24, 15, 15, tzinfo=UTC
    )
    assert slot_after(AT, 900) == AT + timedelta(minutes=15)  # strictly after
    assert slot_at_or_before(AT, 900) == AT
    assert slot_at_or_before(AT + timedelta(seconds=899), 900) == AT


def test_after_downtime_the_next_slot_follows_now_and_missed_ones_stay_missed() -> None:
    last_taken = AT
    back_at = AT + timedelta(hours=2, minutes=3)
    following = slot_after(max(last_taken, back_at), 900)
    assert following == AT + timedelta(hours=2, minutes=15)


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from([0.5, 1, 60, 900, 3600, 86400]))
def test_slot_after_is_on_the_grid_and_within_one_interval(moment: datetime, interval: float) -> None:
    slot = slot_after(moment, interval)
    assert moment < slot <= moment + timedelta(seconds=interval)
    assert slot_at_or_before(slot, interval) == slot


def test_a_snapshot_takes_greeks_from_risk_and_money_from_balances() -> None:
    snapshots, failures = take_snapshots(
        AT,
        [risk_update("PAPER", FRESH, greeks(40.0, theta=120.0, vega=-400.0), vix=17.0, regime="normal")],
        [balances_reported("PAPER", FRESH, net_liquidation="512345.67", cash="250000.00")],
        max_age_s=120,
        paper_accounts={"PAPER"},
    )
    assert failures == []
    (snap,) = snapshots
    assert snap.captured_at == AT
    assert snap.net_liquidation == Decimal("512345.67")
    assert snap.cash == Decimal("250000.00")
    assert (snap.spx_delta, snap.theta, snap.vega) == (40.0, 120.0, -400.0)
    assert snap.theta_delta_ratio == 3.0
    assert (snap.vix, snap.spx_price, snap.regime) == (17.0, 6000.0, "normal")
    assert snap.risk_state is RiskState.OK
    assert snap.paper is True
    assert snap.broker == "paper"


def test_a_halted_risk_state_is_recorded_as_no_greeks_not_zeros() -> None:
    snapshots, _ = take_snapshots(
        AT,
        [risk_update("IBKR1", FRESH, None)],
        [balances_reported("IBKR1", FRESH)],
        max_age_s=120,
        paper_accounts=(),
    )
    (snap,) = snapshots
    assert snap.risk_state is RiskState.HALTED
    assert snap.spx_delta is snap.gamma is snap.theta is snap.vega is snap.theta_delta_ratio is None
    assert snap.net_liquidation == Decimal("500000.00")
    assert snap.paper is False


def test_stale_inputs_count_as_missing_never_as_current() -> None:
    old = AT - timedelta(minutes=20)
    snapshots, failures = take_snapshots(
        AT,
        [risk_update("A", old, greeks(5.0)), risk_update("B", old, greeks(5.0))],
        [balances_reported("B", FRESH)],
        max_age_s=120,
        paper_accounts=(),
    )
    assert [f.account for f in failures] == ["A"]
    assert "risk 1200 s old" in failures[0].reason
    (b,) = snapshots
    assert b.account == "B"
    assert b.risk_state is RiskState.MISSING
    assert b.spx_delta is None
    assert b.vix is None


def test_total_sums_cash_only_when_every_account_has_fresh_balances() -> None:
    risks = [
        risk_update("total", FRESH, greeks(10.0), accounts=("A", "B"), net_liquidation="900000"),
        risk_update("A", FRESH, greeks(4.0)),
        risk_update("B", FRESH, greeks(6.0)),
    ]
    both = [balances_reported("A", FRESH, cash="100.50"), balances_reported("B", FRESH, cash="200.25")]
    snapshots, _ = take_snapshots(AT, risks, both, max_age_s=120, paper_accounts=("A",))
    total = next(s for s in snapshots if s.account == "total")
    assert total.cash == Decimal("300.75")
    assert total.net_liquidation == Decimal("900000")
    assert total.paper is False  # B is a real account
    snapshots, _ = take_snapshots(AT, risks, both[:1], max_age_s=120, paper_accounts=())
    assert next(s for s in snapshots if s.account == "total").cash is None


def test_the_newest_event_of_an_account_is_used() -> None:
    older = risk_update("A", FRESH - timedelta(seconds=30), greeks(1.0))
    newer = risk_update("A", FRESH, greeks(2.0))
    snapshots, _ = take_snapshots(AT, [newer, older], [], max_age_s=120, paper_accounts=())
    assert snapshots[0].spx_delta == 2.0


def test_nothing_reported_means_nothing_to_snapshot() -> None:
    assert take_snapshots(AT, [], [], max_age_s=120, paper_accounts=()) == ([], [])
