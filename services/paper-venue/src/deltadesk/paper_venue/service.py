"""The paper venue on the bus: a broker that answers every venue subject of the catalog from its
simulated market, paper accounts and order book, steps the market and works orders every tick, keeps
its state in the `dd-venue` KV bucket, and misbehaves on request (the desk's fault injector).

Faults (`dd.venue.fault.set`, from the CLI or a test):
- UNAVAILABLE: every request is answered with a `broker_unavailable` error reply, before anything is
  done with it;
- SILENT: requests are held unanswered, so callers time out; a held request is answered (and acted
  on: an order placed then is placed) only once the fault clears or the venue stops, long after its
  caller gave up;
- NONE: normal service.
The fault and fill-behaviour requests themselves are always answered. Neither survives a restart.

Placing an order (defense in depth behind execution): the approval must verify with the public key in
`settings.approval_keys` and carry the order's canonical hash; a missing key file refuses every order.
A refused approval or a client order id seen before is answered with an error and recorded nowhere;
an order the venue rejects (fill behaviour REJECT, buying power, an unknown contract, …) is recorded
REJECTED, so `find_order` reports it, and answered with an `order_rejected` error carrying the reason.

What survives a restart: every paper account (cash, holdings at average cost), every order with its
state and executions, and the simulated market (prices and simulated time). On start the market is
stepped by the wall-clock time the venue was away (× the time scale) and orders are worked, so
expiries settle and DAY orders expire as if it had kept running; a saved market wins over
`paper_start`. A paper account missing from the bucket (a new `paper_account_id`) starts as the demo book.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar
from uuid import uuid4

import nats.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deltadesk.paper_venue.adapters.store import SavedVenue, VenueStore
from deltadesk.paper_venue.domain.account import Settlement, balances, mark_positions
from deltadesk.paper_venue.domain.admission import ApprovalRefused, check_approval
from deltadesk.paper_venue.domain.chain import option_chain
from deltadesk.paper_venue.domain.commission import CommissionRates
from deltadesk.paper_venue.domain.contracts import describe
from deltadesk.paper_venue.domain.demo import demo_account, demo_market_config
from deltadesk.paper_venue.domain.listing import class_named, option_expiries
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.market import MarketState, open_market
from deltadesk.paper_venue.domain.paper_order import PaperOrder, order_status
from deltadesk.paper_venue.domain.quoting import contract_quote, quote
from deltadesk.paper_venue.domain.resolution import front_month, known_contract, resolve
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.paper_venue.domain.venue import (
    OrderRejected,
    Venue,
    advance,
    cancel_order,
    executions_since,
    find_account,
    held_symbols,
    order_by_client_id,
    order_by_id,
    place,
    work,
)
from deltadesk.paper_venue.domain.whatif import what_if
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.clock import Clock, SystemClock
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
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.messages import Ack, Message
from deltadesk.shared.orders import OrderState
from deltadesk.shared.paper import (
    BalancesReply,
    CancelPaperOrder,
    ComputeMargin,
    FaultKind,
    FillBehaviour,
    FindPaperOrder,
    FrontMonth,
    GetBalances,
    GetPaperOrderStatus,
    GetQuotes,
    GetVenueChain,
    InjectFault,
    ListPaperExecutions,
    ListPositions,
    ListVenueExpiries,
    PlacePaperOrder,
    PositionList,
    QuoteContracts,
    QuoteList,
    ResolveLeg,
    SetFillBehaviour,
)
from deltadesk.shared.quotes import Quote
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.signing import PUBLIC_KEY_FILE, load_verify_key
from deltadesk.shared.subjects import (
    PAPER_VENUE,
    VENUE_BALANCES_GET,
    VENUE_CHAIN_GET,
    VENUE_CONTRACT_RESOLVE,
    VENUE_CONTRACTS_QUOTE,
    VENUE_EXECUTIONS_LIST,
    VENUE_EXPIRIES_LIST,
    VENUE_FAULT_SET,
    VENUE_FILLS_SET,
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

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)


@dataclass
class LiveVenue:
    """The venue as it runs: its current (immutable) state, replaced on every change, the start its
    market's listings were built from, the injected fault and fill behaviour, and where it is saved."""

    venue: Venue
    rules: VenueRules
    clock: Clock
    start: datetime
    key_dir: Path
    store: VenueStore | None = None
    fault: FaultKind = FaultKind.NONE
    behaviour: FillBehaviour = FillBehaviour.IMMEDIATE
    answering: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.answering.set()

    def inject(self, fault: FaultKind) -> None:
        self.fault = fault
        if fault is FaultKind.SILENT:
            self.answering.clear()
        else:
            self.answering.set()

    def release(self) -> None:
        """Let held requests finish (on stop), so draining the bus does not wait on them."""
        self.answering.set()

    async def gate(self) -> None:
        """Apply the injected fault before a request is answered."""
        if self.fault is FaultKind.SILENT:
            await self.answering.wait()
        if self.fault is FaultKind.UNAVAILABLE:
            raise BrokerUnavailable("the paper venue is unavailable (fault injected)")

    async def commit(self) -> None:
        """Save what changed to the KV bucket."""
        if self.store is not None:
            await self.store.save(lambda: self.venue, self.start, self.clock.now())

    def verify_key(self) -> Ed25519PublicKey:
        path = self.key_dir / PUBLIC_KEY_FILE
        try:
            return load_verify_key(path)
        except (OSError, ValueError) as exc:
            raise ApprovalRefused(f"the paper venue cannot read the approval key {path}: {exc}") from exc


