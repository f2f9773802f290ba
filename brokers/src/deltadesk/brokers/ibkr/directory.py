"""Finding IBKR's contracts and naming them in the desk's terms, cached: shares and indexes by
`/iserver/secdef/search`, listed options and futures options by `strikes` and `info` (exact
maturity date and trading class), futures by `/trsrv/futures`, and any conid by
`/iserver/contract/{conid}/info` (multipliers and local symbols of futures, never trusted from a
position row).

IBKR answers strikes and info for an underlying only after a search for it in the same brokerage
session, so searches are remembered per session `epoch` and asked again after a re-authentication.
Listings, strikes and futures lists are cached per trading day; contract facts for good.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from deltadesk.brokers.ibkr import contracts as listings
from deltadesk.brokers.ibkr.contracts import ContractFacts, option_facts
from deltadesk.brokers.ibkr.session import GatewaySession
from deltadesk.brokers.ibkr.symbols import (
    INDEXES,
    future_symbol,
    future_symbol_for,
    futures_root,
    local_symbol_in,
    month_token,
    occ_symbol,
    option_root,
    parse_fop,
    parse_future,
    parse_occ,
    parse_yyyymmdd,
)
from deltadesk.brokers.ibkr.wire import (
    FUTURES,
    SEARCH,
    SECDEF_INFO,
    ContractInfo,
    FutureRow,
    PositionRow,
    SearchEntry,
    SecdefInfoRow,
    Strikes,
    parse,
)
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, Contract, LegSpec, Order

US_EXCHANGES = frozenset({"NASDAQ", "NYSE", "ARCA", "AMEX", "BATS", "NYSEARCA", "CBOE", "IEX"})
OPTION_EXCHANGE = "SMART"


class ContractDirectory:
    def __init__(self, session: GatewaySession, today: Callable[[], date]) -> None:
        self._session = session
        self._today = today
        self._facts: dict[int, ContractFacts] = {}
        self._names: dict[int, str] = {}  # conid → desk symbol, from orders resolved elsewhere
        self._info: dict[int, ContractInfo] = {}
        self._search: dict[tuple[str, str], list[SearchEntry]] = {}
        self._searched: dict[tuple[str, str], int] = {}  # → the session epoch it was searched in
        self._search_key: dict[int, tuple[str, str]] = {}  # underlying conid → the search that found it
        self._futures: dict[tuple[str, date], list[FutureRow]] = {}
        self._strikes: dict[tuple[Any, ...], Strikes] = {}
        self._listings: dict[tuple[Any, ...], list[SecdefInfoRow]] = {}

    def known(self, conid: int) -> ContractFacts | None:
        return self._facts.get(conid)

    def keep(self, facts: ContractFacts) -> None:
        self._facts[facts.conid] = facts

    async def position_facts(self, row: PositionRow) -> ContractFacts:
        known = self._facts.get(row.conid)
        if known is not None:
            return known
        asset = row.asset_class
        if asset == "STK":
            symbol = (row.ticker or row.contract_desc).strip().upper()
            instrument = InstrumentType.ETF if (row.type or "").upper() == "ETF" else InstrumentType.STK
            facts = ContractFacts(
                row.conid, symbol, symbol, instrument, Decimal(1), underlying_conid=row.conid
            )
        elif asset == "OPT":
            facts = await self._option_position_facts(row)
        elif asset == "FUT":
            facts = await self._future_facts(row.conid, root=row.ticker, expiry=parse_yyyymmdd(row.expiry))
        else:
            facts = await self._future_option_position_facts(row)
        self._facts[row.conid] = facts
        return facts

    async def _option_position_facts(self, row: PositionRow) -> ContractFacts:
        occ = parse_occ(local_symbol_in(row.contract_desc) or "")
        info = None
        if occ is None or not row.multiplier or row.multiplier <= 0:
            info = await self._contract_info(row.conid)
            if occ is None and info.local_symbol:
                occ = parse_occ(info.local_symbol)
        expiry = parse_yyyymmdd(row.expiry) or (occ.expiry if occ else None)
        right = row.put_or_call or (occ.right.value if occ else None)
        strike = row.strike if row.strike else (occ.strike if occ else None)
        multiplier = (
            row.multiplier if row.multiplier and row.multiplier > 0 else (info.multiplier if info else None)
        )
        if expiry is None or right not in ("C", "P") or strike is None or not multiplier or multiplier <= 0:
            raise BrokerUnavailable(
                f"IBKR position {row.conid} ({row.contract_desc}): no expiry, right, strike or multiplier"
            )
        underlying, implied_class = option_root(
            row.und_sym or row.ticker or (info.symbol if info else "") or ""
        )
        trading_class = (
            (occ.root if occ else None)
            or (info.trading_class if info else None)
            or implied_class
            or underlying
        )
        return ContractFacts(
            conid=row.conid,
            symbol=occ_symbol(trading_class, expiry, Right(right), strike),
            underlying=underlying,
            instrument=InstrumentType.OPT,
            multiplier=multiplier,
            expiry=expiry,
            strike=strike,
            right=Right(right),
            trading_class=trading_class,
            underlying_conid=row.und_conid or None,
        )

    async def _future_option_position_facts(self, row: PositionRow) -> ContractFacts:
        info = await self._contract_info(row.conid)
        under_conid = row.und_conid or info.underlying_con_id
        if not under_conid:
            raise BrokerUnavailable(f"IBKR futures option {row.conid}: the future it is on is unknown")
        future = await self._future_facts(under_conid)
        expiry = parse_yyyymmdd(row.expiry) or parse_yyyymmdd(info.maturity_date)
        right = row.put_or_call
        multiplier = _multiplier(info.multiplier, row.multiplier)
        if expiry is None or right not in ("C", "P") or not row.strike or multiplier is None:
            raise BrokerUnavailable(
                f"IBKR futures option {row.conid}: no expiry, right, strike or multiplier"
            )
        listed = SecdefInfoRow(
            conid=row.conid,
            right=right,
            strike=row.strike,
            maturity_date=expiry.strftime("%Y%m%d"),
            multiplier=multiplier,
            trading_class=info.trading_class,
        )
        return option_facts(
            listed,
            underlying=future.underlying,
            underlying_conid=future.conid,
            instrument=InstrumentType.FOP,
            future=future.symbol,
        )

    async def _future_facts(
        self, conid: int, *, root: str | None = None, expiry: date | None = None
    ) -> ContractFacts:
        known = self._facts.get(conid)
        if known is not None:
            return known
        info = await self._contract_info(conid)
        root = futures_root(info.symbol or root or "")
        expiry = expiry or parse_yyyymmdd(info.maturity_date)
        multiplier = _multiplier(info.multiplier, None)
        if not root or multiplier is None:
            raise BrokerUnavailable(f"IBKR future {conid}: no symbol or multiplier in its contract info")
        if info.local_symbol:
            symbol = future_symbol(info.local_symbol)
        else:
            month = _contract_month(info.contract_month) or expiry
            if month is None:
                raise BrokerUnavailable(f"IBKR future {conid}: no local symbol, contract month or expiry")
            symbol = future_symbol_for(root, month)
        facts = ContractFacts(
            conid=conid,
            symbol=symbol,
            underlying="/" + root,
            instrument=InstrumentType.FUT,
            multiplier=multiplier,
            expiry=expiry,
            underlying_conid=conid,
            underlying_contract=symbol,
        )
        self._facts[conid] = facts
        return facts

    async def front_month(self, root: str) -> ContractFacts:
        row = listings.front_month(await self._future_rows(root), self._today())
        if row is None:
            raise BrokerRejected(f"IBKR lists no unexpired future for {root}")
        return await self._future_facts(
            row.conid, root=futures_root(root), expiry=parse_yyyymmdd(row.expiration_date)
        )

    async def resolve_facts(self, leg: LegSpec) -> ContractFacts:
        instrument = leg.instrument
        if instrument.is_share:
            entry = await self._underlying_entry(leg.underlying)
            symbol = leg.underlying.strip().upper()
            facts = ContractFacts(
                entry.conid, symbol, symbol, instrument, Decimal(1), underlying_conid=entry.conid
            )
            self._facts.setdefault(entry.conid, facts)
            return facts
        if instrument is InstrumentType.FUT:
            if leg.expiry is None:
                return await self.front_month(leg.underlying)
            return await self._future_on(futures_root(leg.underlying), leg.expiry)
        assert leg.expiry is not None
        assert leg.strike is not None
        assert leg.right is not None
        entry, sec_type, exchange, symbol, trading_class = await self.option_family(
            leg.underlying, instrument
        )
        month = month_token(leg.expiry)
        rows = listings.listing(
            await self.listing(entry, sec_type, month, exchange, leg.strike, leg.right),
            expiry=leg.expiry,
            symbol=symbol,
            trading_class=leg.trading_class or trading_class,
            right=leg.right,
            strike=leg.strike,
        )
        if not rows:
            raise BrokerRejected(
                f"IBKR lists no {leg.underlying} {leg.expiry.isoformat()} {leg.strike} {leg.right.value}"
                + (f" in class {leg.trading_class}" if leg.trading_class else "")
            )
        if instrument is InstrumentType.FOP:
            future = await self.future_of_option(rows[0].conid)
            facts = option_facts(
                rows[0],
                underlying=future.underlying,
                underlying_conid=future.conid,
                instrument=instrument,
                future=future.symbol,
            )
        else:
            facts = option_facts(
                rows[0], underlying=symbol, underlying_conid=entry.conid, instrument=instrument
            )
        self._facts[facts.conid] = facts
        return facts

    async def option_family(
        self, underlying: str, instrument: InstrumentType
    ) -> tuple[SearchEntry, str, str, str, str | None]:
        """The search entry options are listed under, their secType, exchange, IBKR symbol and the
        trading class the name implies (`SPXW`)."""
        if instrument is InstrumentType.FOP:
            root = futures_root(underlying)
            entry = await self._futures_entry(root)
            section = entry.section("FOP")
            exchange = ((section.exchange if section else None) or "CME").split(";")[0] or "CME"
            return entry, "FOP", exchange, root, None
        symbol, trading_class = option_root(underlying)
        return await self._underlying_entry(symbol), "OPT", OPTION_EXCHANGE, symbol, trading_class

    async def _underlying_entry(self, name: str) -> SearchEntry:
        """The search entry of a share or an index (conid; OPT months)."""
        symbol = name.strip().upper()
        sec_type = "IND" if symbol in INDEXES else "STK"
        entries = [
            e for e in await self._searched_entries(symbol, sec_type) if (e.symbol or "").upper() == symbol
        ]
        if not entries:
            raise BrokerRejected(f"IBKR does not know {symbol} ({sec_type})")
        us = [e for e in entries if (e.description or "").upper() in US_EXCHANGES]
        return (us or entries)[0]

    async def _futures_entry(self, root: str) -> SearchEntry:
        entries = await self._searched_entries(root, "")
        for entry in entries:
            if (entry.symbol or "").upper() == root and (entry.section("FOP") or entry.section("FUT")):
                return entry
        raise BrokerRejected(f"IBKR lists no futures options for {root}")

    async def _searched_entries(self, symbol: str, sec_type: str) -> list[SearchEntry]:
        """`/iserver/secdef/search`, cached, but asked again once per brokerage session: IBKR answers
        strikes and info for an underlying only after a search for it in the same session."""
        key = (symbol, sec_type)
        epoch = self._session.epoch
        if key not in self._search or self._searched.get(key) != epoch:
            params = {"symbol": symbol, **({"secType": sec_type} if sec_type else {})}
            data = await self._session.request("GET", "/iserver/secdef/search", params=params)
            entries: list[SearchEntry] = parse(
                SEARCH, data if isinstance(data, list) else [], "secdef search"
            )
            self._search[key] = entries
            self._searched[key] = self._session.epoch
            for entry in entries:
                self._search_key.setdefault(entry.conid, key)
        return self._search[key]

    async def _secdef_get(self, entry: SearchEntry, template: str, params: dict[str, Any]) -> Any:
        """strikes and info: asked after a search in the same brokerage session, and asked again
        (after a new search) when the session changed under the request (a 401 re-authenticated it)."""
        data: Any = None
        for _ in range(2):
            await self._ensure_searched(entry)
            epoch = self._session.epoch
            data = await self._session.request("GET", template, params=params)
            if self._session.epoch == epoch:
                break
        return data

    async def _ensure_searched(self, entry: SearchEntry) -> None:
        key = self._search_key.get(entry.conid)
        if key is not None and self._searched.get(key) != self._session.epoch:
            await self._searched_entries(*key)

    async def strike_list(
        self, entry: SearchEntry, sec_type: str, month: str, exchange: str
    ) -> list[Decimal]:
        key = (entry.conid, sec_type, month, exchange, self._today())
        if key not in self._strikes:
            params = {"conid": entry.conid, "sectype": sec_type, "month": month, "exchange": exchange}
            data = await self._secdef_get(entry, "/iserver/secdef/strikes", params)
            self._strikes[key] = parse(Strikes, data, "secdef strikes")
        strikes = self._strikes[key]
        return sorted(set(strikes.call) | set(strikes.put))

    async def listing(
        self,
        entry: SearchEntry,
        sec_type: str,
        month: str,
        exchange: str,
        strike: Decimal,
        right: Right | None = None,
    ) -> list[SecdefInfoRow]:
        key = (entry.conid, sec_type, month, exchange, strike, right, self._today())
        if key not in self._listings:
            params: dict[str, Any] = {
                "conid": entry.conid,
                "sectype": sec_type,
                "month": month,
                "exchange": exchange,
                "strike": format(strike.normalize(), "f"),
            }
            if right is not None:
                params["right"] = right.value
            data = await self._secdef_get(entry, "/iserver/secdef/info", params)
            self._listings[key] = parse(SECDEF_INFO, data if isinstance(data, list) else [], "secdef info")
        return self._listings[key]

    async def listing_or_none(
        self, entry: SearchEntry, sec_type: str, month: str, exchange: str, strike: Decimal
    ) -> list[SecdefInfoRow]:
        try:
            return await self.listing(entry, sec_type, month, exchange, strike)
        except BrokerRejected:
            return []  # a candidate strike IBKR does not list this month

    async def _future_rows(self, root: str) -> list[FutureRow]:
        root = futures_root(root)
        key = (root, self._today())
        if key not in self._futures:
            data = await self._session.get("/trsrv/futures", symbols=root)
            table = parse(FUTURES, data if isinstance(data, dict) else {}, "futures")
            self._futures[key] = list(table.get(root, []))
        return self._futures[key]

    async def _future_on(self, root: str, expiry: date) -> ContractFacts:
        rows = await self._future_rows(root)
        exact = [r for r in rows if parse_yyyymmdd(r.expiration_date) == expiry]
        month = [
            r
            for r in rows
            if (d := parse_yyyymmdd(r.expiration_date)) and (d.year, d.month) == (expiry.year, expiry.month)
        ]
        chosen = exact or month
        if not chosen:
            raise BrokerRejected(f"IBKR lists no {root} future expiring {expiry.isoformat()}")
        return await self._future_facts(
            chosen[0].conid, root=root, expiry=parse_yyyymmdd(chosen[0].expiration_date)
        )

    async def _future_by_symbol(self, symbol: str) -> ContractFacts:
        parts = parse_future(symbol)
        if parts is None:
            raise BrokerRejected(f"{symbol} is not a futures contract symbol")
        for row in await self._future_rows(parts.root):
            day = parse_yyyymmdd(row.expiration_date)
            if day is None:
                continue
            # The contract month is near the expiry (CL's January contract expires in December).
            year = _year_ending(parts.year_digits, near=day.year)
            if abs((day.year * 12 + day.month) - (year * 12 + parts.month)) > 3:
                continue
            facts = await self._future_facts(row.conid, root=parts.root, expiry=day)
            if facts.symbol == future_symbol(symbol):
                return facts
        raise BrokerRejected(f"IBKR lists no future {symbol}")

    async def future_of_option(self, conid: int) -> ContractFacts:
        info = await self._contract_info(conid)
        if not info.underlying_con_id:
            raise BrokerUnavailable(f"IBKR futures option {conid}: the future it is on is unknown")
        return await self._future_facts(info.underlying_con_id)

    async def _contract_info(self, conid: int) -> ContractInfo:
        if conid not in self._info:
            data = await self._session.get("/iserver/contract/{conid}/info", path={"conid": conid})
            self._info[conid] = parse(ContractInfo, data, "contract info")
        return self._info[conid]

    async def quote_conid(self, symbol: str) -> int:
        if parse_occ(symbol) or parse_fop(symbol):
            return (await self.resolve_facts(_leg_of_symbol(symbol))).conid
        if symbol.startswith("/"):
            return (await self._future_by_symbol(symbol)).conid
        return (await self._underlying_entry(symbol)).conid

    async def conid_of(self, contract: Contract) -> int:
        if contract.broker_id and contract.broker_id.isdigit():
            return int(contract.broker_id)
        leg = LegSpec(
            action=Action.BUY,
            instrument=contract.instrument,
            underlying=contract.underlying,
            quantity=1,
            expiry=contract.expiry if contract.instrument is not InstrumentType.STK else None,
            strike=contract.strike,
            right=contract.right,
            trading_class=contract.trading_class,
        )
        return (await self.resolve_facts(leg)).conid

    async def underlying_conid(self, contract: Contract, conid: int) -> int | None:
        known = self._facts.get(conid)
        if known is not None and known.underlying_conid:
            return known.underlying_conid
        if not contract.instrument.is_option:
            return conid
        try:
            if contract.underlying_contract:
                return (await self._future_by_symbol(contract.underlying_contract)).conid
            return (await self._underlying_entry(option_root(contract.underlying)[0])).conid
        except BrokerRejected:
            return None

    async def symbol_of(self, conid: int | None, fallback: str | None) -> str:
        if conid is None:
            return fallback or ""
        known = self._facts.get(conid)
        if known is not None:
            return known.symbol
        if conid in self._names:
            return self._names[conid]
        try:
            info = await self._contract_info(conid)
        except BrokerRejected:
            return fallback or str(conid)
        kind = (info.instrument_type or "").upper()
        if kind == "OPT" and info.local_symbol and (occ := parse_occ(info.local_symbol)):
            return occ_symbol(occ.root, occ.expiry, occ.right, occ.strike)
        if kind == "FUT" and info.local_symbol:
            return future_symbol(info.local_symbol)
        return info.local_symbol or info.symbol or fallback or str(conid)

    def names(self) -> dict[int, str]:
        return {**self._names, **{conid: facts.symbol for conid, facts in self._facts.items()}}

    def remember(self, order: Order) -> None:
        """The names of an order's contracts, resolved perhaps by another process's adapter: its
        status legs and fills then read as the desk wrote them."""
        for leg in order.legs:
            broker_id = leg.contract.broker_id
            if broker_id and broker_id.isdigit():
                self._names.setdefault(int(broker_id), leg.contract.symbol)


def _year_ending(digits: str, *, near: int) -> int:
    """The year ending in `digits` ("6", "26") nearest `near`."""
    modulus: int = 10 ** len(digits)
    base = near - near % modulus + int(digits)
    return min((base - modulus, base, base + modulus), key=lambda y: abs(y - near))


def _multiplier(primary: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    for value in (primary, fallback):
        if value is not None and value > 0:
            return value
    return None


def _contract_month(text: str | None) -> date | None:
    digits = (text or "").strip()
    if len(digits) >= 6 and digits[:6].isdigit():
        year, month = int(digits[:4]), int(digits[4:6])
        if 1 <= month <= 12:
            return date(year, month, 1)
    return None


def _leg_of_symbol(symbol: str) -> LegSpec:
    if occ := parse_occ(symbol):
        underlying, _ = option_root(occ.root)
        return LegSpec(
            action=Action.BUY,
            instrument=InstrumentType.OPT,
            underlying=underlying,
            quantity=1,
            expiry=occ.expiry,
            strike=occ.strike,
            right=occ.right,
            trading_class=occ.root,
        )
    fop = parse_fop(symbol)
    if fop is None:
        raise BrokerRejected(f"{symbol} is not an option symbol")
    parts = parse_future(fop.future)
    root = parts.root if parts else futures_root(fop.future)
    return LegSpec(
        action=Action.BUY,
        instrument=InstrumentType.FOP,
        underlying="/" + root,
        quantity=1,
        expiry=fop.expiry,
        strike=fop.strike,
        right=fop.right,
    )
