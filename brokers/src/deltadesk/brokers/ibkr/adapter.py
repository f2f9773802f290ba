"""The `Broker` port at Interactive Brokers, through the Client Portal gateway.

Reads (market-data's side):
- positions: every page of `/portfolio/{acct}/positions/{page}` (page 0 from `positions/invalidate`,
  which refreshes IBKR's position cache and answers page 0 itself), then ONE batched snapshot per
  refresh for the options and the conids they are on (fields 31/84/86/7308–7311/7633). Futures
  and futures options take their multiplier and contract name from `/iserver/contract/{conid}/info`
  (cached), never from the position row, whose multiplier can be null.
- balances from `/portfolio/{acct}/summary`; quotes, chains and contract quotes from snapshots.
- contracts: `directory.ContractDirectory` (`/iserver/secdef/search` → `strikes` → `info` by exact
  maturity date and trading class, SPX monthlies vs SPXW; futures from `/trsrv/futures`, the front
  month being the soonest unexpired), cached.

Writes (execution's side):
- `whatif` never places anything and never answers a reply message (they become warnings).
- `place` takes only an `ApprovedOrder` (anything else: TypeError) and refuses unless
  `DELTADESK_LIVE_TRADING=true`. It sends one ticket (a combo by `conidex`), then answers IBKR's
  reply messages with `confirmed: true`, at most `reply_rounds` times, holding the session so no
  other request cancels the pending order. Every message is logged with the order id and kept:
  `confirmations(client_order_id)` and `last_confirmations` (the latest place's) give them, word
  for word, prefixed with IBKR's message id (`o163: The following order … exceeds …`).
  Past the sending point a timeout or a dropped connection is `OrderStateUnknown`, never a retry;
  a duplicate client order id is also `OrderStateUnknown` (IBKR already has an order with it:
  find it with `find_order`, do not send another).
- `find_order` reads IBKR's live orders (pre-flighted: the first call of a session answers empty),
  which hold the orders of the current brokerage session; `executions` reads `/iserver/account/
  trades` (up to 7 days), one `Execution` per leg row.

What the reference marks UNCONFIRMED, checked (IBKR docs, Voyz/ibind, Voyz/ibeam, community code)
and decided here:
- Greeks 7308–7311 are read as per unit (per share; per point for futures options), as ibind's
  users and community clients treat them. IV 7633 comes as `"32"`, `"32.5"` or `"0.32"` in
  community fixtures: `figures.parse_volatility` reads a `%` or a value above 3 as a percentage.
- Combo fills: one trades row per leg with the leg's conid is expected; a BAG row for an order
  whose legs are reported is left out (never counted twice).
- `MOC` goes out as `orderType: "MOC"` (community-reported; not in IBKR's documented list).
- `positions/invalidate` answering page 0 is used when its answer is a list; otherwise page 0 is
  asked for (one request more, nothing lost).
- The 401 body is not documented: any 401 means "no session" (ibeam's reading).
- No `Retry-After` is documented on 429: nothing is retried; the session sends nothing for
  `penalty_cooldown_s`, then lets one request probe.
- What-if reply messages are never confirmed (that is `place`'s, after approval): they come back
  as the what-if's warnings, with no figures.
- VIX's conid (13455763 in community code) is not hard-coded: indexes are found by
  `/secdef/search?secType=IND`, like SPX (416904), and cached.
- Futures-option multipliers (MES 5, ES 50) are IBKR's `/secdef/info` and contract-info figures,
  never a table here.
- `/iserver/secdef/info` is asked per strike (IBKR describes strike as required for options), so
  a chain covers the `chain_strikes` strikes nearest the money, and expiries look into the nearest
  `expiry_months` months: the request count stays bounded.
- A duplicate client order id is recognised by IBKR's text `Local order ID=` (ibind's check).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deltadesk.brokers.ibkr import contracts as listings
from deltadesk.brokers.ibkr.contracts import ContractFacts, option_facts, strike_window
from deltadesk.brokers.ibkr.directory import ContractDirectory
from deltadesk.brokers.ibkr.marketdata import SNAPSHOT_FIELDS, Snapshot, batches, complete, read_snapshot
from deltadesk.brokers.ibkr.orders import (
    Accepted,
    Questions,
    Refused,
    build_execution,
    execution_time,
    order_ticket,
    read_place_answer,
    status_from_live_order,
    status_from_order_status,
)
from deltadesk.brokers.ibkr.portfolio import build_balances, build_position, is_held
from deltadesk.brokers.ibkr.session import GatewaySession
from deltadesk.brokers.ibkr.symbols import (
    month_token,
    parse_month_token,
)
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.ibkr.whatif import build_whatif
from deltadesk.brokers.ibkr.wire import (
    POSITIONS,
    SNAPSHOT,
    SUMMARY,
    TRADES,
    CancelAnswer,
    LiveOrders,
    OrderStatusWire,
    PositionRow,
    WhatIfResponse,
    parse,
)
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.shared.balances import Balances
from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.errors import BrokerRejected, OrderStateUnknown
from deltadesk.shared.instruments import InstrumentType
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

PAGE_SIZE = 100  # IBKR's positions page size, unless a row says otherwise
MAX_PAGES = 100
WHATIF_OPERATOR = "deltadesk"  # extOperator on a what-if (no person approved anything yet)
try:
    _MARKET_ZONE: ZoneInfo | None = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # no tz database: the clock's own date
    _MARKET_ZONE = None
_FUTURES = (InstrumentType.FUT, InstrumentType.FOP)


class IbkrBroker:
    """See the module docstring. `tuning` and `clock` are for tests and benchmarks."""

    def __init__(
        self, settings: BrokerSettings, *, tuning: IbkrTuning | None = None, clock: Clock | None = None
    ) -> None:
        self._settings = settings
        self._tuning = tuning or IbkrTuning()
        self._clock = clock or SystemClock()
        self._session = GatewaySession(settings, self._tuning)
        self.account = self._session.account
        self._contracts = ContractDirectory(self._session, self._today)
        self._orders_by_ref: dict[str, str] = {}
        self._placed: dict[str, Order] = {}
        self._live_orders_epoch = -1
        self._incomplete: dict[int, int] = {}  # conid → the session epoch its snapshot stayed incomplete
        self._confirmed: dict[str, tuple[str, ...]] = {}  # client order id → reply messages confirmed
        self.last_confirmations: tuple[str, ...] = ()  # those of the latest `place`

    @property
    def name(self) -> str:
        return "ibkr"

    def confirmations(self, client_order_id: str) -> tuple[str, ...]:
        """IBKR's reply messages confirmed while placing this order, word for word, each prefixed
        with its message id (`o163: …`); () when IBKR asked nothing or the order was not placed here."""
        return self._confirmed.get(client_order_id, ())

    async def close(self) -> None:
        await self._session.close()

    # ── positions and balances ────────────────────────────────────────────────────────────────────
    async def positions(self, account: str) -> list[Position]:
        self._check_account(account)
        rows = [row for row in await self._position_rows() if is_held(row)]
        facts = {row.conid: await self._contracts.position_facts(row) for row in rows}
        wanted: list[int] = []
        options: set[int] = set()
        for row in rows:
            fact = facts[row.conid]
            wanted.append(row.conid)
            if fact.instrument.is_option:
                options.add(row.conid)
                if fact.underlying_conid:
                    wanted.append(fact.underlying_conid)
        snapshots = await self._snapshots(wanted, greeks=options)
        return [build_position(account, row, facts[row.conid], snapshots) for row in rows]

    async def balances(self, account: str) -> Balances:
        self._check_account(account)
        data = await self._session.request(
            "GET", "/portfolio/{account}/summary", path={"account": self.account}, portfolio=True
        )
        summary = parse(SUMMARY, data, "portfolio summary")
        return build_balances(account, summary, self._clock.now())

    async def _position_rows(self) -> list[PositionRow]:
        path = {"account": self.account}
        first = await self._session.request(
            "POST", "/portfolio/{account}/positions/invalidate", path=path, body={}, portfolio=True
        )
        if not isinstance(first, list):  # an answer other than page 0: ask for page 0
            first = await self._session.request(
                "GET", "/portfolio/{account}/positions/{page}", path={**path, "page": 0}, portfolio=True
            )
        rows: list[PositionRow] = list(parse(POSITIONS, first, "positions"))
        page_rows = rows
        for page in range(1, MAX_PAGES):
            size = next((r.page_size for r in page_rows if r.page_size), PAGE_SIZE)
            if len(page_rows) < size:
                break
            data = await self._session.request(
                "GET", "/portfolio/{account}/positions/{page}", path={**path, "page": page}, portfolio=True
            )
            page_rows = parse(POSITIONS, data, "positions")
            rows.extend(page_rows)
        return rows

    # ── market data ───────────────────────────────────────────────────────────────────────────────
    async def _snapshots(
        self, conids: Iterable[int], *, greeks: set[int], attempts: int | None = None
    ) -> dict[int, Snapshot]:
        """One batched snapshot of every conid (≤ 100 per request), asked again, a bounded number of
        times, for the conids whose rows are still empty (a new stream's first answer) or, for
        options, still without Greeks. What is still missing after that stays missing."""
        wanted = list(dict.fromkeys(conids))
        found: dict[int, Snapshot] = {}
        epoch = self._session.epoch
        gave_up = {c for c, e in self._incomplete.items() if e == epoch}
        for attempt in range(attempts or self._tuning.snapshot_attempts):
            pending = [
                c
                for c in wanted
                if not complete(found.get(c), wants_greeks=c in greeks) and not (attempt and c in gave_up)
            ]
            if not pending:
                break
            if attempt:
                await asyncio.sleep(self._tuning.snapshot_retry_s)
            for batch in batches(pending):
                data = await self._session.get(
                    "/iserver/marketdata/snapshot",
                    conids=",".join(str(c) for c in batch),
                    fields=",".join(SNAPSHOT_FIELDS),
                )
                for row in parse(SNAPSHOT, data, "market data snapshot"):
                    snapshot = read_snapshot(row)
                    if snapshot is not None:
                        found[snapshot.conid] = _merged(found.get(snapshot.conid), snapshot)
        # A conid still incomplete after every try (no market-data permission, Greeks that never
        # come) is asked once per refresh from now on, so it cannot slow every refresh down.
        for conid in wanted:
            if complete(found.get(conid), wants_greeks=conid in greeks):
                self._incomplete.pop(conid, None)
            else:
                self._incomplete[conid] = epoch
        return found

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes of indexes (`SPX`, `VIX`), shares, futures (`/ESZ6`) and options (OCC or `/ESZ6 …`
        symbols); symbols IBKR does not know are left out."""
        found: list[tuple[str, int]] = []
        for symbol in dict.fromkeys(symbols):
            try:
                found.append((symbol, await self._contracts.quote_conid(symbol)))
            except BrokerRejected as exc:
                logger.info("ibkr symbol not quoted", extra={"symbol": symbol, "reason": str(exc)})
        snapshots = await self._snapshots([c for _, c in found], greeks=set())
        now = self._clock.now()
        quotes = []
        for symbol, conid in found:
            snapshot = snapshots.get(conid)
            if snapshot is not None and snapshot.has_price:
                quotes.append(
                    Quote(
                        symbol=symbol,
                        bid=snapshot.bid,
                        ask=snapshot.ask,
                        last=snapshot.last,
                        as_of=_as_of(snapshot, now),
                    )
                )
        return quotes

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        conids = [await self._contracts.conid_of(c) for c in contracts]
        unders: dict[int, int | None] = {}
        for contract, conid in zip(contracts, conids, strict=True):
            unders[conid] = await self._contracts.underlying_conid(contract, conid)
        options = {c for contract, c in zip(contracts, conids, strict=True) if contract.instrument.is_option}
        snapshots = await self._snapshots(
            [*conids, *(u for u in unders.values() if u is not None)], greeks=options
        )
        now = self._clock.now()
        return [
            _contract_quote(contract, snapshots.get(conid), snapshots.get(unders[conid] or -1), now)
            for contract, conid in zip(contracts, conids, strict=True)
        ]

    # ── contracts ─────────────────────────────────────────────────────────────────────────────────
    async def resolve(self, leg: LegSpec) -> Contract:
        facts = await self._contracts.resolve_facts(leg)
        return facts.contract()

    async def front_month(self, root: str) -> Contract:
        return (await self._contracts.front_month(root)).contract()

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        if not instrument.is_option:
            raise BrokerRejected(f"expiries are listed for options (OPT, FOP), not {instrument}")
        entry, sec_type, exchange, _, trading_class = await self._contracts.option_family(
            underlying, instrument
        )
        section = entry.section(sec_type)
        months = [m for m in (section.months or "").split(";") if parse_month_token(m)] if section else []
        price = None
        if instrument is InstrumentType.OPT:
            snap = (await self._snapshots([entry.conid], greeks=set())).get(entry.conid)
            price = float(snap.price) if snap is not None and snap.price is not None else None
        found: set[date] = set()
        for month in months[: self._tuning.expiry_months]:
            strikes = await self._contracts.strike_list(entry, sec_type, month, exchange)
            if not strikes:
                continue
            probe = strike_window(strikes, price, 1)[0]
            rows = await self._contracts.listing(entry, sec_type, month, exchange, probe)
            found |= listings.expiries_in(rows, trading_class)
        today = self._today()
        return sorted(d for d in found if d >= today)

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        if not instrument.is_option:
            raise BrokerRejected(f"chains are listed for options (OPT, FOP), not {instrument}")
        entry, sec_type, exchange, symbol, trading_class = await self._contracts.option_family(
            underlying, instrument
        )
        month = month_token(expiry)
        strikes = await self._contracts.strike_list(entry, sec_type, month, exchange)
        if not strikes:
            raise BrokerRejected(f"IBKR lists no {instrument} strikes for {underlying} in {month}")
        under_conid: int | None = entry.conid if instrument is InstrumentType.OPT else None
        future: ContractFacts | None = None
        if instrument is InstrumentType.FOP:  # the future the options are on, from one listed row
            probe = strike_window(strikes, None, 1)[0]
            rows = listings.listing(
                await self._contracts.listing(entry, sec_type, month, exchange, probe),
                expiry=expiry,
                symbol=symbol,
                trading_class=trading_class,
            )
            if not rows:
                raise BrokerRejected(f"IBKR lists no {underlying} futures options on {expiry.isoformat()}")
            future = await self._contracts.future_of_option(rows[0].conid)
            under_conid = future.conid
        assert under_conid is not None
        under = (await self._snapshots([under_conid], greeks=set())).get(under_conid)
        price = float(under.price) if under is not None and under.price is not None else None
        window = strike_window(strikes, price, self._tuning.chain_strikes)
        async with asyncio.TaskGroup() as tg:
            tasks = [
                tg.create_task(self._contracts.listing_or_none(entry, sec_type, month, exchange, s))
                for s in window
            ]
        rows = [row for task in tasks for row in task.result()]
        chosen = listings.listing(rows, expiry=expiry, symbol=symbol, trading_class=trading_class)
        if not chosen:
            raise BrokerRejected(f"IBKR lists no {underlying} {instrument} on {expiry.isoformat()}")
        name = future.underlying if future is not None else symbol
        facts = [
            option_facts(
                row,
                underlying=name,
                underlying_conid=under_conid,
                instrument=instrument,
                future=future.symbol if future is not None else None,
            )
            for row in chosen
        ]
        for fact in facts:
            self._contracts.keep(fact)
        snapshots = await self._snapshots(
            [*(f.conid for f in facts), under_conid], greeks={f.conid for f in facts}
        )
        now = self._clock.now()
        under = snapshots.get(under_conid) or under
        by_strike: dict[Decimal, dict[str, ContractQuote]] = {}
        for fact in facts:
            quote = _contract_quote(fact.contract(), snapshots.get(fact.conid), under, now)
            assert fact.strike is not None
            assert fact.right is not None
            by_strike.setdefault(fact.strike, {})[fact.right.value] = quote
        under_price = under.price if under is not None else None
        return OptionChain(
            underlying=name,
            instrument=instrument,
            expiry=expiry,
            underlying_price=float(under_price) if under_price is not None else None,
            rows=tuple(
                ChainRow(strike=strike, call=sides.get("C"), put=sides.get("P"))
                for strike, sides in sorted(by_strike.items())
            ),
            as_of=now,
        )

    # ── orders ────────────────────────────────────────────────────────────────────────────────────
    async def whatif(self, order: Order) -> WhatIf:
        """IBKR's margin and commission of the order. Reply messages are never answered here: they
        come back as warnings and are answered (after approval) by `place`."""
        self._check_account(order.account)
        self._contracts.remember(order)
        ticket = order_ticket(order, operator=WHATIF_OPERATOR)
        # IBKR: snapshot the instrument before a what-if (one request: it only opens the streams).
        await self._snapshots([int(c) for c in _conids(order)], greeks=set(), attempts=1)
        data = await self._session.post(
            "/iserver/account/{account}/orders/whatif", {"orders": [ticket]}, path={"account": self.account}
        )
        answer = read_place_answer(data)
        if isinstance(answer, Refused):
            raise BrokerRejected(f"IBKR what-if refused: {answer.reason}")
        if isinstance(answer, Questions):
            return WhatIf(warnings=answer.texts())
        return build_whatif(parse(WhatIfResponse, data, "what-if"))

    async def place(self, order: ApprovedOrder) -> str:
        if not isinstance(order, ApprovedOrder):
            raise TypeError(f"IBKR place takes only an ApprovedOrder, not {type(order).__name__}")
        draft = order.order
        if not self._settings.live_trading:
            raise BrokerRejected(
                "live trading disabled: IBKR orders are refused before sending unless "
                "DELTADESK_LIVE_TRADING=true"
            )
        self._check_account(draft.account)
        ticket = order_ticket(draft, operator=order.approval.user)
        reference = draft.client_order_id
        confirmed: list[str] = []
        self._confirmed[reference] = ()
        self.last_confirmations = ()
        self._contracts.remember(draft)
        context = {"order_id": str(draft.order_id), "client_order_id": reference}
        logger.info("ibkr placing order", extra={**context, "legs": len(draft.legs)})
        path = {"account": self.account}
        async with self._session.exclusive():
            data = await self._session.request(
                "POST", "/iserver/account/{account}/orders", path=path, body={"orders": [ticket]}, order=True
            )
            for round_ in range(self._tuning.reply_rounds + 1):
                answer = read_place_answer(data)
                if isinstance(answer, Accepted):
                    self._orders_by_ref[reference] = answer.order_id
                    self._placed[answer.order_id] = draft
                    logger.info(
                        "ibkr order accepted",
                        extra={**context, "broker_order_id": answer.order_id, "status": answer.status},
                    )
                    return answer.order_id
                if isinstance(answer, Refused):
                    logger.warning("ibkr order refused", extra={**context, "reason": answer.reason})
                    if answer.duplicate:
                        raise OrderStateUnknown(
                            f"IBKR already has an order with client order id {reference}: not sent again; "
                            f"find it with find_order ({answer.reason})"
                        )
                    raise BrokerRejected(f"IBKR rejected the order: {answer.reason}")
                if answer is None:
                    raise OrderStateUnknown(
                        f"IBKR answered order {reference} in a shape the desk does not know: "
                        "verify in the broker platform"
                    )
                for text in answer.texts():
                    logger.warning("ibkr order confirmation", extra={**context, "confirmation": text})
                confirmed.extend(answer.texts())
                self._confirmed[reference] = self.last_confirmations = tuple(confirmed)
                reply = {"reply_id": answer.reply_id}
                if round_ == self._tuning.reply_rounds:
                    await self._session.request(
                        "POST", "/iserver/reply/{reply_id}", path=reply, body={"confirmed": False}, order=True
                    )
                    raise BrokerRejected(
                        f"IBKR asked for more than {self._tuning.reply_rounds} confirmations; the order was "
                        f"withdrawn. Last: {' | '.join(answer.texts())}"
                    )
                data = await self._session.request(
                    "POST", "/iserver/reply/{reply_id}", path=reply, body={"confirmed": True}, order=True
                )
        raise AssertionError("unreachable")

    async def status(self, account: str, broker_order_id: str) -> BrokerOrderStatus:
        self._check_account(account)
        wire = await self._order_status(broker_order_id)
        return status_from_order_status(wire, symbols=self._contracts.names(), now=self._clock.now())

    async def find_order(self, account: str, client_order_id: str) -> BrokerOrderStatus | None:
        self._check_account(account)
        for order in (await self._live_orders()).orders:
            if order.order_ref == client_order_id:
                self._orders_by_ref[client_order_id] = str(order.order_id)
                return status_from_live_order(order, symbols=self._contracts.names(), now=self._clock.now())
        return None

    async def executions(self, account: str, since: datetime) -> list[Execution]:
        self._check_account(account)
        now = self._clock.now()
        days = max(1, min(7, math.ceil((now - since).total_seconds() / 86_400) + 1))
        data = await self._session.get("/iserver/account/trades", days=days, accountId=self.account)
        rows = parse(TRADES, data if isinstance(data, list) else [], "trades")
        found: list[Execution] = []
        refreshed = False
        # Combo fills come as one row per leg (UNCONFIRMED: a BAG row may come too; then its legs,
        # already counted, tell the fill and the BAG row is left out).
        with_legs = {r.order_ref for r in rows if r.order_ref and (r.sec_type or "").upper() != "BAG"}
        for row in rows:
            if (row.account_code or row.account or account) != account:
                continue
            if (row.sec_type or "").upper() == "BAG" and row.order_ref in with_legs:
                continue
            at = execution_time(row)
            if at is None or at < since:
                continue
            order_id = str(row.order_id) if row.order_id else self._orders_by_ref.get(row.order_ref or "")
            if order_id is None and row.order_ref and not refreshed:
                refreshed = True
                for live in (await self._live_orders()).orders:
                    if live.order_ref:
                        self._orders_by_ref[live.order_ref] = str(live.order_id)
                order_id = self._orders_by_ref.get(row.order_ref)
            symbol = await self._contracts.symbol_of(row.conid, row.symbol)
            execution = build_execution(row, symbol=symbol, broker_order_id=order_id or row.order_ref or "")
            if execution is not None:
                found.append(execution)
        return found

    async def cancel(self, account: str, broker_order_id: str) -> None:
        self._check_account(account)
        placed = self._placed.get(broker_order_id)
        if placed is not None:
            futures = any(leg.contract.instrument in _FUTURES for leg in placed.legs)
        else:
            futures = ((await self._order_status(broker_order_id)).sec_type or "").upper() in (
                "FUT",
                "FOP",
                "BAG",
            )
        params = {"manualIndicator": "true", "extOperator": WHATIF_OPERATOR} if futures else None
        data = await self._session.request(
            "DELETE",
            "/iserver/account/{account}/order/{order_id}",
            path={"account": self.account, "order_id": _order_number(broker_order_id)},
            params=params,
        )
        answer = parse(CancelAnswer, data, "cancel")
        if answer.error:
            raise BrokerRejected(f"IBKR refused to cancel order {broker_order_id}: {answer.error}")
        logger.info("ibkr cancel requested", extra={"broker_order_id": broker_order_id, "answer": answer.msg})

    async def _order_status(self, broker_order_id: str) -> OrderStatusWire:
        data = await self._session.get(
            "/iserver/account/order/status/{order_id}", path={"order_id": _order_number(broker_order_id)}
        )
        wire: OrderStatusWire = parse(OrderStatusWire, data, "order status")
        return wire

    async def _live_orders(self) -> LiveOrders:
        """Live orders; the first call of a brokerage session answers empty, so it is made twice."""
        calls = (
            2 if self._tuning.live_orders_preflight and self._live_orders_epoch != self._session.epoch else 1
        )
        answer = LiveOrders()
        for _ in range(calls):
            data = await self._session.get("/iserver/account/orders")
            answer = parse(LiveOrders, {"orders": data} if isinstance(data, list) else data, "live orders")
            if answer.orders:
                break
        self._live_orders_epoch = self._session.epoch
        return answer

    def _check_account(self, account: str) -> None:
        if account != self.account:
            raise BrokerRejected(f"this IBKR adapter serves account {self.account}, not {account}")

    def _today(self) -> date:
        """Today where US listed options and CME futures expire (New York)."""
        now = self._clock.now()
        return now.astimezone(_MARKET_ZONE).date() if _MARKET_ZONE is not None else now.date()


# ── small readers ─────────────────────────────────────────────────────────────────────────────────
def _merged(old: Snapshot | None, new: Snapshot) -> Snapshot:
    if old is None:
        return new
    changes = {
        f.name: getattr(new, f.name) for f in dataclasses.fields(new) if getattr(new, f.name) is not None
    }
    return dataclasses.replace(old, **changes)


def _as_of(snapshot: Snapshot, now: datetime) -> datetime:
    if snapshot.updated_ms:
        return datetime.fromtimestamp(snapshot.updated_ms / 1000, tz=now.tzinfo)
    return now


def _contract_quote(
    contract: Contract, own: Snapshot | None, under: Snapshot | None, now: datetime
) -> ContractQuote:
    under_price = under.price if under is not None else None
    option = contract.instrument.is_option
    return ContractQuote(
        contract=contract,
        bid=own.bid if own else None,
        ask=own.ask if own else None,
        last=own.last if own else None,
        greeks=own.greeks if own and option else None,
        iv=own.iv if own and option else None,
        underlying_price=float(under_price) if under_price is not None and under_price > 0 else None,
        as_of=_as_of(own, now) if own else now,
    )


def _conids(order: Order) -> list[str]:
    return [
        leg.contract.broker_id
        for leg in order.legs
        if leg.contract.broker_id and leg.contract.broker_id.isdigit()
    ]


def _order_number(broker_order_id: str) -> int:
    if not broker_order_id.strip().isdigit():
        raise BrokerRejected(f"{broker_order_id!r} is not an IBKR order id")
    return int(broker_order_id)
