"""An account's money: net liquidation, cash and margin, in the account's currency."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Balances(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    currency: str = "USD"
    net_liquidation: Decimal
    cash: Decimal
    maintenance_margin: Decimal
    initial_margin: Decimal | None = None
    buying_power: Decimal | None = None
    as_of: AwareDatetime
