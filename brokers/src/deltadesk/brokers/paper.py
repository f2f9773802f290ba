"""The paper broker: the `Broker` port over the bus, answered by the paper venue service.

The bus is the caller's (market-data today: the subject catalog lists it as the venue's requester),
so this adapter opens and closes nothing. Failures are mapped here, in one place:

    PeerUnavailable (no responder, or no answer in time)  → BrokerUnavailable
    error reply `broker_unavailable`                      → BrokerUnavailable
    any other error reply, or a reply that is not valid   → BrokerRejected (the venue's reason kept)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from deltadesk.shared.balances import Balances
from deltadesk.shared.bus import Bus
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, DeskError, PeerUnavailable
from deltadesk.shared.messages import Message
from deltadesk.shared.paper import (
    BalancesReply,
    GetBalances,
    GetQuotes,
    ListPositions,
    PositionList,
    QuoteList,
)
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote
from deltadesk.shared.subjects import VENUE_BALANCES_GET, VENUE_POSITIONS_LIST, VENUE_QUOTES_GET, Subject

M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)

QUOTES_PER_REQUEST = 500  # GetQuotes takes at most this many symbols


class PaperBroker:
    def __init__(self, bus: Bus, *, timeout: float = 5.0) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, was {timeout}")
        self._bus = bus
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "paper"

    async def positions(self, account: str) -> list[Position]:
        reply = await self._ask(VENUE_POSITIONS_LIST, ListPositions(account=account), PositionList)
        return list(reply.positions)

    async def balances(self, account: str) -> Balances:
        reply = await self._ask(VENUE_BALANCES_GET, GetBalances(account=account), BalancesReply)
        return reply.balances

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes for the symbols the venue knows; unknown ones are left out."""
        wanted = list(dict.fromkeys(symbols))
        found: list[Quote] = []
        for start in range(0, len(wanted), QUOTES_PER_REQUEST):
            batch = tuple(wanted[start : start + QUOTES_PER_REQUEST])
            reply = await self._ask(VENUE_QUOTES_GET, GetQuotes(symbols=batch), QuoteList)
            found.extend(reply.quotes)
        return found

    async def close(self) -> None:
        """Nothing to close: the bus belongs to the caller."""

    async def _ask(self, subject: Subject[M], request: M, expect: type[R]) -> R:
        try:
            return await self._bus.request(subject, request, expect, timeout=self._timeout)
        except (BrokerUnavailable, BrokerRejected):
            raise
        except PeerUnavailable as exc:
            raise BrokerUnavailable(f"paper venue: {exc}") from exc
        except DeskError as exc:
            raise BrokerRejected(str(exc)) from exc
