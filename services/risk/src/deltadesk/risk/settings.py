"""The risk service's settings, from `DELTADESK_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from deltadesk.brokers.settings import BrokerSettings


class BetaSourceName(StrEnum):
    TASTYTRADE = "tastytrade"  # market metrics; needs the Tastytrade credentials below
    YFINANCE = "yfinance"  # Yahoo's published beta (5y monthly)
    YFINANCE_HISTORY = "yfinance-history"  # OLS of daily returns vs SPX: Risk Navigator's method
    CONFIG = "config"  # beta_config.json


class RiskSettings(BrokerSettings):
    beta_sources: Annotated[tuple[BetaSourceName, ...], NoDecode] = Field(
        default=(BetaSourceName.TASTYTRADE, BetaSourceName.YFINANCE, BetaSourceName.CONFIG),
        description=(
            "Beta sources in the order asked, comma-separated: tastytrade, yfinance, yfinance-history, "
            "config. beta_config.json then 1.0 (flagged unavailable) always follow."
        ),
    )
    beta_ttl_s: float = Field(default=6 * 3600.0, gt=0, description="Seconds a beta from a source is kept.")
    beta_failure_ttl_s: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a fallback beta (every source failed) is kept before asking again.",
    )
    beta_timeout_s: float = Field(default=15.0, gt=0, description="Timeout of one request to a beta source.")
    beta_chain_timeout_s: float = Field(
        default=60.0, gt=0, description="Longest wait for one source to answer for all the underlyings asked."
    )
    beta_history_days: int = Field(
        default=504, ge=20, description="Daily returns in the yfinance-history regression (504 ≈ 2 years)."
    )
    beta_config_path: Path | None = Field(
        default=None, description="Manual betas file. Unset: beta_config.json in the config folder."
    )
    risk_matrix_path: Path | None = Field(
        default=None, description="Limits and VIX regimes file. Unset: risk_matrix.yaml in the config folder."
    )
    risk_spx_max_age_s: float = Field(
        default=60.0, gt=0, description="Oldest SPX quote risk still uses; older halts Greek aggregation."
    )
    risk_check_interval_s: float = Field(
        default=1.0, gt=0, description="Seconds between checks that the SPX quote has not gone stale."
    )

    @field_validator("beta_sources", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("beta_sources")
    @classmethod
    def _each_once(cls, value: tuple[BetaSourceName, ...]) -> tuple[BetaSourceName, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a beta source is listed twice")
        return value

    @property
    def beta_config_file(self) -> Path:
        return self.beta_config_path or self.config_dir / "beta_config.json"

    @property
    def risk_matrix_file(self) -> Path:
        return self.risk_matrix_path or self.config_dir / "risk_matrix.yaml"

    @property
    def tastytrade_enabled(self) -> bool:
        return self.tastytrade_provider_secret is not None and self.tastytrade_refresh_token is not None
