"""What simulating an order yields: margin from the broker, post-trade Greeks from risk, and the limits
of risk_matrix.yaml the order would breach."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from deltadesk.shared.messages import Message
from deltadesk.shared.orders import WhatIf
from deltadesk.shared.portfolio import PortfolioGreeks


class LimitCheck(BaseModel):
    """One limit against a number: `breached` when the number is beyond the threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: str
    threshold: float
    actual: float
    breached: bool
    description: str


class RiskWhatIf(Message):
    """Risk's answer for a proposed order: the portfolio now, with the order, and the order alone."""

    account: str
    pre_trade: PortfolioGreeks
    post_trade: PortfolioGreeks
    order: PortfolioGreeks
    checks: tuple[LimitCheck, ...]
    spx_price: float
    vix: float | None
    regime: str | None

    @property
    def breaches(self) -> tuple[LimitCheck, ...]:
        return tuple(c for c in self.checks if c.breached)


class Simulation(Message):
    """A stored simulation: what the review step shows and what an approval must match."""

    simulation_id: UUID
    order_id: UUID
    order_hash: str
    whatif: WhatIf
    risk: RiskWhatIf
    simulated_at: AwareDatetime
    expires_at: AwareDatetime

    @property
    def breaches(self) -> tuple[LimitCheck, ...]:
        return self.risk.breaches
