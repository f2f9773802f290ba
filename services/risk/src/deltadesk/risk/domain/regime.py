"""The VIX regime: which band of risk_matrix.yaml today's VIX falls in (low, normal, elevated, …)."""

from __future__ import annotations

import math
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deltadesk.shared.errors import InvalidMarketData


class RegimeBand(BaseModel):
    """A regime and its upper bound (exclusive); the last band has none. Lower bounds are the
    previous band's `below`, inclusive: with 15 and 20, a VIX of exactly 15 is `normal`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    below: float | None = Field(default=None, gt=0)


class VixRegimes(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bands: tuple[RegimeBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_bands(self) -> VixRegimes:
        *bounded, last = self.bands
        if last.below is not None or any(band.below is None for band in bounded):
            raise ValueError("only the last VIX regime is open-ended (no `below`), and it must be")
        bounds = [band.below for band in bounded if band.below is not None]
        if any(upper <= lower for lower, upper in pairwise(bounds)):
            raise ValueError(f"VIX regime bounds must ascend strictly, got {bounds}")
        names = [band.name for band in self.bands]
        twice = {name for name in names if names.count(name) > 1}
        if twice:
            raise ValueError(f"VIX regime named twice: {', '.join(sorted(twice))}")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(band.name for band in self.bands)


def classify_vix(vix: float, regimes: VixRegimes) -> str:
    """The regime of a VIX level: the first band whose `below` is above it."""
    if not (math.isfinite(vix) and vix > 0):
        raise InvalidMarketData(f"VIX must be a positive number, was {vix}")
    for band in regimes.bands:
        if band.below is None or vix < band.below:
            return band.name
    raise AssertionError("unreachable: the last band is open-ended")  # guaranteed by VixRegimes
