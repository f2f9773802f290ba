"""The risk matrix: the limits of risk_matrix.yaml, the VIX regimes and each regime's overrides."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deltadesk.risk.domain.limits import Limits
from deltadesk.risk.domain.regime import RegimeBand, VixRegimes

TOTAL = "total"  # the reserved account token of all accounts together


class BreachScope(StrEnum):
    ACCOUNTS = "accounts"  # each broker account on its own (a breach names the account to act in)
    TOTAL = "total"  # only all accounts together
    ALL = "all"  # both


class RiskMatrix(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    limits: Limits
    vix_regimes: VixRegimes
    regime_limits: dict[str, Limits] = Field(default_factory=dict)
    breach_scope: BreachScope = BreachScope.ACCOUNTS

    @field_validator("vix_regimes", mode="before")
    @classmethod
    def _bands_as_list(cls, value: Any) -> Any:
        return {"bands": value} if isinstance(value, list | tuple) else value

    @field_validator("regime_limits", mode="before")
    @classmethod
    def _no_null_overrides(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _overrides_name_regimes(self) -> RiskMatrix:
        unknown = set(self.regime_limits) - set(self.vix_regimes.names)
        if unknown:
            raise ValueError(
                f"regime_limits names regimes that vix_regimes does not define: {', '.join(sorted(unknown))}"
            )
        return self

    def limits_for(self, regime: str | None) -> Limits:
        """The base limits with the regime's overrides laid over them (only the limits it names)."""
        override = self.regime_limits.get(regime) if regime is not None else None
        if override is None:
            return self.limits
        return self.limits.model_copy(update=override.model_dump(exclude_unset=True))

    def checks(self, account: str) -> bool:
        """Whether the limits are checked on this account's results (`total` is all accounts)."""
        if self.breach_scope is BreachScope.ALL:
            return True
        return (account == TOTAL) == (self.breach_scope is BreachScope.TOTAL)


# What config/risk_matrix.yaml ships with; used, with a warning on every update, when it is missing.
DEFAULT_MATRIX = RiskMatrix(
    limits=Limits(max_portfolio_delta=300, min_gamma=-200, min_vega=-10_000, min_theta=0),
    vix_regimes=VixRegimes(
        bands=(
            RegimeBand(name="low", below=15),
            RegimeBand(name="normal", below=20),
            RegimeBand(name="elevated", below=30),
            RegimeBand(name="crisis"),
        )
    ),
    regime_limits={
        "elevated": Limits(max_portfolio_delta=250),
        "crisis": Limits(max_portfolio_delta=150, min_vega=-6_000),
    },
)
