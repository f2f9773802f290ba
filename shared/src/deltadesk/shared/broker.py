"""The Broker port: what the desk needs from any broker. The paper, IBKR and Tastytrade adapters
implement it; results are domain types only, never a broker's JSON.

An adapter maps its library's failures to `BrokerUnavailable` (down, timeout, 5xx, not logged in)
or `BrokerRejected` (the broker answered no), in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from deltadesk.shared.balances import Balances
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote

SPX = "SPX"  # the S&P 500 index: the reference of every beta-weighted number
VIX = "VIX"  # the Cboe volatility index: the regime


class Broker(Protocol):
    @property
    def name(self) -> str:
        """The broker's kind: `paper`, `ibkr` or `tastytrade`."""
        ...

    async def positions(self, account: str) -> list[Position]: ...

    async def balances(self, account: str) -> Balances: ...

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes for the symbols the broker knows (`SPX`, `VIX`, `AAPL`, `/ESZ6`, …); unknown
        symbols are left out rather than raising."""
        ...

    async def close(self) -> None: ...
