"""The JSON API's response bodies. They are the API's contract, kept apart from the bus's events
so that a bus schema change is a visible change here, not a silent one in the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.shared.events import RiskUpdated
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks, RiskStatus, WeightedPosition


class ErrorBody(BaseModel):
    """Every 4xx: a stable code for programs and a reason for people."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable machine-readable error code, e.g. `no_risk_yet`.")
    reason: str = Field(description="What was wrong, for a person.")


class Portfolio(BaseModel):
    """One account's risk as risk last published it (`total`: all accounts together)."""

    model_config = ConfigDict(frozen=True)

    account: str
    status: RiskStatus = Field(description="`halted`: no Greeks were aggregated; `halt_reason` says why.")
    halt_reason: str | None
    updated_at: AwareDatetime = Field(description="When risk computed these numbers.")
    age_s: float = Field(description="Seconds between `updated_at` and this response.")
    stale: bool = Field(description="True when `age_s` exceeds the gateway's stale threshold.")
    greeks: PortfolioGreeks | None = Field(
        description="SPX-equivalent delta, gamma, theta ($/day), vega ($/vol pt), by underlying; "
        "null while halted."
    )
    positions: tuple[WeightedPosition, ...]
    breaches: tuple[ActiveBreach, ...]
    warnings: tuple[str, ...]
    spx_price: float | None
    vix: float | None
    regime: str | None
    net_liquidation: Decimal | None
    positions_as_of: AwareDatetime | None
    accounts: tuple[str, ...] = Field(description="For `total`: the accounts it sums.")

    @classmethod
    def from_risk(cls, risk: RiskUpdated, *, now: datetime, stale_after_s: float) -> Portfolio:
        age_s = (now - risk.occurred_at).total_seconds()
        return cls(
            account=risk.account,
            status=risk.status,
            halt_reason=risk.halt_reason,
            updated_at=risk.occurred_at,
            age_s=age_s,
            stale=age_s > stale_after_s,
            greeks=None if risk.status is RiskStatus.HALTED else risk.greeks,
            positions=risk.positions,
            breaches=risk.breaches,
            warnings=risk.warnings,
            spx_price=risk.spx_price,
            vix=risk.vix,
            regime=risk.regime,
            net_liquidation=risk.net_liquidation,
            positions_as_of=risk.positions_as_of,
            accounts=risk.accounts,
        )


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok"] = "ok"
    service: Literal["gateway"] = "gateway"
    accounts: tuple[str, ...] = Field(description="Accounts the gateway has heard of, `total` first.")
    accounts_with_risk: int = Field(description="How many of them have risk published.")
    stream_clients: int = Field(description="Open /api/stream connections.")
