from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from deltadesk.risk.domain.limits import Limits, check_limits, transition_breaches
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX, BreachScope, RiskMatrix
from deltadesk.shared.events import LimitBreached, LimitCleared
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LIMITS = Limits(max_portfolio_delta=300, min_gamma=-100, min_vega=-10_000, min_theta=0)


def greeks(
    spx_delta: float = 0.0, gamma: float = 0.0, theta: float = 10.0, vega: float = 0.0
) -> PortfolioGreeks:
    return PortfolioGreeks(spx_delta=spx_delta, gamma=gamma, theta=theta, vega=vega)


def names(breaches: tuple[ActiveBreach, ...]) -> set[str]:
    return {b.limit for b in breaches}


# ── the check ────────────────────────────────────────────────────────────────────────────────────
def test_a_portfolio_within_every_limit_breaches_nothing() -> None:
    assert check_limits(greeks(spx_delta=120, gamma=-20, theta=45, vega=-3000), LIMITS, NOW) == ()


@pytest.mark.parametrize("spx_delta", [300.0, -300.0])
def test_exactly_at_the_delta_limit_is_not_a_breach(spx_delta: float) -> None:
    assert check_limits(greeks(spx_delta=spx_delta), LIMITS, NOW) == ()


@pytest.mark.parametrize("spx_delta", [300.01, -300.01])
def test_beyond_the_delta_limit_either_way_is_a_breach(spx_delta: float) -> None:
    (breach,) = check_limits(greeks(spx_delta=spx_delta), LIMITS, NOW)
    assert breach.limit == "max_portfolio_delta"
    assert breach.threshold == 300
    assert breach.actual == spx_delta
    assert breach.since == NOW
    assert "300" in breach.description


def test_exactly_at_the_floors_is_not_a_breach() -> None:
    assert check_limits(greeks(gamma=-100, vega=-10_000, theta=0), LIMITS, NOW) == ()


def test_below_each_floor_is_a_breach_of_that_limit() -> None:
    found = check_limits(greeks(gamma=-100.5, vega=-10_001, theta=-0.01), LIMITS, NOW)
    assert names(found) == {"min_gamma", "min_vega", "min_theta"}
    by_name = {b.limit: b for b in found}
    assert by_name["min_vega"].actual == -10_001
    assert by_name["min_vega"].threshold == -10_000


def test_a_limit_left_out_is_not_checked() -> None:
    assert check_limits(greeks(spx_delta=10_000, theta=-500), Limits(), NOW) == ()


def test_the_delta_limit_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        Limits(max_portfolio_delta=0)


# ── transitions ──────────────────────────────────────────────────────────────────────────────────
def transition(
    previous: tuple[ActiveBreach, ...], current_greeks: PortfolioGreeks, now: datetime = NOW
) -> tuple[tuple[ActiveBreach, ...], list[LimitBreached], list[LimitCleared]]:
    current = check_limits(current_greeks, LIMITS, now)
    result = transition_breaches(
        previous,
        current,
        greeks=current_greeks,
        limits=LIMITS,
        account="U1",
        regime="normal",
        now=now,
        new_id=uuid4,
    )
    return result.active, list(result.breached), list(result.cleared)


def test_a_breach_that_starts_publishes_one_limit_breached() -> None:
    active, breached, cleared = transition((), greeks(spx_delta=412))
    assert names(active) == {"max_portfolio_delta"}
    assert cleared == []
    (event,) = breached
    assert (event.account, event.limit, event.threshold, event.actual, event.regime) == (
        "U1",
        "max_portfolio_delta",
        300,
        412,
        "normal",
    )
    assert event.occurred_at == NOW
    assert isinstance(event.event_id, UUID)


def test_no_repeat_while_the_breach_lasts_and_it_keeps_its_start() -> None:
    active, _, _ = transition((), greeks(spx_delta=412))
    later = NOW + timedelta(minutes=5)
    active, breached, cleared = transition(active, greeks(spx_delta=450), later)
    assert breached == []
    assert cleared == []
    (breach,) = active
    assert breach.since == NOW  # still the start
    assert breach.actual == 450  # but today's number


