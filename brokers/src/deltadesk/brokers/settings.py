"""Broker accounts, configured by environment. Every process that holds broker adapters
(market-data, execution) builds its settings on this class."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from deltadesk.shared.settings import DeskSettings
from deltadesk.shared.subjects import check_token


class BrokerSettings(DeskSettings):
    paper_enabled: bool | None = Field(
        default=None,
        description="The paper broker's account. Unset: on unless a real broker account is configured.",
    )
    live_trading: bool = Field(
        default=False,
        description="Allow orders to reach a real broker (IBKR, Tastytrade). Off: they are refused before "
        "sending; the read side and the paper broker work regardless.",
    )
    broker_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one call to a broker.")

    ibkr_account_id: str | None = Field(
        default=None, description="Interactive Brokers account id (U…/DU…). Set: the IBKR account is served."
    )
    ibkr_gateway_url: str = Field(
        default="https://localhost:5000/v1/api",
        description="Client Portal gateway base URL. Its self-signed certificate is accepted for this host "
        "only when it is local (localhost / 127.0.0.1).",
    )
    ibkr_requests_per_second: float = Field(
        default=5.0,
        gt=0,
        le=10,
        description="This process's share of the gateway's 10 requests/s budget (market-data and execution "
        "each hold one).",
    )
    ibkr_tickle_interval_s: float = Field(
        default=55.0, gt=0, description="Seconds between keep-alive tickles of the IBKR session."
    )

    tastytrade_account_id: str | None = Field(
        default=None,
        description="Tastytrade account number. Set with the credentials: the account is served.",
    )
    tastytrade_provider_secret: SecretStr | None = Field(
        default=None, description="Tastytrade OAuth client secret (also the risk service's beta source)."
    )
    tastytrade_refresh_token: SecretStr | None = Field(
        default=None, description="Tastytrade OAuth refresh token (also the risk service's beta source)."
    )
    tastytrade_sandbox: bool = Field(
        default=False,
        description="Use Tastytrade's certification (sandbox) environment; it has no market data.",
    )
    tastytrade_api_url: str | None = Field(
        default=None, description="Override Tastytrade's API base URL (a local fake for trying the adapter)."
    )

    @field_validator("ibkr_account_id", "tastytrade_account_id")
    @classmethod
    def _account_token(cls, value: str | None) -> str | None:
        if value is not None:
            check_token("account", value)
            if value == "total":
                raise ValueError("`total` is reserved for the sum of all accounts")
        return value

    @property
    def tastytrade_configured(self) -> bool:
        return bool(
            self.tastytrade_account_id and self.tastytrade_provider_secret and self.tastytrade_refresh_token
        )

    @property
    def paper_active(self) -> bool:
        if self.paper_enabled is not None:
            return self.paper_enabled
        return not (self.ibkr_account_id or self.tastytrade_configured)