def venue_rules(settings: PaperVenueSettings) -> VenueRules:
    return VenueRules(
        margin=MarginRates(futures={"/ES": settings.paper_es_margin, "/MES": settings.paper_mes_margin}),
        commissions=CommissionRates(
            option_per_contract=settings.paper_option_commission,
            option_minimum=settings.paper_option_commission_min,
            index_option_fee=settings.paper_index_option_fee,
            future_per_contract={"/ES": settings.paper_es_commission, "/MES": settings.paper_mes_commission},
            share_per_share=settings.paper_share_commission,
            share_minimum=settings.paper_share_commission_min,
        ),
        fill_latency=timedelta(seconds=settings.paper_fill_latency_s),
        max_contracts_per_leg=settings.paper_max_contracts_per_leg,
        max_shares_per_leg=settings.paper_max_shares_per_leg,
    )


def restore(
    settings: PaperVenueSettings, saved: SavedVenue, clock: Clock, rng: random.Random
) -> tuple[Venue, datetime]:
    """The venue from its saved state (the demo desk where nothing was saved), caught up with the
    time it was away. Returns it with the start its market was built from."""
    now = clock.now()
    rules = venue_rules(settings)
    if saved.market is None:
        start = settings.start_or(now)
        market = open_market(demo_market_config(start, time_scale=settings.paper_time_scale), start)
    else:
        start = saved.market.start
        config = demo_market_config(start, time_scale=settings.paper_time_scale)
        if len(saved.market.share_prices) != len(config.shares):
            raise RuntimeError(
                "the saved paper market does not match the demo universe; remove its `market` key"
            )
        market = MarketState(
            config=config,
            now=saved.market.now,
            spx=saved.market.spx,
            vix=saved.market.vix,
            share_prices=saved.market.share_prices,
        )
    accounts = saved.accounts
    if not any(a.account_id == settings.paper_account_id for a in accounts):
        accounts = (*accounts, demo_account(settings.paper_account_id, market, settings.paper_start_cash))
    venue = Venue(market=market, accounts=accounts, orders=saved.orders)
    if saved.market is not None:
        away = max((now - saved.market.saved_at).total_seconds(), 0.0)
        venue, settlements = advance(venue, away, rng)
        _log_settlements(settlements)
        venue, changed = work(venue, now, rules, FillBehaviour.IMMEDIATE)
        _log_orders(changed)
    return venue, start


# ── handlers: the read side ─────────────────────────────────────────────────────────────────────
async def list_positions(live: LiveVenue, request: ListPositions) -> PositionList:
    await live.gate()
    account = find_account(live.venue, request.account)
    return PositionList(positions=mark_positions(account, live.venue.market))


async def get_balances(live: LiveVenue, request: GetBalances) -> BalancesReply:
    await live.gate()
    account = find_account(live.venue, request.account)
    return BalancesReply(balances=balances(account, live.venue.market, live.rules.margin, live.clock.now()))


async def get_quotes(live: LiveVenue, request: GetQuotes) -> QuoteList:
    await live.gate()
    market, made_at = live.venue.market, live.clock.now()
    quotes: list[Quote] = []
    unknown: list[str] = []
    for symbol in dict.fromkeys(request.symbols):  # each symbol once, in the order asked
        found = quote(market, symbol, made_at)
        if found is None:
            unknown.append(symbol)
        else:
            quotes.append(found)
    return QuoteList(quotes=tuple(quotes), unknown=tuple(unknown))


