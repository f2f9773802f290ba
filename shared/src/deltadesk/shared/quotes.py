"""A top-of-book quote: bid, ask and last, any of which a venue may not have."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict

TWO = Decimal(2)


class Quote(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    as_of: AwareDatetime

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None or self.bid <= 0 or self.ask < self.bid:
            return None
        return (self.bid + self.ask) / TWO

    @property
    def price(self) -> Decimal | None:
        """The reference price: the mid of a sane two-sided market, else the last trade."""
        mid = self.mid
        if mid is not None:
            return mid
        if self.last is not None and self.last > 0:
            return self.last
        return None

    def age_seconds(self, now: datetime) -> float:
        return (now - self.as_of).total_seconds()
