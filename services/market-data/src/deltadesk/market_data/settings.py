"""market-data settings."""

from __future__ import annotations

from pydantic import Field

from deltadesk.brokers.settings import BrokerSettings


class MarketDataSettings(BrokerSettings):
    md_quotes_interval_s: float = Field(
        default=1.0, gt=0, description="Seconds between quote polls (held underlyings, SPX, VIX)."
    )
    md_positions_interval_s: float = Field(
        default=2.0, gt=0, description="Seconds between position and balance polls."
    )
    md_request_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of one broker poll call.")
    md_lookup_timeout_s: float = Field(
        default=20.0,
        gt=0,
        description="Timeout of the order builder's lookups (legs, expiries, chains): IBKR's first chain "
        "of an expiry takes several paced requests.",
    )
    md_max_backoff_s: float = Field(
        default=30.0, gt=0, description="Longest wait between retries while a broker is down."
    )
