"""What the dashboard shows for one account: its risk, how old it is, and the banners that warn.

The numbers are risk's, as published: nothing here sums or weights anything. The banners are the
desk's "do not trust this number" signals, so each says what is wrong and since when. The
page's JavaScript (static/js/panels/banners.js) applies the same rules to live updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from deltadesk.gateway.domain.figures import age, clock_time, fixed
from deltadesk.shared.events import BrokerState, BrokerStatusChanged, RiskUpdated
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks, RiskStatus


class BannerKind(StrEnum):
    HALTED = "halted"  # risk aggregated nothing: no number is better than a wrong one
    STALE = "stale"  # the last risk update is older than the page's patience
    BREACH = "breach"  # a risk_matrix.yaml limit is breached right now
    BROKER_DOWN = "broker-down"  # an account's broker connection is down


@dataclass(frozen=True, slots=True)
class Banner:
    kind: BannerKind
    title: str
    detail: str
    account: str | None = None
    limit: str | None = None


@dataclass(frozen=True, slots=True)
class Dashboard:
    account: str
    accounts: tuple[str, ...]
    risk: RiskUpdated | None
    banners: tuple[Banner, ...]
    age_s: float | None
    stale: bool

    @property
    def halted(self) -> bool:
        return self.risk is not None and self.risk.status is RiskStatus.HALTED

    @property
    def greeks(self) -> PortfolioGreeks | None:
        """The portfolio Greeks to show as current: none while risk is halted."""
        if self.risk is None or self.halted:
            return None
        return self.risk.greeks


def build_dashboard(
    account: str,
    accounts: tuple[str, ...],
    risks: Mapping[str, RiskUpdated],
    statuses: Mapping[str, BrokerStatusChanged],
    *,
    now: datetime,
    stale_after_s: float,
) -> Dashboard:
    risk = risks.get(account)
    age_s = None if risk is None else (now - risk.occurred_at).total_seconds()
    stale = risk is not None and age_s is not None and age_s > stale_after_s
    banners: list[Banner] = []
    if risk is not None and risk.status is RiskStatus.HALTED:
        banners.append(halted_banner(risk))
    elif risk is not None and stale:
        banners.append(stale_banner(risk, age_s))
    if risk is not None:
        banners.extend(breach_banner(breach, risk.account) for breach in risk.breaches)
    banners.extend(
        broker_down_banner(status)
        for _, status in sorted(statuses.items())
        if status.state is BrokerState.DOWN
    )
    return Dashboard(account, accounts, risk, tuple(banners), age_s, stale)


def halted_banner(risk: RiskUpdated) -> Banner:
    reason = risk.halt_reason or "risk gave no reason"
    return Banner(
        BannerKind.HALTED,
        "SPX price unavailable",
        f"Greeks halted for {risk.account}: {reason}. "
        "No SPX-equivalent delta is shown until SPX is priced again.",
        account=risk.account,
    )


def stale_banner(risk: RiskUpdated, age_s: float | None) -> Banner:
    return Banner(
        BannerKind.STALE,
        "Risk is stale",
        f"No risk update for {risk.account} for {age(age_s)} (last at {clock_time(risk.occurred_at)}); "
        "the numbers below are the last received, not current.",
        account=risk.account,
    )


def breach_banner(breach: ActiveBreach, account: str) -> Banner:
    return Banner(
        BannerKind.BREACH,
        f"Limit breached: {breach.limit}",
        f"{breach.description} — threshold {fixed(breach.threshold)}, actual {fixed(breach.actual)} "
        f"(since {clock_time(breach.since)})",
        account=account,
        limit=breach.limit,
    )


def broker_down_banner(status: BrokerStatusChanged) -> Banner:
    reason = status.reason or "no reason given"
    return Banner(
        BannerKind.BROKER_DOWN,
        f"Broker down: {status.account}",
        f"{status.broker}: {reason} (since {clock_time(status.since)})",
        account=status.account,
    )
