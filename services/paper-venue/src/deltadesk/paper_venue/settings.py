"""The paper venue's settings: the simulated market's seed, pace and start, the paper account, and how
the venue fills and charges orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, Field

from deltadesk.shared.settings import DeskSettings


class PaperVenueSettings(DeskSettings):
    paper_seed: int | None = Field(
        default=None,
        description="Seed of the simulated market's random walk; the same seed replays the same market. "
        "Unset: a different market every start.",
    )
    paper_tick_s: float = Field(
        default=1.0, gt=0, le=60, description="Wall-clock seconds between two steps of the simulated market."
    )
    paper_time_scale: float = Field(
        default=1.0,
        gt=0,
        le=1_000_000,
        description="Simulated seconds per wall-clock second (1.0 = real time; 3600 = an hour a second).",
    )
    paper_start_cash: Decimal = Field(
        default=Decimal(500_000),  # Reg T on the demo book uses ~48% of it; 250k would be ~96%
        gt=0,
        description="Net liquidation of the paper account at the start, in USD (the demo portfolio is "
        "bought out of it at model prices).",
    )
    paper_es_margin: Decimal = Field(
        default=Decimal(22_000),
        gt=0,
        description="Margin per /ES futures contract in USD (SPAN at a real broker: check CME's figure).",
    )
    paper_mes_margin: Decimal = Field(
        default=Decimal(2_200),
        gt=0,
        description="Margin per /MES futures contract in USD (about a tenth of /ES).",
    )
    paper_start: AwareDatetime | None = Field(
        default=None,
        description="Simulated start time, ISO 8601 with a timezone (2026-11-24T15:00:00Z). Unset: now.",
    )

    paper_fill_latency_s: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Wall-clock seconds from accepting a paper order to its first possible fill. 0: a "
        "marketable order fills as it arrives; above 0 it fills on the first market tick after the latency.",
    )
    paper_option_commission: Decimal = Field(
        default=Decimal("0.65"),
        ge=0,
        description="Paper commission per equity, ETF or index option contract, USD.",
    )
    paper_option_commission_min: Decimal = Field(
        default=Decimal("1.00"), ge=0, description="Least paper commission of an option execution, USD."
    )
    paper_index_option_fee: Decimal = Field(
        default=Decimal("0.60"),
        ge=0,
        description="Exchange fee per index option contract (SPX, SPXW), on top of the option commission, "
        "USD.",
    )
    paper_es_commission: Decimal = Field(
        default=Decimal("2.25"),
        ge=0,
        description="Paper commission per /ES futures or futures-option contract, all in, USD.",
    )
    paper_mes_commission: Decimal = Field(
        default=Decimal("0.62"),
        ge=0,
        description="Paper commission per /MES futures or futures-option contract, all in, USD.",
    )
    paper_share_commission: Decimal = Field(
        default=Decimal("0.005"), ge=0, description="Paper commission per share, USD."
    )
    paper_share_commission_min: Decimal = Field(
        default=Decimal("1.00"),
        ge=0,
        description="Least paper commission of a share execution, USD (never above 1% of its value).",
    )
    paper_max_contracts_per_leg: int = Field(
        default=1_000, gt=0, description="Most option or futures contracts the paper venue takes in one leg."
    )
    paper_max_shares_per_leg: int = Field(
        default=100_000, gt=0, description="Most shares the paper venue takes in one leg."
    )

    def start_or(self, now: datetime) -> datetime:
        """The simulated start: the configured one, else `now`."""
        return self.paper_start if self.paper_start is not None else now
