"""The paper venue's request/reply protocol: what the paper adapter asks and what the venue answers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from deltadesk.shared.balances import Balances
from deltadesk.shared.messages import Message
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
