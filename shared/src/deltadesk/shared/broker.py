"""The Broker port: what the desk needs from any broker. The paper, IBKR and Tastytrade adapters
implement it; results are domain types only, never a broker's JSON.

An adapter maps its library's failures in one place: `BrokerUnavailable` (down, timeout before
sending, 5xx, not logged in), `BrokerRejected` (the broker answered no, in its own words) and, for
`place` only, `OrderStateUnknown` (the request may have reached the broker; never retry it, ask
`find_order` with the client order id instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from deltadesk.shared.balances import Balances
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import (
    ApprovedOrder,
    BrokerOrderStatus,
    Contract,
    ContractQuote,
    Execution,
    LegSpec,
    OptionChain,
    Order,
    WhatIf,
)
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote

SPX = "SPX"  # the S&P 500 index: the reference of every beta-weighted number
VIX = "VIX"  # the Cboe volatility index: the regime


class Broker(Protocol):
    @property
    def name(self) -> str:
        """The broker's kind: `paper`, `ibkr` or `tastytrade`."""
        ...

    # ── read side (market-data) ────────────────────────────────────────────────────────────────
    async def positions(self, account: str) -> list[Position]: ...

    async def balances(self, account: str) -> Balances: ...

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes for the symbols the broker knows (`SPX`, `VIX`, `AAPL`, `/ESZ6`, …); unknown
        symbols are left out rather than raising."""
        ...

    async def resolve(self, leg: LegSpec) -> Contract:
        """The exact contract of a leg; a future without expiry resolves to the front month."""
        ...

    async def front_month(self, root: str) -> Contract:
        """The front-month future of a root (`/ES`, `/MES`, `/NQ`, `/CL`, …)."""
        ...

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        """Option expiries of an underlying (OPT) or of a future's options (FOP), ascending."""
        ...

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        """Both rights per strike with bid, ask, last, delta and IV."""
        ...

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        """Markets (and for options Greeks) of resolved contracts, in the order given."""
        ...

    # ── write side (execution) ─────────────────────────────────────────────────────────────────
    async def whatif(self, order: Order) -> WhatIf:
        """Margin and commission of an order of up to four legs; never places it."""
        ...

    async def place(self, order: ApprovedOrder) -> str:
        """Transmit an approved order as one (combo) order; returns the broker's order id."""
        ...

    def confirmations(self, client_order_id: str) -> tuple[str, ...]:
        """The broker's warnings `place` confirmed for this order, word for word (IBKR's reply
        messages); () where a broker asks none. Kept so they are recorded, never hidden."""
        ...

    async def status(self, account: str, broker_order_id: str) -> BrokerOrderStatus: ...

    async def find_order(self, account: str, client_order_id: str) -> BrokerOrderStatus | None:
        """The order sent with this client order id, or None when the broker never saw it."""
        ...

    async def executions(self, account: str, since: datetime) -> list[Execution]: ...

    async def cancel(self, account: str, broker_order_id: str) -> None: ...

    async def close(self) -> None: ...
