"""What the review step shows of a simulation: margin, commission, the Greeks before and after the
order, and every limit the order would breach, with the post-trade Greeks each breach turns red.

The numbers are execution's and risk's, as stored in the simulation; nothing here computes them.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.shared.orders import WhatIf
from deltadesk.shared.portfolio import PortfolioGreeks
from deltadesk.shared.simulation import LimitCheck, Simulation

GREEKS = ("delta", "gamma", "theta", "vega")


class SimulationResult(BaseModel):
    """A simulated order as the API and the review show it. Approve it with `simulation_id` and
    `order_hash` before `expires_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    simulation_id: UUID
    order_id: UUID
    order_hash: str = Field(description="SHA-256 of the canonical order: the approval must carry it.")
    simulated_at: AwareDatetime
    expires_at: AwareDatetime = Field(description="After this the order must be simulated again.")
    margin: WhatIf = Field(description="The broker's what-if: initial margin and its change, commission.")
    pre_trade: PortfolioGreeks = Field(description="The account's Greeks now.")
    post_trade: PortfolioGreeks = Field(description="The account's Greeks with the order filled.")
    order_greeks: PortfolioGreeks = Field(description="The order's own Greeks, beta-weighted.")
    checks: tuple[LimitCheck, ...] = Field(description="Every limit of risk_matrix.yaml, post-trade.")
    breaches: tuple[LimitCheck, ...] = Field(description="The limits the order would breach.")
    breached_greeks: tuple[str, ...] = Field(
        description="Post-trade Greeks a breach concerns (delta, gamma, theta, vega): shown in red."
    )
    spx_price: float
    vix: float | None
    regime: str | None


def greek_of_limit(limit: str) -> str | None:
    """The Greek a risk_matrix.yaml limit bounds: `max_portfolio_delta` → delta; None for others."""
    words = limit.lower().replace("-", "_").split("_")
    return next((greek for greek in GREEKS if greek in words), None)


def simulation_result(simulation: Simulation) -> SimulationResult:
    risk = simulation.risk
    breaches = risk.breaches
    breached = {greek_of_limit(check.limit) for check in breaches} - {None}
    return SimulationResult(
        simulation_id=simulation.simulation_id,
        order_id=simulation.order_id,
        order_hash=simulation.order_hash,
        simulated_at=simulation.simulated_at,
        expires_at=simulation.expires_at,
        margin=simulation.whatif,
        pre_trade=risk.pre_trade,
        post_trade=risk.post_trade,
        order_greeks=risk.order,
        checks=risk.checks,
        breaches=breaches,
        breached_greeks=tuple(greek for greek in GREEKS if greek in breached),
        spx_price=risk.spx_price,
        vix=risk.vix,
        regime=risk.regime,
    )
