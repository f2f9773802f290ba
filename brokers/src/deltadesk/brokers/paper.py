"""The paper broker: the whole `Broker` port over the bus, answered by the paper venue service.

The bus is the caller's (market-data for the read side, execution for the write side: the subject
catalog lists who may ask what), so this adapter opens and closes nothing. Failures are mapped here,
in one place:

    every call but place
      no responder, or no answer in time (PeerUnavailable)   → BrokerUnavailable
      error reply `broker_unavailable`                       → BrokerUnavailable
      any other error reply, or a reply that is not valid    → BrokerRejected (the venue's reason kept)

    place (the request may have reached the venue once it was sent)
      not an ApprovedOrder                                   → TypeError, nothing sent
      bus not connected, or no responder (nothing received)  → BrokerUnavailable
      error reply `broker_unavailable` (refused on arrival)  → BrokerUnavailable
      no answer in time, lost connection, an invalid reply,
      or `internal_error` (it may have been placed)          → OrderStateUnknown: never retry, ask
                                                               find_order with the client order id
      any other error reply (approval refused, duplicate
      client order id, order rejected)                       → BrokerRejected with the venue's reason
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar

import nats.errors
from pydantic import ValidationError

from deltadesk.shared.balances import Balances
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import (
    ChainReply,
    ContractQuoteList,
    ContractReply,
    ExecutionList,
    ExpiryList,
    OrderPlaced,
    OrderStatusReply,
    WhatIfReply,
)
from deltadesk.shared.errors import (
    BrokerRejected,
    BrokerUnavailable,
    BusClosed,
    DeskError,
    NoResponder,
    OrderStateUnknown,
    PeerUnavailable,
    RemoteError,
)
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.messages import Ack, Message
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
from deltadesk.shared.paper import (
    BalancesReply,
    CancelPaperOrder,
    ComputeMargin,
    FindPaperOrder,
    FrontMonth,
    GetBalances,
    GetPaperOrderStatus,
    GetQuotes,
    GetVenueChain,
    ListPaperExecutions,
    ListPositions,
    ListVenueExpiries,
    PlacePaperOrder,
    PositionList,
    QuoteContracts,
    QuoteList,
    ResolveLeg,
)
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote
from deltadesk.shared.subjects import (
    VENUE_BALANCES_GET,
    VENUE_CHAIN_GET,
    VENUE_CONTRACT_RESOLVE,
    VENUE_CONTRACTS_QUOTE,
    VENUE_EXECUTIONS_LIST,
    VENUE_EXPIRIES_LIST,
    VENUE_FRONTMONTH_GET,
    VENUE_MARGIN_COMPUTE,
    VENUE_ORDER_CANCEL,
    VENUE_ORDER_FIND,
    VENUE_ORDER_GET,
    VENUE_ORDER_PLACE,
    VENUE_POSITIONS_LIST,
    VENUE_QUOTES_GET,
    Subject,
)

M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)

PER_REQUEST = 500  # GetQuotes and QuoteContracts take at most this many items
UNKNOWN_ON_PLACE = "internal_error"  # the venue failed mid-request: the order may be placed


class PaperBroker:
    def __init__(self, bus: Bus, *, timeout: float = 5.0) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, was {timeout}")
        self._bus = bus
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "paper"

    # ── read side ───────────────────────────────────────────────────────────────────────────────
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
        for start in range(0, len(wanted), PER_REQUEST):
            batch = tuple(wanted[start : start + PER_REQUEST])
            reply = await self._ask(VENUE_QUOTES_GET, GetQuotes(symbols=batch), QuoteList)
            found.extend(reply.quotes)
        return found

    async def resolve(self, leg: LegSpec) -> Contract:
        reply = await self._ask(VENUE_CONTRACT_RESOLVE, ResolveLeg(leg=leg), ContractReply)
        return reply.contract

    async def front_month(self, root: str) -> Contract:
        reply = await self._ask(VENUE_FRONTMONTH_GET, FrontMonth(root=root), ContractReply)
        return reply.contract

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        request = ListVenueExpiries(underlying=underlying, instrument=instrument)
        reply = await self._ask(VENUE_EXPIRIES_LIST, request, ExpiryList)
        return list(reply.expiries)

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        request = GetVenueChain(underlying=underlying, expiry=expiry, instrument=instrument)
        reply = await self._ask(VENUE_CHAIN_GET, request, ChainReply)
        return reply.chain

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        """Markets of the contracts, in the order given; a contract the venue does not know refuses
        its whole batch (BrokerRejected naming it)."""
        found: list[ContractQuote] = []
        for start in range(0, len(contracts), PER_REQUEST):
            batch = tuple(contracts[start : start + PER_REQUEST])
            reply = await self._ask(VENUE_CONTRACTS_QUOTE, QuoteContracts(contracts=batch), ContractQuoteList)
            found.extend(reply.quotes)
        return found

    # ── write side ──────────────────────────────────────────────────────────────────────────────
    async def whatif(self, order: Order) -> WhatIf:
        reply = await self._ask(VENUE_MARGIN_COMPUTE, ComputeMargin(order=order), WhatIfReply)
        return reply.whatif

    async def place(self, order: ApprovedOrder) -> str:
        """Send an approved order once. See the module docstring for what each failure means."""
        if not isinstance(order, ApprovedOrder):
            raise TypeError(f"the paper broker places only an ApprovedOrder, not {type(order).__name__}")
        request = PlacePaperOrder(order=order.order, approval=order.approval)
        client_id = order.order.client_order_id
        if not self._bus.nc.is_connected:
            raise BrokerUnavailable("paper venue: the bus is not connected; the order was not sent")
        try:
            reply = await self._bus.request(VENUE_ORDER_PLACE, request, OrderPlaced, timeout=self._timeout)
        except (BrokerUnavailable, OrderStateUnknown):
            raise
        except (NoResponder, BusClosed) as exc:
            raise BrokerUnavailable(f"paper venue: {exc}; the order was not received") from exc
        except PeerUnavailable as exc:
            raise OrderStateUnknown(
                f"paper venue: {exc}; order {client_id} may have been placed: find it by its client order id"
            ) from exc
        except RemoteError as exc:
            if exc.remote_code == UNKNOWN_ON_PLACE:
                raise OrderStateUnknown(f"paper venue failed placing order {client_id}: {exc}") from exc
            raise BrokerRejected(str(exc)) from exc
        except DeskError as exc:
            if isinstance(exc.__cause__, ValidationError):  # it answered, but not with an order id
                raise OrderStateUnknown(
                    f"paper venue: {exc}; order {client_id} may have been placed"
                ) from exc
            raise BrokerRejected(str(exc)) from exc
        except (TimeoutError, nats.errors.Error) as exc:
            raise OrderStateUnknown(
                f"paper venue: connection lost while placing order {client_id} ({exc!r}); "
                "it may have been placed"
            ) from exc
        return reply.broker_order_id

    def confirmations(self, client_order_id: str) -> tuple[str, ...]:
        """This broker asks no questions when an order is placed."""
        return ()

    async def status(self, account: str, broker_order_id: str) -> BrokerOrderStatus:
        request = GetPaperOrderStatus(account=account, broker_order_id=broker_order_id)
        reply = await self._ask(VENUE_ORDER_GET, request, OrderStatusReply)
        if reply.status is None:
            raise BrokerRejected(f"paper venue: no order {broker_order_id} for account {account}")
        return reply.status

    async def find_order(self, account: str, client_order_id: str) -> BrokerOrderStatus | None:
        request = FindPaperOrder(account=account, client_order_id=client_order_id)
        reply = await self._ask(VENUE_ORDER_FIND, request, OrderStatusReply)
        return reply.status

    async def executions(self, account: str, since: datetime) -> list[Execution]:
        request = ListPaperExecutions(account=account, since=since)
        reply = await self._ask(VENUE_EXECUTIONS_LIST, request, ExecutionList)
        return list(reply.executions)

    async def cancel(self, account: str, broker_order_id: str) -> None:
        request = CancelPaperOrder(account=account, broker_order_id=broker_order_id)
        await self._ask(VENUE_ORDER_CANCEL, request, Ack)

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
        except (TimeoutError, nats.errors.Error) as exc:
            raise BrokerUnavailable(f"paper venue: the bus failed ({exc!r})") from exc
