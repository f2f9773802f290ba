"""What an instrument is: its type (STK, ETF, OPT, FUT, FOP) and, for options, its right."""

from __future__ import annotations

from enum import StrEnum


class InstrumentType(StrEnum):
    STK = "STK"  # a stock
    ETF = "ETF"  # an exchange-traded fund
    OPT = "OPT"  # an equity, ETF or index option (SPX, SPXW, SPY, AAPL, …)
    FUT = "FUT"  # a future (/ES, /MES, …)
    FOP = "FOP"  # an option on a future

    # Identity checks against module constants: these run for every position on every risk update.
    @property
    def is_option(self) -> bool:
        return self is _OPT or self is _FOP

    @property
    def is_linear(self) -> bool:
        """Delta is 1 per unit: shares, fund units and futures."""
        return not (self is _OPT or self is _FOP)

    @property
    def is_share(self) -> bool:
        return self is _STK or self is _ETF


_OPT, _FOP, _STK, _ETF = InstrumentType.OPT, InstrumentType.FOP, InstrumentType.STK, InstrumentType.ETF


class Right(StrEnum):
    CALL = "C"
    PUT = "P"
