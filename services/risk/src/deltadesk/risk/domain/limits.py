"""The limits a premium seller sets, checked against the portfolio's Greeks, and when to say so.

Each limit is a bound, and a number exactly at its bound is within it: |SPX delta| = 300 with a
limit of 300 is not a breach, nor is theta 0 with a minimum of 0. A breach is announced once when
it starts (LimitBreached) and once when it clears (LimitCleared), never on every update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from deltadesk.shared.events import LimitBreached, LimitCleared
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks
from deltadesk.shared.simulation import LimitCheck

MAX_PORTFOLIO_DELTA = "max_portfolio_delta"
MIN_GAMMA = "min_gamma"
MIN_VEGA = "min_vega"
MIN_THETA = "min_theta"


class Limits(BaseModel):
    """The bounds in force. A limit left out (None) is not checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_portfolio_delta: float | None = Field(
        default=None, gt=0, description="Largest |SPX-equivalent delta| allowed, long or short."
    )
    min_gamma: float | None = Field(
        default=None, description="Gamma floor (Σ gamma × qty × multiplier): how short gamma may get."
    )
    min_vega: float | None = Field(
        default=None, description="Vega floor in $ per vol point: how short vega may get."
    )
    min_theta: float | None = Field(
        default=None, description="Smallest theta in $ per day, e.g. 0: keep earning decay."
    )


@dataclass(frozen=True, slots=True)
class BreachTransition:
    """The breaches active after an update, and the events that announce what changed."""

    active: tuple[ActiveBreach, ...]
    breached: tuple[LimitBreached, ...]
    cleared: tuple[LimitCleared, ...]


def _value(limit: str, greeks: PortfolioGreeks) -> float:
    return {
        MAX_PORTFOLIO_DELTA: greeks.spx_delta,
        MIN_GAMMA: greeks.gamma,
        MIN_VEGA: greeks.vega,
        MIN_THETA: greeks.theta,
    }[limit]


def _thresholds(limits: Limits) -> dict[str, float]:
    configured = {
        MAX_PORTFOLIO_DELTA: limits.max_portfolio_delta,
        MIN_GAMMA: limits.min_gamma,
        MIN_VEGA: limits.min_vega,
        MIN_THETA: limits.min_theta,
    }
    return {name: threshold for name, threshold in configured.items() if threshold is not None}


def _is_breached(limit: str, actual: float, threshold: float) -> bool:
    if limit == MAX_PORTFOLIO_DELTA:
        return abs(actual) > threshold
    return actual < threshold


def _describe(limit: str, actual: float, threshold: float, *, breached: bool) -> str:
    if limit == MAX_PORTFOLIO_DELTA:
        where = "is beyond" if breached else "is back within"
        return f"SPX-equivalent delta {actual:,.1f} {where} ±{threshold:,g}"
    label = {MIN_GAMMA: "gamma", MIN_VEGA: "vega ($/vol point)", MIN_THETA: "theta ($/day)"}[limit]
    where = "is below the floor of" if breached else "is back at or above"
    return f"{label} {actual:,.1f} {where} {threshold:,g}"


def check_limits(greeks: PortfolioGreeks, limits: Limits, now: datetime) -> tuple[ActiveBreach, ...]:
    """Every configured limit the Greeks break, as breaches starting `now`."""
    found = []
    for limit, threshold in _thresholds(limits).items():
        actual = _value(limit, greeks)
        if _is_breached(limit, actual, threshold):
            found.append(
                ActiveBreach(
                    limit=limit,
                    threshold=threshold,
                    actual=actual,
                    description=_describe(limit, actual, threshold, breached=True),
                    since=now,
                )
            )
    return tuple(found)


def transition_breaches(
    previous: Sequence[ActiveBreach],
    current: Sequence[ActiveBreach],
    *,
    greeks: PortfolioGreeks,
    limits: Limits,
    account: str,
    regime: str | None,
    now: datetime,
    new_id: Callable[[], UUID],
) -> BreachTransition:
    """Compare the breaches before and after an update.

    A limit newly breached gives a LimitBreached; a limit no longer breached a LimitCleared (with
    today's number, or the last one when the limit is no longer configured). A breach that goes on
    keeps its `since` and gets today's threshold, number and description, and says nothing.
    """
    before = {b.limit: b for b in previous}
    after = {b.limit: b for b in current}
    thresholds = _thresholds(limits)
    active = []
    breached = []
    for limit, breach in after.items():
        started = before.get(limit)
        if started is not None:
            active.append(breach.model_copy(update={"since": started.since}))
            continue
        active.append(breach)
        breached.append(
            LimitBreached(
                event_id=new_id(),
                occurred_at=now,
                account=account,
                limit=limit,
                threshold=breach.threshold,
                actual=breach.actual,
                regime=regime,
                description=breach.description,
            )
        )
    cleared = []
    for limit, old in before.items():
        if limit in after:
            continue
        if limit in thresholds:
            threshold, actual = thresholds[limit], _value(limit, greeks)
            description = _describe(limit, actual, threshold, breached=False)
        else:
            threshold, actual = old.threshold, old.actual
            description = f"{limit} is no longer configured; its breach is closed"
        cleared.append(
            LimitCleared(
                event_id=new_id(),
                occurred_at=now,
                account=account,
                limit=limit,
                threshold=threshold,
                actual=actual,
                regime=regime,
                description=description,
            )
        )
    return BreachTransition(tuple(active), tuple(breached), tuple(cleared))


def evaluate_limits(greeks: PortfolioGreeks, limits: Limits) -> tuple[LimitCheck, ...]:
    """Every configured limit against the Greeks, breached or not (what a simulation shows)."""
    checks = []
    for limit, threshold in _thresholds(limits).items():
        actual = _value(limit, greeks)
        breached = _is_breached(limit, actual, threshold)
        checks.append(
            LimitCheck(
                limit=limit,
                threshold=threshold,
                actual=actual,
                breached=breached,
                description=_describe(limit, actual, threshold, breached=breached),
            )
        )
    return tuple(checks)