# ── handlers: contracts and chains ──────────────────────────────────────────────────────────────
async def resolve_leg(live: LiveVenue, request: ResolveLeg) -> ContractReply:
    await live.gate()
    contract = resolve(live.venue.market, request.leg, held_symbols(live.venue))
    return ContractReply(contract=describe(contract))


async def get_front_month(live: LiveVenue, request: FrontMonth) -> ContractReply:
    await live.gate()
    return ContractReply(contract=describe(front_month(live.venue.market, request.root)))


async def list_expiries(live: LiveVenue, request: ListVenueExpiries) -> ExpiryList:
    await live.gate()
    market = live.venue.market
    cls, _ = class_named(market, request.underlying, request.instrument)
    return ExpiryList(expiries=option_expiries(market, cls))


async def get_chain(live: LiveVenue, request: GetVenueChain) -> ChainReply:
    await live.gate()
    market = live.venue.market
    chain = option_chain(market, request.underlying, request.expiry, request.instrument, live.clock.now())
    return ChainReply(chain=chain)


async def quote_contracts(live: LiveVenue, request: QuoteContracts) -> ContractQuoteList:
    await live.gate()
    market, made_at = live.venue.market, live.clock.now()
    return ContractQuoteList(
        quotes=tuple(contract_quote(market, known_contract(market, c), made_at) for c in request.contracts)
    )


# ── handlers: orders ────────────────────────────────────────────────────────────────────────────
async def compute_margin(live: LiveVenue, request: ComputeMargin) -> WhatIfReply:
    await live.gate()
    venue = live.venue
    account = find_account(venue, request.order.account)
    return WhatIfReply(whatif=what_if(venue.market, account, request.order, held_symbols(venue), live.rules))


async def place_order(live: LiveVenue, request: PlacePaperOrder) -> OrderPlaced:
    await live.gate()
    order = request.order
    check_approval(order, request.approval, live.verify_key())
    live.venue, placed = place(
        live.venue,
        order,
        broker_order_id=new_broker_order_id(),
        now=live.clock.now(),
        rules=live.rules,
        behaviour=live.behaviour,
    )
    await live.commit()
    _log_orders((placed,), accepted=True)
    if placed.state is OrderState.REJECTED:
        raise OrderRejected(placed.reason or f"paper order {placed.broker_order_id} was rejected")
    return OrderPlaced(broker_order_id=placed.broker_order_id)


async def get_order(live: LiveVenue, request: GetPaperOrderStatus) -> OrderStatusReply:
    await live.gate()
    return OrderStatusReply(
        status=order_status(order_by_id(live.venue, request.account, request.broker_order_id))
    )


async def find_order(live: LiveVenue, request: FindPaperOrder) -> OrderStatusReply:
    await live.gate()
    find_account(live.venue, request.account)
    found = order_by_client_id(live.venue, request.account, request.client_order_id)
    return OrderStatusReply(status=order_status(found) if found is not None else None)


async def list_executions(live: LiveVenue, request: ListPaperExecutions) -> ExecutionList:
    await live.gate()
    find_account(live.venue, request.account)
    return ExecutionList(executions=executions_since(live.venue, request.account, request.since))


async def cancel_paper_order(live: LiveVenue, request: CancelPaperOrder) -> Ack:
    await live.gate()
    live.venue, cancelled = cancel_order(
        live.venue, request.account, request.broker_order_id, live.clock.now()
    )
    await live.commit()
    _log_orders((cancelled,))
    return Ack()


# ── handlers: test hooks ────────────────────────────────────────────────────────────────────────
async def set_fault(live: LiveVenue, request: InjectFault) -> Ack:
    live.inject(request.kind)
    logger.warning("fault injected", extra={"service": PAPER_VENUE, "fault": request.kind.value})
    return Ack()


async def set_fills(live: LiveVenue, request: SetFillBehaviour) -> Ack:
    live.behaviour = request.behaviour
    logger.warning("fill behaviour set", extra={"service": PAPER_VENUE, "behaviour": request.behaviour.value})
    return Ack()


def new_broker_order_id() -> str:
    return f"po-{uuid4().hex[:20]}"


