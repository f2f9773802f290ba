"""The Tastytrade broker: the desk's `Broker` port over the tastytrade SDK (13.x).

REST through the SDK for accounts, positions, balances, instruments, chains and orders; quotes,
trades and Greeks through one long-lived DXLink streamer (streamer.py). Every failure is mapped in
errors.py. The rules that protect money:

- `place` takes only an `ApprovedOrder` (TypeError otherwise), refuses everything unless
  `live_trading` is on, and is the only caller of the SDK's `place_order(..., dry_run=False)`; the
  SDK's default is a dry run, used by `whatif`.
- A submission is never retried: placement is not idempotent at Tastytrade (an external identifier
  is not de-duplicated). A failure after the request may have left is OrderStateUnknown; the caller
  reconciles with `find_order(account, order.client_order_id)`, which searches the external id.
- A rejection (HTTP 422, preflight checks) raises BrokerRejected with the API's own messages.
- Options on /ES and /MES are worth the future's notional multiplier (50, 5), not the 1 the
  instrument reports.
- The sandbox has no market data: quote, chain and contract-quote calls say so
  (BrokerUnavailable), and positions come without Greeks or underlying prices (risk flags them),
  never with zeros.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tastytrade.account import Account, CurrentPosition
from tastytrade.order import PlacedOrder

from deltadesk.brokers.settings import BrokerSettings
from deltadesk.brokers.tastytrade.errors import mapped, placement_error
from deltadesk.brokers.tastytrade.instruments import (
    ROOT_UNDERLYING,
    Instruments,
    ListedExpiry,
    choose_expiry,
    front_month,
    future_expiring,
    future_option_expiries,
    option_expiries,
)
from deltadesk.brokers.tastytrade.metrics import MarketMetrics, market_metrics
from deltadesk.brokers.tastytrade.orders import executions_of, order_status, tastytrade_order, whatif_of
from deltadesk.brokers.tastytrade.parsing import (
    Holding,
    PositionMarket,
    UnsupportedPosition,
    desk_balances,
    desk_position,
    holding_of,
    open_positions,
    signed_quantity,
)
from deltadesk.brokers.tastytrade.session import TastytradeSession, open_session
from deltadesk.brokers.tastytrade.streamer import Feed, MarketFeed, Snapshot
from deltadesk.brokers.tastytrade.symbols import (
    EQUITY,
    FUTURE,
    FUTURE_OPTION,
    UnknownSymbol,
    desk_future_option_symbol,
    future_product,
    is_future,
    occ_streamer_symbol,
    parse_future_option,
    parse_occ,
)
from deltadesk.shared.balances import Balances
from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    ApprovedOrder,
    BrokerOrderStatus,
    ChainRow,
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

logger = logging.getLogger(__name__)

SANDBOX_NO_MARKET_DATA = (
    "tastytrade: the sandbox (certification) environment has no market data; quotes, chains and Greeks "
    "need a production session"
)
LIVE_TRADING_DISABLED = (
    "live trading is disabled: the order was not sent to Tastytrade (set DELTADESK_LIVE_TRADING=true to "
    "allow orders to reach a real broker)"
)
HISTORY_DAYS = 7  # how far back find_order looks past today's orders


class TastytradeBroker:
    def __init__(
        self,
        settings: BrokerSettings,
        *,
        clock: Clock | None = None,
        symbols_per_subscribe: int = 500,
        first_data_wait_s: float | None = None,
        market_data_max_age_s: float = 120.0,
        **client_kwargs: Any,
    ) -> None:
        """`client_kwargs` go to the SDK's httpx2 client (and its streamer's)."""
        self._settings = settings
        self._clock: Clock = clock or SystemClock()
        self._session: TastytradeSession = open_session(settings, **client_kwargs)
        self._instruments = Instruments(self._session)
        self._feed = MarketFeed(self._session, self._clock, symbols_per_subscribe=symbols_per_subscribe)
        self._wait_s = (
            first_data_wait_s if first_data_wait_s is not None else min(settings.broker_timeout_s, 3.0)
        )
        self._max_age = timedelta(seconds=market_data_max_age_s)
        self._accounts: dict[str, Account] = {}
        self._streamer_symbols: dict[str, str] = {}  # desk symbol → DXLink symbol, learnt from the API
        self._waited: dict[Feed, set[str]] = {Feed.TRADE: set(), Feed.GREEKS: set()}
        self._stack = AsyncExitStack()
        self._entered = False
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return "tastytrade"

    @property
    def sandbox(self) -> bool:
        return self._settings.tastytrade_sandbox

    @property
    def feed(self) -> MarketFeed:
        return self._feed

    # ── read side ──────────────────────────────────────────────────────────────────────────────
    async def positions(self, account: str) -> list[Position]:
        acct = await self._account(account)
        with mapped("positions"):
            holdings = []
            for raw in open_positions(await acct.get_positions(self._session)):
                try:
                    holdings.append((raw, await self._holding(raw)))
                except UnsupportedPosition as exc:  # crypto, bonds: outside what the desk weighs
                    logger.warning(
                        "tastytrade position skipped", extra={"account": account, "reason": str(exc)}
                    )
            markets = await self._position_markets([h for _, h in holdings])
        return [desk_position(account, p, h, markets.get(h.symbol, PositionMarket())) for p, h in holdings]

    async def balances(self, account: str) -> Balances:
        acct = await self._account(account)
        with mapped("balances"):
            return desk_balances(account, await acct.get_balances(self._session))

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        self._need_market_data()
        await self._ready()
        wanted: dict[str, str] = {}
        for symbol in dict.fromkeys(symbols):
            streamer = await self._streamer_symbol_of(symbol)
            if streamer is not None:
                wanted[symbol] = streamer
        streamed = list(wanted.values())
        self._feed.track("quotes", {Feed.QUOTE: streamed, Feed.TRADE: streamed})
        await self._await_data(streamed)
        self._require_stream()
        found = []
        for symbol, streamer in wanted.items():
            snap = self._feed.snapshot(streamer, max_age=self._max_age)
            if snap.as_of is not None and (
                snap.bid is not None or snap.ask is not None or snap.last is not None
            ):
                found.append(
                    Quote(symbol=symbol, bid=snap.bid, ask=snap.ask, last=snap.last, as_of=snap.as_of)
                )
        return found

    async def resolve(self, leg: LegSpec) -> Contract:
        await self._ready()
        if leg.instrument.is_share:
            with mapped(f"resolve {leg.underlying}"):
                equity = await self._instruments.equity(leg.underlying)
            instrument = InstrumentType.ETF if equity.is_etf else InstrumentType.STK
            return Contract(
                symbol=equity.symbol,
                underlying=equity.symbol,
                instrument=instrument,
                multiplier=Decimal(1),
                broker_id=equity.symbol,
            )
        if leg.instrument is InstrumentType.FUT:
            if leg.expiry is None:
                return await self.front_month(leg.underlying)
            product = future_product(leg.underlying) if is_future(leg.underlying) else leg.underlying
            with mapped(f"resolve {leg.underlying}"):
                future = future_expiring(await self._instruments.futures(product), leg.expiry)
            return _future_contract(future.symbol, future.notional_multiplier, future.expiration_date)
        if leg.expiry is None or leg.strike is None or leg.right is None:  # LegSpec checks this already
            raise BrokerRejected(f"an {leg.instrument.value} leg needs an expiry, a strike and a right")
        listed = await self._listed_expiry(leg.underlying, leg.expiry, leg.instrument, leg.trading_class)
        strike = listed.strike(leg.strike)
        symbol, streamer = listed.symbols(strike, leg.right)
        if leg.instrument is InstrumentType.OPT:
            self._streamer_symbols[symbol] = streamer
            return Contract(
                symbol=symbol,
                underlying=listed.underlying,
                instrument=InstrumentType.OPT,
                multiplier=listed.multiplier or Decimal(100),
                expiry=listed.expiry,
                strike=strike.strike_price,
                right=leg.right,
                trading_class=listed.root,
                broker_id=symbol,
            )
        return await self._future_option_contract(listed, strike.strike_price, leg.right, symbol, streamer)

    async def front_month(self, root: str) -> Contract:
        await self._ready()
        product = future_product(root) if is_future(root) else root
        with mapped(f"front month of {root}"):
            future = front_month(await self._instruments.futures(product), self._clock.now().date())
        return _future_contract(future.symbol, future.notional_multiplier, future.expiration_date)

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        listed = await self._listed(underlying, instrument)
        return sorted({item.expiry for item in listed})

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        self._need_market_data()
        listed = await self._listed_expiry(underlying, expiry, instrument, None)
        contracts: list[tuple[Decimal, Contract, str]] = []
        for strike in listed.strikes:
            for right_ in (Right.CALL, Right.PUT):
                symbol, streamer = listed.symbols(strike, right_)
                if instrument is InstrumentType.OPT:
                    contract = Contract(
                        symbol=symbol,
                        underlying=listed.underlying,
                        instrument=InstrumentType.OPT,
                        multiplier=listed.multiplier or Decimal(100),
                        expiry=listed.expiry,
                        strike=strike.strike_price,
                        right=right_,
                        trading_class=listed.root,
                        broker_id=symbol,
                    )
                    self._streamer_symbols[symbol] = streamer
                else:
                    contract = await self._future_option_contract(
                        listed, strike.strike_price, right_, symbol, streamer
                    )
                contracts.append((strike.strike_price, contract, streamer))
        underlying_streamer = await self._underlying_streamer(contracts[0][1]) if contracts else None
        quotes = await self._contract_markets("chain", [(c, s) for _, c, s in contracts], underlying_streamer)
        rows: dict[Decimal, dict[str, ContractQuote]] = {}
        for (strike_price, contract, _), quote in zip(contracts, quotes, strict=True):
            rows.setdefault(strike_price, {})[contract.right.value if contract.right else ""] = quote
        underlying_price = self._price_of(underlying_streamer)
        return OptionChain(
            underlying=listed.underlying
            if instrument is InstrumentType.OPT
            else future_product(listed.underlying),
            instrument=instrument,
            expiry=listed.expiry,
            underlying_price=underlying_price,
            rows=tuple(
                ChainRow(strike=strike, call=sides.get("C"), put=sides.get("P"))
                for strike, sides in sorted(rows.items())
            ),
            as_of=self._clock.now(),
        )

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        self._need_market_data()
        await self._ready()
        pairs = [(c, await self._contract_streamer(c)) for c in contracts]
        underlyings = {await self._underlying_streamer(c) for c in contracts} - {None}
        return await self._contract_markets("contracts", pairs, None, extra=underlyings)

    async def market_metrics(self, symbols: Sequence[str]) -> list[MarketMetrics]:
        """Beta, IV index, IV rank and liquidity of each symbol Tastytrade knows."""
        await self._ready()
        return await market_metrics(self._session, symbols)

    # ── write side ─────────────────────────────────────────────────────────────────────────────
    async def whatif(self, order: Order) -> WhatIf:
        acct = await self._account(order.account)
        with mapped(f"what-if of order {order.client_order_id}"):
            sdk_order = tastytrade_order(order, await self._held(acct))
            # The SDK's place_order defaults to a dry run; say so anyway: this must never trade.
            response = await acct.place_order(self._session, sdk_order, dry_run=True)
            return whatif_of(response)

    async def place(self, order: ApprovedOrder) -> str:
        if not isinstance(order, ApprovedOrder):  # nothing but execution's approval check builds one
            raise TypeError(f"place() takes an ApprovedOrder, not {type(order).__name__}")
        if not self._settings.live_trading:
            raise BrokerRejected(LIVE_TRADING_DISABLED)
        desk_order = order.order
        client_order_id = desk_order.client_order_id
        acct = await self._account(desk_order.account)
        with mapped(f"order {client_order_id} not sent"):
            sdk_order = tastytrade_order(desk_order, await self._held(acct))
            await self._session.refresh()  # a refused token fails here, clearly before sending
        try:  # one attempt, never retried: see the module docstring
            response = await acct.place_order(self._session, sdk_order, dry_run=False)
            return str(response.order.id)
        except Exception as exc:
            raise placement_error(exc, client_order_id) from exc

    def confirmations(self, client_order_id: str) -> tuple[str, ...]:
        """This broker asks no questions when an order is placed."""
        return ()

    async def status(self, account: str, broker_order_id: str) -> BrokerOrderStatus:
        acct = await self._account(account)
        with mapped(f"status of order {broker_order_id}"):
            return order_status(await acct.get_order(self._session, _order_number(broker_order_id)))

    async def find_order(self, account: str, client_order_id: str) -> BrokerOrderStatus | None:
        acct = await self._account(account)
        with mapped(f"find order {client_order_id}"):
            for order in await acct.get_live_orders(self._session):
                if order.external_identifier == client_order_id:
                    return order_status(order)
            since = self._clock.now().date() - timedelta(days=HISTORY_DAYS)
            for order in await acct.get_order_history(self._session, start_date=since, page_offset=None):
                if order.external_identifier == client_order_id:
                    return order_status(order)
        return None

    async def executions(self, account: str, since: datetime) -> list[Execution]:
        acct = await self._account(account)
        with mapped("executions"):
            orders: dict[int, PlacedOrder] = {}
            start = since.date() - timedelta(days=1)  # the API's dates are New York's; be generous
            for order in await acct.get_order_history(self._session, start_date=start, page_offset=None):
                orders[order.id] = order
            for order in await acct.get_live_orders(self._session):
                orders[order.id] = order
            return executions_of(orders.values(), since)

    async def cancel(self, account: str, broker_order_id: str) -> None:
        acct = await self._account(account)
        with mapped(f"cancel of order {broker_order_id}"):
            await acct.delete_order(self._session, _order_number(broker_order_id))

    async def close(self) -> None:
        await self._feed.close()
        await self._stack.aclose()

    # ── internals ──────────────────────────────────────────────────────────────────────────────
    async def _ready(self) -> None:
        async with self._lock:
            if not self._entered:
                await self._stack.enter_async_context(self._session)
                self._entered = True

    async def _account(self, number: str) -> Account:
        await self._ready()
        if number not in self._accounts:
            with mapped(f"account {number}"):
                self._accounts[number] = await Account.get(self._session, number)
        return self._accounts[number]

    async def _held(self, acct: Account) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}
        for position in await acct.get_positions(self._session):
            held[position.symbol] = held.get(position.symbol, Decimal(0)) + signed_quantity(position)
        return held

    async def _holding(self, position: CurrentPosition) -> Holding:
        kind = position.instrument_type.value
        multipliers: dict[str, Decimal] = {}
        etfs: frozenset[str] = frozenset()
        if kind == FUTURE:
            multipliers[position.symbol] = (
                await self._instruments.future(position.symbol)
            ).notional_multiplier
        elif kind == FUTURE_OPTION:
            future = parse_future_option(position.symbol).root
            multipliers[future] = (await self._instruments.future(future)).notional_multiplier
        elif kind == EQUITY and (await self._instruments.equity(position.symbol)).is_etf:
            etfs = frozenset({position.symbol})
        return holding_of(position, multipliers, etfs)

    async def _position_markets(self, holdings: Sequence[Holding]) -> dict[str, PositionMarket]:
        if self.sandbox or not holdings:
            return {}
        own: dict[str, str] = {}
        under: dict[str, str] = {}
        for h in holdings:
            own[h.symbol] = await self._holding_streamer(h)
            if h.instrument.is_option:
                under[h.symbol] = (
                    (await self._instruments.future(h.underlying_contract)).streamer_symbol
                    if h.underlying_contract
                    else h.underlying
                )
            else:
                under[h.symbol] = own[h.symbol]
        priced = set(own.values()) | set(under.values())
        options = {own[h.symbol] for h in holdings if h.instrument.is_option}
        self._feed.track("positions", {Feed.QUOTE: priced, Feed.TRADE: priced, Feed.GREEKS: options})
        await self._await_data(priced, options)
        markets = {}
        for h in holdings:
            snap = self._feed.snapshot(own[h.symbol], max_age=self._max_age)
            markets[h.symbol] = PositionMarket(
                mark=snap.price,
                greeks=snap.greeks,
                iv=snap.iv,
                underlying_price=self._price_of(under[h.symbol]),
            )
        return markets

    async def _holding_streamer(self, h: Holding) -> str:
        if h.instrument is InstrumentType.OPT:
            return occ_streamer_symbol(h.tastytrade_symbol)
        if h.instrument is InstrumentType.FUT:
            return (await self._instruments.future(h.tastytrade_symbol)).streamer_symbol
        if h.instrument is InstrumentType.FOP:
            streamer = (await self._instruments.future_option(h.tastytrade_symbol)).streamer_symbol
            self._streamer_symbols[h.symbol] = streamer
            return streamer
        return h.symbol

    async def _streamer_symbol_of(self, symbol: str) -> str | None:
        """The DXLink symbol of a desk symbol, or None when Tastytrade does not know it."""
        if symbol in self._streamer_symbols:
            return self._streamer_symbols[symbol]
        try:
            if is_future(symbol):
                with mapped(f"future {symbol}"):
                    streamer = (await self._instruments.future(symbol)).streamer_symbol
            elif " " in symbol.strip() and symbol.startswith("/"):
                return None  # an option on a future the adapter has not seen: nothing to ask the API
            elif _looks_occ(symbol):
                streamer = occ_streamer_symbol(symbol)
            else:
                with mapped(f"equity {symbol}"):
                    streamer = (await self._instruments.equity(symbol)).streamer_symbol
        except BrokerRejected:  # not listed
            return None
        self._streamer_symbols[symbol] = streamer
        return streamer

    async def _contract_streamer(self, contract: Contract) -> str:
        tastytrade_id = contract.broker_id or contract.symbol
        if contract.symbol in self._streamer_symbols:
            return self._streamer_symbols[contract.symbol]
        with mapped(f"contract {contract.symbol}"):
            if contract.instrument is InstrumentType.OPT:
                streamer = occ_streamer_symbol(tastytrade_id)
            elif contract.instrument is InstrumentType.FUT:
                streamer = (await self._instruments.future(tastytrade_id)).streamer_symbol
            elif contract.instrument is InstrumentType.FOP:
                if not contract.broker_id:
                    raise BrokerRejected(f"{contract.symbol}: resolve the option on a future first")
                streamer = (await self._instruments.future_option(contract.broker_id)).streamer_symbol
            else:
                streamer = tastytrade_id
        self._streamer_symbols[contract.symbol] = streamer
        return streamer

    async def _underlying_streamer(self, contract: Contract) -> str | None:
        if contract.instrument is InstrumentType.FOP and contract.underlying_contract:
            with mapped(f"future {contract.underlying_contract}"):
                return (await self._instruments.future(contract.underlying_contract)).streamer_symbol
        if contract.instrument is InstrumentType.OPT:
            return ROOT_UNDERLYING.get(contract.underlying, contract.underlying)
        return None

    async def _contract_markets(
        self,
        owner: str,
        pairs: Sequence[tuple[Contract, str]],
        underlying: str | None,
        *,
        extra: Iterable[str | None] = (),
    ) -> list[ContractQuote]:
        under = {u for u in (underlying, *extra) if u}
        streamed = {s for _, s in pairs}
        options = {s for c, s in pairs if c.instrument.is_option}
        priced = streamed | under
        self._feed.track(owner, {Feed.QUOTE: priced, Feed.TRADE: priced, Feed.GREEKS: options})
        await self._await_data(priced, options)
        self._require_stream()
        now = self._clock.now()
        quotes = []
        for contract, streamer in pairs:
            snap = self._feed.snapshot(streamer, max_age=self._max_age)
            under_symbol = underlying or await self._underlying_streamer(contract)
            quotes.append(
                ContractQuote(
                    contract=contract,
                    bid=snap.bid,
                    ask=snap.ask,
                    last=snap.last,
                    greeks=snap.greeks if contract.instrument.is_option else None,
                    iv=snap.iv if contract.instrument.is_option else None,
                    underlying_price=self._price_of(under_symbol) if under_symbol else None,
                    as_of=snap.as_of or now,
                )
            )
        return quotes

    async def _future_option_contract(
        self, listed: ListedExpiry, strike: Decimal, right: Right, symbol: str, streamer: str
    ) -> Contract:
        future = listed.underlying
        with mapped(f"future {future}"):
            multiplier = (await self._instruments.future(future)).notional_multiplier  # 50 for /ES, not 1
        desk = desk_future_option_symbol(future, listed.expiry, right, strike)
        self._streamer_symbols[desk] = streamer
        return Contract(
            symbol=desk,
            underlying=future_product(future),
            instrument=InstrumentType.FOP,
            multiplier=multiplier,
            expiry=listed.expiry,
            strike=strike,
            right=right,
            trading_class=listed.root,
            underlying_contract=future,
            broker_id=symbol,
        )

    async def _listed(self, underlying: str, instrument: InstrumentType) -> list[ListedExpiry]:
        await self._ready()
        with mapped(f"option chain of {underlying}"):
            if instrument is InstrumentType.OPT:
                return option_expiries(await self._instruments.option_chains(underlying), underlying)
            if instrument is InstrumentType.FOP:
                return future_option_expiries(
                    await self._instruments.future_option_chain(underlying), underlying
                )
        raise BrokerRejected(f"{instrument.value} has no option chain")

    async def _listed_expiry(
        self, underlying: str, expiry: date, instrument: InstrumentType, root: str | None
    ) -> ListedExpiry:
        listed = await self._listed(underlying, instrument)
        wanted_root = root or (underlying if underlying in ROOT_UNDERLYING else None)
        return choose_expiry(listed, underlying, expiry, wanted_root)

    def _need_market_data(self) -> None:
        if self.sandbox:
            raise BrokerUnavailable(SANDBOX_NO_MARKET_DATA)

    def _require_stream(self) -> None:
        if not self._feed.connected:
            raise BrokerUnavailable(
                self._feed.last_error or "tastytrade market data stream: still connecting"
            )

    async def _await_data(self, priced: Iterable[str], greeks: Iterable[str] = ()) -> None:
        """Give newly wanted symbols a moment for their first events. A symbol is waited for once:
        one that never sends (unknown to DXLink) must not slow every later call."""
        await self._ready()
        new_priced = [s for s in priced if s not in self._waited[Feed.TRADE]]
        new_greeks = [s for s in greeks if s not in self._waited[Feed.GREEKS]]
        if not new_priced and not new_greeks:
            return

        def ready() -> bool:
            if not self._feed.connected:
                return self._feed.last_error is not None  # known down: the caller reports it at once
            return all(self._priced(s) for s in new_priced) and all(
                self._feed.has(Feed.GREEKS, s) for s in new_greeks
            )

        await self._feed.wait_until(ready, self._wait_s)
        if self._feed.connected:
            self._waited[Feed.TRADE].update(new_priced)
            self._waited[Feed.GREEKS].update(new_greeks)

    def _priced(self, streamer: str) -> bool:
        return self._feed.has(Feed.QUOTE, streamer) or self._feed.has(Feed.TRADE, streamer)

    def _price_of(self, streamer: str | None) -> float | None:
        if streamer is None:
            return None
        snap: Snapshot = self._feed.snapshot(streamer, max_age=self._max_age)
        price = snap.price
        return float(price) if price is not None else None


def _future_contract(symbol: str, multiplier: Decimal, expiry: date) -> Contract:
    return Contract(
        symbol=symbol,
        underlying=future_product(symbol),
        instrument=InstrumentType.FUT,
        multiplier=multiplier,
        expiry=expiry,
        underlying_contract=symbol,
        broker_id=symbol,
    )


def _order_number(broker_order_id: str) -> int:
    try:
        return int(broker_order_id)
    except ValueError:
        raise BrokerRejected(f"{broker_order_id!r} is not a Tastytrade order id") from None


def _looks_occ(symbol: str) -> bool:
    try:
        parse_occ(symbol)
    except UnknownSymbol:
        return False
    return True
