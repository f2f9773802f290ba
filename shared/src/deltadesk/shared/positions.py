"""A position held at a broker, with its per-unit Greeks and the price of what it is an option on."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from deltadesk.shared.instruments import InstrumentType, Right


class Greeks(BaseModel):
    """Per-unit Greeks: per share for stock options' underlying unit, per point for futures options.

    delta per 1.0 move of the underlying, gamma per 1.0 move, theta in price per calendar day,
    vega in price per one volatility point (1%). Multiply by quantity × multiplier for dollars.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    delta: float
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0

    @field_validator("delta", "gamma", "theta", "vega")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("a Greek must be a finite number")
        return value


LINEAR_GREEKS = Greeks(delta=1.0)


class Position(BaseModel):
    """One line of a broker's portfolio, normalised.

    `quantity` is signed (short < 0). `multiplier` converts a per-unit price or Greek into dollars:
    1 for shares, 100 for equity and index options, 50 for /ES and its options, 5 for /MES.
    `average_cost` and `mark` are per unit (per share, per option contract unit, per future point).
    `underlying_price` is the price of what the Greeks are taken against; it is never the strike
    (seed T005): when the broker did not give it, it stays None and risk says so.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    symbol: str
    underlying: str
    instrument: InstrumentType
    quantity: Decimal
    multiplier: Decimal
    right: Right | None = None
    strike: Decimal | None = None
    expiry: date | None = None
    average_cost: Decimal | None = None
    mark: Decimal | None = None
    greeks: Greeks | None = None
    iv: float | None = None
    underlying_price: float | None = None
    underlying_contract: str | None = None
    contract_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_multiplier(cls, data: Any) -> Any:
        # Seed T006: brokers report 0 or nothing as the multiplier of shares; that means 1.
        if isinstance(data, dict):
            instrument = data.get("instrument")
            multiplier = data.get("multiplier")
            try:
                is_share = InstrumentType(str(instrument)).is_share
            except ValueError:
                return data
            if is_share and (multiplier is None or Decimal(str(multiplier)) <= 0):
                return {**data, "multiplier": Decimal(1)}
        return data

    @model_validator(mode="after")
    def _check_shape(self) -> Position:
        if self.multiplier <= 0:
            raise ValueError(f"multiplier must be positive for {self.instrument}, was {self.multiplier}")
        option_fields = (self.right, self.strike, self.expiry)
        if self.instrument.is_option:
            if any(f is None for f in option_fields):
                raise ValueError(f"{self.instrument} position {self.symbol} needs right, strike and expiry")
        elif any(f is not None for f in option_fields):
            raise ValueError(f"{self.instrument} position {self.symbol} cannot have right, strike or expiry")
        if self.underlying_price is not None and not (
            math.isfinite(self.underlying_price) and self.underlying_price > 0
        ):
            raise ValueError(f"underlying_price must be a positive number, was {self.underlying_price}")
        if self.greeks is None and self.instrument.is_linear:
            object.__setattr__(self, "greeks", LINEAR_GREEKS)
        return self

    @cached_property
    def size(self) -> float:
        """quantity × multiplier as a float: what a per-unit Greek is multiplied by for the position."""
        return float(self.quantity) * float(self.multiplier)

    @cached_property
    def description(self) -> str:
        """A short human label: `SPXW 2026-12-18 5800 P`, `/ESZ6 2026-12-18 5725 P`, `AAPL`.

        For options the root comes from the symbol (an OCC root such as SPXW, or the future an
        option is on), so SPX monthlies and SPXW weeklies stay apart."""
        if self.instrument.is_option and self.expiry and self.strike is not None and self.right:
            strike = format(self.strike.normalize(), "f")
            root = self.symbol.split()[0] if " " in self.symbol.strip() else self.underlying
            return f"{root} {self.expiry.isoformat()} {strike} {self.right.value}"
        return self.symbol
