"""What an instrument is: its type (STK, ETF, OPT, FUT, FOP) and, for options, its right."""

from __future__ import annotations

from enum import StrEnum


class InstrumentType(StrEnum):
    STK = "STK"  # a stock
    ETF = "ETF"  # an exchange-traded fund
    OPT = "OPT"  # an equity, ETF or index option (SPX, SPXW, SPY, AAPL, …)
    FUT = "FUT"  # a future (/ES, /MES, …)
    FOP = "FOP"  # an option on a future

    @property
    def is_option(self) -> bool:
        return self in (InstrumentType.OPT, InstrumentType.FOP)

    @property
    def is_linear(self) -> bool:
        """Delta is 1 per unit: shares, fund units and futures."""
        return not self.is_option

    @property
    def is_share(self) -> bool:
        return self in (InstrumentType.STK, InstrumentType.ETF)


class Right(StrEnum):
    CALL = "C"
    PUT = "P"