def test_a_breach_that_clears_publishes_one_limit_cleared() -> None:
    active, _, _ = transition((), greeks(spx_delta=412))
    later = NOW + timedelta(minutes=5)
    active, breached, cleared = transition(active, greeks(spx_delta=300), later)  # exactly at: cleared
    assert active == ()
    assert breached == []
    (event,) = cleared
    assert (event.limit, event.threshold, event.actual) == ("max_portfolio_delta", 300, 300)
    assert event.occurred_at == later
    # and nothing more while it stays clear
    assert transition(active, greeks(spx_delta=100), later) == ((), [], [])


def test_one_limit_clears_while_another_starts() -> None:
    active, _, _ = transition((), greeks(spx_delta=412))
    active, breached, cleared = transition(active, greeks(spx_delta=10, theta=-3))
    assert names(active) == {"min_theta"}
    assert [e.limit for e in breached] == ["min_theta"]
    assert [e.limit for e in cleared] == ["max_portfolio_delta"]


def test_a_breached_limit_no_longer_configured_clears() -> None:
    previous = check_limits(greeks(spx_delta=412), LIMITS, NOW)
    result = transition_breaches(
        previous,
        (),
        greeks=greeks(spx_delta=412),
        limits=Limits(),
        account="U1",
        regime=None,
        now=NOW,
        new_id=uuid4,
    )
    assert result.active == ()
    (event,) = result.cleared
    assert event.limit == "max_portfolio_delta"
    assert "no longer" in event.description


@given(st.lists(st.floats(min_value=-1000, max_value=1000), min_size=1, max_size=30))
def test_events_alternate_breached_then_cleared_per_limit(deltas: list[float]) -> None:
    """Over any path of deltas, a limit's events alternate and start with a breach: never twice in a row."""
    active: tuple[ActiveBreach, ...] = ()
    kinds: list[str] = []
    for delta in deltas:
        active, breached, cleared = transition(active, greeks(spx_delta=delta))
        kinds += ["breached"] * len(breached) + ["cleared"] * len(cleared)
        assert (abs(delta) > 300) == (names(active) == {"max_portfolio_delta"})
    assert all(a != b for a, b in pairwise(kinds))
    assert not kinds or kinds[0] == "breached"


# ── the matrix ───────────────────────────────────────────────────────────────────────────────────
MATRIX = RiskMatrix.model_validate(
    {
        "limits": {"max_portfolio_delta": 300, "min_theta": 0},
        "vix_regimes": [
            {"name": "low", "below": 15},
            {"name": "normal", "below": 20},
            {"name": "elevated", "below": 30},
            {"name": "crisis"},
        ],
        "regime_limits": {"crisis": {"max_portfolio_delta": 100, "min_theta": None}},
    }
)


def test_regime_overrides_replace_only_the_limits_they_name() -> None:
    assert MATRIX.limits_for("crisis") == Limits(max_portfolio_delta=100, min_theta=None)
    assert MATRIX.limits_for("normal") == Limits(max_portfolio_delta=300, min_theta=0)


def test_an_unknown_regime_uses_the_base_limits() -> None:
    assert MATRIX.limits_for(None) == MATRIX.limits


def test_overrides_must_name_a_configured_regime() -> None:
    with pytest.raises(ValidationError, match="panic"):
        RiskMatrix.model_validate(
            {**MATRIX.model_dump(), "regime_limits": {"panic": {"max_portfolio_delta": 1}}}
        )


def test_an_unknown_limit_name_is_an_error_not_ignored() -> None:
    with pytest.raises(ValidationError, match="max_delta"):
        RiskMatrix.model_validate({**MATRIX.model_dump(), "limits": {"max_delta": 300}})


@pytest.mark.parametrize(
    ("scope", "account", "checked"),
    [
        (BreachScope.ACCOUNTS, "U1", True),
        (BreachScope.ACCOUNTS, "total", False),
        (BreachScope.TOTAL, "U1", False),
        (BreachScope.TOTAL, "total", True),
        (BreachScope.ALL, "U1", True),
        (BreachScope.ALL, "total", True),
    ],
)
def test_breach_scope_says_which_results_are_checked(scope: BreachScope, account: str, checked: bool) -> None:
    assert MATRIX.model_copy(update={"breach_scope": scope}).checks(account) is checked


def test_default_limits_leave_room_for_a_premium_sellers_book() -> None:
    book = greeks(spx_delta=-150, gamma=-40, theta=180, vega=-4000)
    for regime in (None, "low", "normal"):
        assert check_limits(book, DEFAULT_MATRIX.limits_for(regime), NOW) == ()
