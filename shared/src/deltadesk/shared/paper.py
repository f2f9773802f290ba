"""The paper venue's request/reply protocol: what the paper adapter asks and what the venue answers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from deltadesk.shared.balances import Balances
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.messages import Message
from deltadesk.shared.orders import Approval, Contract, LegSpec, Order
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote


class ListPositions(Message):
    account: str


class PositionList(Message):
    positions: tuple[Position, ...]


class GetBalances(Message):
    account: str


class BalancesReply(Message):
    balances: Balances


class GetQuotes(Message):
    symbols: tuple[str, ...] = Field(max_length=500)


class QuoteList(Message):
    """Quotes for the symbols the venue knows; unknown symbols are listed, not errors."""

    quotes: tuple[Quote, ...]
    unknown: tuple[str, ...] = ()


class FaultKind(StrEnum):
    NONE = "none"  # answer normally
    UNAVAILABLE = "unavailable"  # answer every request with broker_unavailable
    SILENT = "silent"  # do not answer at all, so callers time out


class InjectFault(Message):
    """Test hook: make the venue misbehave until told otherwise."""

    kind: FaultKind


# ── contracts, chains and orders: the venue's side of the Broker port ──────────────────────────
class ResolveLeg(Message):
    leg: LegSpec


class FrontMonth(Message):
    root: str


class ListVenueExpiries(Message):
    underlying: str
    instrument: InstrumentType


class GetVenueChain(Message):
    underlying: str
    expiry: date
    instrument: InstrumentType


class QuoteContracts(Message):
    contracts: tuple[Contract, ...] = Field(max_length=500)


class ComputeMargin(Message):
    """What-if: the account's margin with and without the order; nothing is placed."""

    order: Order


class PlacePaperOrder(Message):
    """Only execution sends this, and only for an order it verified the approval of."""

    order: Order
    approval: Approval


class GetPaperOrderStatus(Message):
    account: str
    broker_order_id: str


class FindPaperOrder(Message):
    account: str
    client_order_id: str


class ListPaperExecutions(Message):
    account: str
    since: AwareDatetime


class CancelPaperOrder(Message):
    account: str
    broker_order_id: str


class FillBehaviour(StrEnum):
    """How the venue fills marketable orders (a test hook, like the faults)."""

    IMMEDIATE = "immediate"  # fill at once, in full
    PARTIAL = "partial"  # fill half of each order, leave the rest working
    REJECT = "reject"  # reject every new order with a reason
    HOLD = "hold"  # accept, never fill


class SetFillBehaviour(Message):
    behaviour: FillBehaviour
