"""The execution service's settings, from `DELTADESK_*` environment variables: the pre-trade limits,
how long a simulation stays approvable, and how orders are tracked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field

from deltadesk.brokers.settings import BrokerSettings
from deltadesk.execution.domain.controls import Limits
from deltadesk.shared.orders import MAX_LEGS


class ExecutionSettings(BrokerSettings):
    exec_max_legs: int = Field(
        default=MAX_LEGS, ge=1, le=MAX_LEGS, description="Most legs an order may have (MAX_LEGS_EXCEEDED)."
    )
    exec_max_contracts_per_order: int = Field(
        default=50,
        ge=1,
        description="Most contracts of any one option or future leg of an order (QUANTITY_EXCEEDS_MAX).",
    )
    exec_max_shares_per_order: int = Field(
        default=10_000,
        ge=1,
        description="Most shares of any one stock or ETF leg of an order (QUANTITY_EXCEEDS_MAX).",
    )
    exec_max_notional_per_order: Decimal = Field(
        default=Decimal(25_000_000),
        gt=0,
        description="Largest notional of an order in USD: Σ quantity × multiplier × underlying price over "
        "its legs, gross (NOTIONAL_EXCEEDS_MAX). One SPX option at 6000 is 600,000.",
    )
    exec_price_collar_pct: Decimal = Field(
        default=Decimal("0.20"),
        gt=0,
        description="A limit price may be this fraction of the combo's mid away from it, either way "
        "(PRICE_OUTSIDE_COLLAR).",
    )
    exec_price_collar_floor: Decimal = Field(
        default=Decimal("0.25"),
        ge=0,
        description="The price collar is never narrower than this, per combo unit (for cheap options).",
    )
    exec_duplicate_window_s: float = Field(
        default=10.0,
        ge=0,
        description="The same legs, side and price for the same account again within this many seconds is "
        "refused (DUPLICATE_ORDER).",
    )
    exec_max_orders_per_minute: int = Field(
        default=10,
        ge=1,
        description="Orders transmitted per account per minute at most (RATE_LIMIT_EXCEEDED).",
    )
    exec_simulation_validity_s: float = Field(
        default=300.0, gt=0, description="How long a simulation can be approved; after it, simulate again."
    )
    exec_whatif_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest a simulation (broker what-if plus risk's what-if) may take."
    )
    exec_tracking_interval_s: float = Field(
        default=1.0, gt=0, description="Seconds between looks at the broker for working and unknown orders."
    )
    exec_approval_ack_wait_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds an approval being handled stays with execution before JetStream redelivers it "
        "(a redelivered approval is refused as NONCE_REUSED and transmits nothing).",
    )
    exec_reducing_on_delta_breach: bool = Field(
        default=False,
        description="Enter the REDUCING trading state (only exposure-reducing orders pass) when risk reports "
        "a max_portfolio_delta breach. Leaving it is a human decision (the kill switch command or page).",
    )

    def limits(self) -> Limits:
        return Limits(
            max_legs=self.exec_max_legs,
            max_contracts=self.exec_max_contracts_per_order,
            max_shares=self.exec_max_shares_per_order,
            max_notional=self.exec_max_notional_per_order,
            collar_pct=self.exec_price_collar_pct,
            collar_floor=self.exec_price_collar_floor,
            duplicate_window=timedelta(seconds=self.exec_duplicate_window_s),
            max_orders_per_minute=self.exec_max_orders_per_minute,
        )
