"""Account snapshots: what an account looked like at one instant, from the latest risk and balances.

Snapshots are taken on a grid of the interval (every 900 s: :00, :15, :30, :45), so a restart in
the middle of an interval never writes the same instant twice, and a missed instant stays missing:
nothing is ever back-filled. Only fresh inputs count: a risk update or balance older than the
allowed age is treated as absent, and a halted risk state is recorded as no Greeks (never zeros).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from deltadesk.shared.events import BalancesReported, RiskUpdated
from deltadesk.shared.portfolio import RiskStatus

TOTAL = "total"
E = TypeVar("E", RiskUpdated, BalancesReported)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SnapshotSource(StrEnum):
    LIVE = "live"  # the logger, from the desk's own risk and balances
    SEED = "seed"  # seed-history: the simulated market run through time (paper data)


class RiskState(StrEnum):
    OK = "ok"
    HALTED = "halted"  # risk said it cannot compute: no Greeks
    MISSING = "missing"  # no fresh risk update for the account: no Greeks


@dataclass(frozen=True, slots=True)
class Snapshot:
    account: str
    captured_at: datetime
    broker: str | None
    net_liquidation: Decimal | None
    cash: Decimal | None
    spx_delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    theta_delta_ratio: float | None
    vix: float | None
    spx_price: float | None
    regime: str | None
    risk_state: RiskState
    paper: bool
    source: SnapshotSource = SnapshotSource.LIVE


@dataclass(frozen=True, slots=True)
class SnapshotFailure:
    """An account whose snapshot could not be taken, and why."""

    account: str
    reason: str


def theta_delta_ratio(theta: float | None, delta: float | None) -> float | None:
    """Θ/Δ, the income-to-risk efficiency ratio. None (a gap, never a spike or an error) when
    either is unknown or delta is 0."""
    return _ratio(theta, delta)


def sebastian_ratio(theta: float | None, vega: float | None) -> float | None:
    """|Θ|/|V|: daily theta per unit of vega exposure. None when either is unknown or vega is 0."""
    if theta is None or vega is None:
        return None
    return _ratio(abs(theta), abs(vega))


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    if not (math.isfinite(numerator) and math.isfinite(denominator)):
        return None
    value = numerator / denominator
    return value if math.isfinite(value) else None


def slot_after(moment: datetime, interval_s: float) -> datetime:
    """The first instant of the interval's grid strictly after `moment` (the grid starts at the
    Unix epoch, so 900 s falls on :00, :15, :30 and :45 of every hour, UTC)."""
    step = _step_us(interval_s)
    elapsed = (moment - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=(elapsed // step + 1) * step)


def slot_at_or_before(moment: datetime, interval_s: float) -> datetime:
    """The last instant of the interval's grid at or before `moment`."""
    step = _step_us(interval_s)
    elapsed = (moment - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=(elapsed // step) * step)


def _step_us(interval_s: float) -> int:
    if not (math.isfinite(interval_s) and interval_s > 0):
        raise ValueError(f"a snapshot interval must be a positive number of seconds, was {interval_s}")
    return max(1, round(interval_s * 1_000_000))


def take_snapshots(
    at: datetime,
    risks: Iterable[RiskUpdated],
    balances: Iterable[BalancesReported],
    *,
    max_age_s: float,
    paper_accounts: Collection[str],
) -> tuple[list[Snapshot], list[SnapshotFailure]]:
    """A snapshot of every account that reported risk or balances (and of `total`), from inputs no
    older than `max_age_s` at `at`; an account with no fresh input at all is a failure with a reason."""
    risk_by_account = _newest(risks)
    balances_by_account = _newest(balances)
    fresh_risk = {a: r for a, r in risk_by_account.items() if _fresh(r.occurred_at, at, max_age_s)}
    fresh_balances = {a: b for a, b in balances_by_account.items() if _fresh(b.occurred_at, at, max_age_s)}
    snapshots: list[Snapshot] = []
    failures: list[SnapshotFailure] = []
    for account in sorted(set(risk_by_account) | set(balances_by_account)):
        risk = fresh_risk.get(account)
        held = balances_by_account.get(account)
        money = fresh_balances.get(account)
        if risk is None and money is None:
            failures.append(SnapshotFailure(account, _stale_reason(at, risk_by_account.get(account), held)))
            continue
        snapshots.append(_snapshot(account, at, risk, money, fresh_balances, paper_accounts))
    return snapshots, failures


def _snapshot(
    account: str,
    at: datetime,
    risk: RiskUpdated | None,
    money: BalancesReported | None,
    fresh_balances: dict[str, BalancesReported],
    paper_accounts: Collection[str],
) -> Snapshot:
    greeks = risk.greeks if risk is not None and risk.status is RiskStatus.OK else None
    state = RiskState.MISSING if risk is None else RiskState.OK if greeks is not None else RiskState.HALTED
    net_liquidation = money.balances.net_liquidation if money is not None else None
    if net_liquidation is None and risk is not None:
        net_liquidation = risk.net_liquidation
    members = tuple(risk.accounts) if risk is not None and risk.accounts else (account,)
    cash = money.balances.cash if money is not None else None
    if cash is None and account == TOTAL:
        cash = _total_cash(members, fresh_balances)
    delta = greeks.spx_delta if greeks is not None else None
    theta = greeks.theta if greeks is not None else None
    return Snapshot(
        account=account,
        captured_at=at,
        broker=money.broker if money is not None else None,
        net_liquidation=net_liquidation,
        cash=cash,
        spx_delta=delta,
        gamma=greeks.gamma if greeks is not None else None,
        theta=theta,
        vega=greeks.vega if greeks is not None else None,
        theta_delta_ratio=theta_delta_ratio(theta, delta),
        vix=risk.vix if risk is not None else None,
        spx_price=risk.spx_price if risk is not None else None,
        regime=risk.regime if risk is not None else None,
        risk_state=state,
        paper=all(member in paper_accounts for member in members),
    )


def _total_cash(members: Sequence[str], fresh_balances: dict[str, BalancesReported]) -> Decimal | None:
    """The cash of all accounts, only when every one of them has fresh balances."""
    held = [fresh_balances.get(member) for member in members if member != TOTAL]
    if not held or any(b is None for b in held):
        return None
    return sum((b.balances.cash for b in held if b is not None), Decimal(0))


def _newest(events: Iterable[E]) -> dict[str, E]:
    found: dict[str, E] = {}
    for event in events:
        held = found.get(event.account)
        if held is None or event.occurred_at > held.occurred_at:
            found[event.account] = event
    return found


def _fresh(occurred_at: datetime, at: datetime, max_age_s: float) -> bool:
    return (at - occurred_at).total_seconds() <= max_age_s


def _stale_reason(at: datetime, risk: RiskUpdated | None, money: BalancesReported | None) -> str:
    ages = []
    for name, event in (("risk", risk), ("balances", money)):
        if event is not None:
            ages.append(f"{name} {int((at - event.occurred_at).total_seconds())} s old")
    return "no fresh risk or balances" + (f" ({', '.join(ages)})" if ages else "")