# ── the market's clock ──────────────────────────────────────────────────────────────────────────
async def advance_until(stop: asyncio.Event, live: LiveVenue, tick_s: float, rng: random.Random) -> None:
    """Every `tick_s`: step the market by the wall time elapsed, settle what expired, work the orders
    and save what changed, until `stop` is set."""
    last = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick_s)
        now = time.monotonic()
        live.venue, settlements = advance(live.venue, now - last, rng)
        last = now
        _log_settlements(settlements)
        live.venue, changed = work(live.venue, live.clock.now(), live.rules, live.behaviour)
        _log_orders(changed)
        try:
            await live.commit()
        except (TimeoutError, nats.errors.Error) as exc:  # the next tick saves what this one could not
            logger.warning("venue state not saved", extra={"error": repr(exc)})


def _log_settlements(settlements: tuple[Settlement, ...]) -> None:
    for settled in settlements:
        logger.info(
            "contract settled at expiry",
            extra={
                "account": settled.account_id,
                "symbol": settled.symbol,
                "quantity": str(settled.quantity),
                "settlement_price": str(settled.settlement_price),
                "cash": str(settled.cash),
            },
        )


def _log_orders(orders: tuple[PaperOrder, ...], *, accepted: bool = False) -> None:
    for order in orders:
        logger.info(
            "paper order accepted" if accepted else "paper order changed",
            extra={
                "account": order.account,
                "broker_order_id": order.broker_order_id,
                "client_order_id": order.client_order_id,
                "state": order.state.value,
                "filled": order.filled,
                "reason": order.reason,
            },
        )


# ── composition root ────────────────────────────────────────────────────────────────────────────
async def run(settings: PaperVenueSettings, stop: asyncio.Event) -> None:
    clock = SystemClock()
    rng = random.Random(settings.paper_seed)
    bus = await Bus.connect(settings.require_nats_url(), PAPER_VENUE, clock=clock)
    live: LiveVenue | None = None
    try:
        store = await VenueStore.open(bus.js)
        venue, start = restore(settings, await store.load(), clock, rng)
        live = LiveVenue(
            venue=venue,
            rules=venue_rules(settings),
            clock=clock,
            start=start,
            key_dir=settings.approval_keys,
            store=store,
        )
        await live.commit()
        for route in ROUTES:
            await bus.serve(route.subject, functools.partial(route.handler, live))
        logger.info(
            "paper venue serving",
            extra={
                "accounts": [a.account_id for a in live.venue.accounts],
                "orders": len(live.venue.orders),
                "simulated_now": live.venue.market.now.isoformat(),
                "time_scale": settings.paper_time_scale,
                "seeded": settings.paper_seed is not None,
            },
        )
        await advance_until(stop, live, settings.paper_tick_s, rng)
    finally:
        if live is not None:
            live.release()
            with contextlib.suppress(TimeoutError, nats.errors.Error):
                await live.commit()
        await bus.close()


SERVICE = ServiceSpec(name=PAPER_VENUE, settings=PaperVenueSettings, run=run)


@dataclass(frozen=True)
class Route(Generic[M]):
    subject: Subject[M]
    handler: Callable[[LiveVenue, M], Awaitable[Message]]


# Subscribed in this order. Positions come last, so a client that sees positions answered (the
# readiness probe of tests and of `deltadesk up`) finds every other subject answered too.
ROUTES: tuple[Route[Any], ...] = (
    Route(VENUE_BALANCES_GET, get_balances),
    Route(VENUE_QUOTES_GET, get_quotes),
    Route(VENUE_FAULT_SET, set_fault),
    Route(VENUE_CONTRACT_RESOLVE, resolve_leg),
    Route(VENUE_FRONTMONTH_GET, get_front_month),
    Route(VENUE_EXPIRIES_LIST, list_expiries),
    Route(VENUE_CHAIN_GET, get_chain),
    Route(VENUE_CONTRACTS_QUOTE, quote_contracts),
    Route(VENUE_MARGIN_COMPUTE, compute_margin),
    Route(VENUE_ORDER_PLACE, place_order),
    Route(VENUE_ORDER_GET, get_order),
    Route(VENUE_ORDER_FIND, find_order),
    Route(VENUE_EXECUTIONS_LIST, list_executions),
    Route(VENUE_ORDER_CANCEL, cancel_paper_order),
    Route(VENUE_FILLS_SET, set_fills),
    Route(VENUE_POSITIONS_LIST, list_positions),
)
