"""The fake gateway's behaviour: what each endpoint does with the fake's records (sessions, accounts,
positions, market data, contracts, orders and fills) and the faults a test injects.

Every answer is built as IBKR documents it (see `../../shared/reference/ibkr-client-portal.md`,
the fields named there), including the inconvenient parts: conids as strings in search results,
numbers as display strings in snapshots and what-ifs, `B`/`S` sides in trades, an empty first
snapshot per conid, an empty first live-orders call per session, strikes and info empty until the
underlying was searched in this session, reply messages before an order is taken, rejections as
HTTP 200 with `{"error": …}`, a null multiplier on futures and futures-option positions.
Tests drive it directly (`fill`, `expire_session`, `faults.fail`, …); the HTTP layer is `app`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from deltadesk.brokers.ibkr.fake.market import Listed, Mark, Market, money
from deltadesk.brokers.ibkr.fake.records import (
    DEFAULT_ACCOUNT,
    MARKET_DATA_WARNING,
    ORDER_TYPES,
    SLOW_ENDPOINTS,
    SPREAD_CONID,
    BrokerageSession,
    FakeOrder,
    Faults,
    Holding,
    Limits,
    PendingPlace,
    Refusal,
)
from deltadesk.brokers.ibkr.fake.shapes import (
    commission_for,
    description,
    full_name,
    future_info,
    grouped,
    live_order,
    option_info,
    order_status,
    order_words,
    plain,
    verb,
)
from deltadesk.brokers.ibkr.symbols import month_token


class GatewayState:
    def __init__(
        self,
        account: str = DEFAULT_ACCOUNT,
        *,
        today: date | None = None,
        limits: Limits | None = None,
        auto_fill: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        self.account = account
        self.accounts = [account]
        self.market = Market.standard(today or datetime.now(UTC).date())
        self.connected = True
        self.authenticated = True
        self.competing = False
        self.session = BrokerageSession(1)
        self.selected_account = account
        self.cash: dict[str, Decimal] = {account: Decimal("250000")}
        self.holdings: dict[str, dict[int, Holding]] = {account: {}}
        self.orders: dict[int, FakeOrder] = {}
        self.pending: dict[str, PendingPlace] = {}
        self.executions: list[dict[str, Any]] = []
        self.questions: list[tuple[str, str]] = []  # asked, in order, before every order is taken
        self.reject_next_place: str | None = None
        self.reject_next_whatif: str | None = None
        self.accounts_first_status = 400
        self.snapshot_empty_polls = 1  # answers with no fields after a stream opens (IBKR: the first)
        self.greeks_lag_polls = 0  # further answers before Greeks and IV appear
        self.auto_fill = auto_fill
        self.faults = Faults()
        self.limits = limits or Limits()
        self.requests: Counter[str] = Counter()  # by `METHOD /template`
        self.refused: Counter[int] = Counter()  # 401, 411, 429 answered before any endpoint ran
        self.reauthentications = 0
        self._clock = clock
        self._wall = wall or (lambda: datetime.now(UTC))
        self._window: deque[float] = deque()
        self._last: dict[str, float] = {}
        self._penalty_until = -math.inf
        self._next_order_id = 1_234_567_890
        self._executions_made = 0

    # ── sessions ──────────────────────────────────────────────────────────────────────────────────
    def expire_session(self) -> None:
        """The brokerage session timed out; the gateway is still logged in (`connected`)."""
        self.authenticated = False

    def log_out(self) -> None:
        self.authenticated = False
        self.connected = False

    def compete(self) -> None:
        """Someone logged in on TWS or the mobile app: this gateway's session is competing."""
        self.authenticated = False
        self.competing = True

    def reauthenticate(self) -> None:
        if self.connected and not self.competing:
            self.authenticated = True
            self.reauthentications += 1
            self.session = BrokerageSession(self.session.number + 1)

    def auth_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "authenticated": self.authenticated,
            "competing": self.competing,
            "connected": self.connected,
            "MAC": "98:F2:B3:23:BF:A0",
        }
        if self.connected:
            status.update(
                message="",
                serverInfo={"serverName": "FakeGateway", "serverVersion": "Build 10.25.0p (deltadesk fake)"},
                hardware_info="3b0679ee|98:F2:B3:23:BF:A0",
                fail="",
            )
        return status

    def tickle(self) -> dict[str, Any]:
        return {
            "session": uuid.uuid5(uuid.NAMESPACE_OID, str(self.session.number)).hex,
            "ssoExpires": 460311,
            "collission": False,
            "userId": 123456789,
            "hmds": {"error": "no bridge"},
            "iserver": {"authStatus": self.auth_status()},
        }

    def brokerage_accounts(self) -> dict[str, Any]:
        self.session.accounts_queried = True
        props = {
            "hasChildAccounts": False,
            "supportsCashQty": True,
            "noFXConv": False,
            "isProp": False,
            "supportsFractions": True,
            "allowCustomerTime": False,
        }
        return {
            "accounts": list(self.accounts),
            "acctProps": {a: props for a in self.accounts},
            "aliases": {a: a for a in self.accounts},
            "allowFeatures": {
                "showGFIS": True,
                "snapshotRefreshTimeout": 30,
                "allowedAssetTypes": "STK,OPT,FUT,FOP",
            },
            "chartPeriods": {"STK": ["*"]},
            "groups": [],
            "profiles": [],
            "selectedAccount": self.selected_account,
            "serverInfo": {"serverName": "FakeGateway", "serverVersion": "Build 10.25.0p"},
            "sessionId": f"fake.{self.session.number}",
            "isFT": False,
            "isPaper": self.account.startswith("D"),
        }

    def portfolio_accounts(self) -> list[dict[str, Any]]:
        self.session.portfolio_queried = True
        return [
            {
                "id": a,
                "accountId": a,
                "accountVan": a,
                "accountTitle": "deltadesk fake",
                "displayName": a,
                "accountAlias": None,
                "accountStatus": 1_644_814_800_000,
                "currency": "USD",
                "type": "DEMO",
                "tradingType": "PMRGN",
                "businessType": "IB_PROSERVE",
                "ibEntity": "IBLLC-US",
                "faclient": False,
                "clearingStatus": "O",
                "covestor": False,
                "noClientTrading": False,
                "trackVirtualFXPortfolio": True,
                "parent": {
                    "mmc": [],
                    "accountId": "",
                    "isMParent": False,
                    "isMChild": False,
                    "isMultiplex": False,
                },
                "desc": a,
            }
            for a in self.accounts
        ]

    def require_accounts(self) -> None:
        if not self.session.accounts_queried:
            text = "Please query /accounts first"
            if self.accounts_first_status == 400:
                text = "Bad Request: " + text
            raise Refusal(
                self.accounts_first_status, {"error": text, "statusCode": self.accounts_first_status}
            )

    def require_portfolio(self, account: str) -> None:
        if not self.session.portfolio_queried:
            raise Refusal(400, {"error": "Bad Request: call /portfolio/accounts first", "statusCode": 400})
        if account not in self.accounts:
            raise Refusal(400, {"error": f"Bad Request: account {account} not found", "statusCode": 400})

    # ── pacing ────────────────────────────────────────────────────────────────────────────────────
    def admit(self, key: str) -> bool:
        """False when this request breaks IBKR's pacing: the caller answers 429 and the penalty box
        (every endpoint) opens."""
        now = self._clock()
        if now < self._penalty_until:
            return False
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        interval = self.limits.slow_interval_s if key in SLOW_ENDPOINTS else None
        if key == "POST /tickle":
            interval = self.limits.tickle_interval_s
        too_soon = interval is not None and now - self._last.get(key, -math.inf) < interval
        if len(self._window) >= self.limits.global_per_s or too_soon:
            self._penalty_until = now + self.limits.penalty_s
            return False
        self._window.append(now)
        self._last[key] = now
        return True

    def release_penalty(self) -> None:
        self._penalty_until = -math.inf
        self._window.clear()
        self._last.clear()

    # ── positions and balances ────────────────────────────────────────────────────────────────────
    def hold(
        self, conid: int, quantity: Decimal | int | str, average_price: Decimal | str, account: str = ""
    ) -> None:
        account = account or self.account
        self.holdings.setdefault(account, {})[conid] = Holding(
            Decimal(str(quantity)), Decimal(str(average_price))
        )

    def contract(self, conid: int) -> Listed:
        """Any conid the fake knows as a Listed: underlyings and index roots included."""
        listed = self.market.listed.get(conid)
        if listed is not None:
            return listed
        under = self.market.underlying_by_conid(conid)
        if under is not None:
            return Listed(
                conid,
                under.sec_type,
                under.symbol,
                under.symbol,
                under.symbol,
                Decimal(1),
                under.exchange,
                under.company,
            )
        root = self.market.root_by_index(conid)
        if root is not None:
            return Listed(
                conid, "IND", root.symbol, root.symbol, root.symbol, Decimal(1), root.exchange, root.company
            )
        raise KeyError(conid)

    def mark(self, conid: int) -> Mark:
        return self.market.quote(conid)

    def position_rows(self, account: str) -> list[dict[str, Any]]:
        rows = []
        for conid, holding in sorted(self.holdings.get(account, {}).items()):
            listed = self.contract(conid)
            price = self.mark(conid).last
            multiplier = listed.multiplier
            row: dict[str, Any] = {
                "acctId": account,
                "conid": conid,
                "contractDesc": description(listed),
                "position": float(holding.quantity),
                "mktPrice": float(price),
                "mktValue": float(holding.quantity * price * multiplier),
                "currency": "USD",
                "avgCost": float(holding.average_price * multiplier),
                "avgPrice": float(holding.average_price),
                "realizedPnl": 0.0,
                "unrealizedPnl": float((price - holding.average_price) * holding.quantity * multiplier),
                "exchs": None,
                "expiry": None,
                "putOrCall": None,
                "multiplier": None,
                "strike": "0",
                "exerciseStyle": None,
                "conExchMap": [],
                "assetClass": listed.sec_type,
                "undConid": 0,
                "model": "",
                "time": 7,
                "chineseName": None,
                "allExchanges": listed.exchange,
                "listingExchange": listed.exchange,
                "countryCode": "US",
                "name": listed.company,
                "lastTradingDay": None,
                "group": None,
                "sector": None,
                "sectorGroup": None,
                "ticker": listed.symbol,
                "type": "ETF" if listed.symbol in ("SPY", "QQQ") else "COMMON",
                "hasOptions": True,
                "fullName": listed.symbol,
                "isUS": True,
                "isEventContract": False,
                "incrementRules": [{"lowerEdge": 0.0, "increment": 0.01}],
                "displayRule": {
                    "magnification": 0,
                    "displayRuleStep": [{"decimalDigits": 2, "lowerEdge": 0.0, "wholeDigits": 4}],
                },
                "pageSize": 100,
            }
            if listed.sec_type == "STK":
                row["multiplier"] = 0.0  # IBKR: 0 or null for shares
            if listed.sec_type in ("OPT", "FOP", "FUT"):
                assert listed.expiry is not None
                row.update(
                    expiry=listed.expiry.strftime("%Y%m%d"),
                    lastTradingDay=listed.expiry.strftime("%Y%m%d"),
                    undConid=listed.underlying_conid,
                    undSym=self.contract(listed.underlying_conid or 0).symbol
                    if listed.sec_type == "OPT"
                    else None,
                    fullName=full_name(listed),
                    type=None,
                )
            if listed.sec_type in ("OPT", "FOP"):
                row.update(
                    putOrCall=listed.right,
                    strike=format((listed.strike or Decimal(0)).normalize(), "f"),
                    exerciseStyle="E" if listed.symbol == "SPX" else "A",
                )
            if listed.sec_type == "OPT":
                row["multiplier"] = float(multiplier)  # FUT and FOP rows stay null, as IBKR sends them
            rows.append(row)
        return rows

    def margin(self, account: str) -> tuple[Decimal, Decimal]:
        """(initial, maintenance): a rough strategy-free model, enough to move what-ifs."""
        maintenance = Decimal(0)
        for conid, holding in self.holdings.get(account, {}).items():
            maintenance += self._leg_margin(conid, holding.quantity)
        return money(float(maintenance * Decimal("1.1")), Decimal(1)), money(float(maintenance), Decimal(1))

    def _leg_margin(self, conid: int, quantity: Decimal) -> Decimal:
        listed = self.contract(conid)
        price = self.mark(conid).last
        if listed.sec_type in ("OPT", "FOP"):
            if quantity >= 0:
                return Decimal(0)
            under = self.market.price_of(listed.underlying_conid or 0) or price
            return abs(quantity) * listed.multiplier * (Decimal("0.15") * under + price)
        if listed.sec_type == "FUT":
            return abs(quantity) * listed.multiplier * price * Decimal("0.06")
        return abs(quantity) * price * Decimal("0.25")

    def summary(self, account: str) -> dict[str, Any]:
        value = sum(
            (
                h.quantity * self.mark(c).last * self.contract(c).multiplier
                for c, h in self.holdings.get(account, {}).items()
                if self.contract(c).sec_type != "FUT"
            ),
            Decimal(0),
        )
        cash = self.cash.get(account, Decimal(0))
        net = cash + value
        initial, maintenance = self.margin(account)
        stamp = int(self._wall().timestamp() * 1000)

        def amount(number: Decimal) -> dict[str, Any]:
            return {
                "amount": float(number),
                "currency": "USD",
                "isNull": False,
                "timestamp": stamp,
                "value": None,
                "severity": 0,
            }

        def informational(words: str) -> dict[str, Any]:
            return {
                "amount": 0.0,
                "currency": None,
                "isNull": False,
                "timestamp": stamp,
                "value": words,
                "severity": 0,
            }

        return {
            "accountcode": informational(account),
            "accountready": informational("true"),
            "accounttype": informational("INDIVIDUAL"),
            "netliquidation": amount(net),
            "netliquidation-c": amount(Decimal(0)),
            "netliquidation-s": amount(net),
            "totalcashvalue": amount(cash),
            "equitywithloanvalue": amount(net),
            "initmarginreq": amount(initial),
            "maintmarginreq": amount(maintenance),
            "availablefunds": amount(net - initial),
            "excessliquidity": amount(net - maintenance),
            "buyingpower": amount((net - initial) * 4),
            "grosspositionvalue": amount(abs(value)),
            "cushion": informational("0.85"),
            "lookaheadnextchange": informational(str(stamp // 1000)),
        }

    # ── market data ───────────────────────────────────────────────────────────────────────────────
    def snapshot(self, conids: Iterable[int], fields: Iterable[str]) -> list[dict[str, Any]]:
        self.require_accounts()
        fields = {f for f in fields if f}
        rows = []
        for conid in conids:
            row: dict[str, Any] = {"conid": conid, "conidEx": str(conid)}
            try:
                listed = self.contract(conid)
            except KeyError:
                rows.append(row)
                continue
            known = self.session.stream_fields.setdefault(conid, set())
            known |= fields
            if conid not in self.session.streams:
                self.session.streams[conid] = 0  # the pre-flight: the stream opens, nothing comes back
                rows.append(row)
                continue
            self.session.streams[conid] += 1
            polls = self.session.streams[conid]
            if polls >= self.snapshot_empty_polls:
                mark = self.mark(conid)
                stamp = int(self._wall().timestamp() * 1000)
                values: dict[str, str] = {"31": plain(mark.last)}
                if mark.bid is not None and mark.ask is not None:
                    values.update({"84": plain(mark.bid), "86": plain(mark.ask)})
                if (
                    listed.sec_type in ("OPT", "FOP")
                    and polls >= self.snapshot_empty_polls + self.greeks_lag_polls
                ):
                    values.update(
                        {
                            "7308": f"{mark.delta:.4f}",
                            "7309": f"{mark.gamma:.5f}",
                            "7310": f"{mark.theta:.4f}",
                            "7311": f"{mark.vega:.4f}",
                            "7633": f"{(mark.iv or 0) * 100:.1f}%",
                        }
                    )
                row.update({k: v for k, v in values.items() if k in known})
                row.update({"_updated": stamp, "server_id": "q0", "6119": "q0", "6509": "RpB"})
            rows.append(row)
        return rows

    # ── contracts ─────────────────────────────────────────────────────────────────────────────────
    def search(self, symbol: str, sec_type: str | None) -> list[dict[str, Any]]:
        symbol = symbol.strip().upper()
        found: list[dict[str, Any]] = []
        under = self.market.underlyings.get(symbol)
        if under is not None and sec_type in (None, "", under.sec_type):
            sections: list[dict[str, Any]] = [{"secType": under.sec_type}]
            months = self.market.months(symbol, "OPT")
            if months:
                sections.append(
                    {"secType": "OPT", "months": ";".join(months), "exchange": "SMART;CBOE;AMEX;ISE"}
                )
            found.append(
                {
                    "conid": str(under.conid),
                    "companyHeader": f"{under.company} - {under.exchange}",
                    "companyName": under.company,
                    "symbol": under.symbol,
                    "description": under.exchange,
                    "restricted": "IND" if under.sec_type == "IND" else None,
                    "fop": None,
                    "opt": None,
                    "war": None,
                    "sections": sections,
                }
            )
        root = self.market.roots.get(symbol)
        if root is not None and sec_type in (None, "", "IND"):
            sections = [
                {"secType": "IND", "exchange": f"{root.exchange};"},
                {
                    "secType": "FUT",
                    "months": ";".join(self.market.months(symbol, "FUT")),
                    "exchange": f"{root.exchange};",
                },
            ]
            if root.fop is not None:
                sections.append(
                    {
                        "secType": "FOP",
                        "months": ";".join(self.market.months(symbol, "FOP")),
                        "exchange": f"{root.exchange};",
                    }
                )
            found.append(
                {
                    "conid": str(root.index_conid),
                    "companyHeader": f"{root.company} - {root.exchange}",
                    "companyName": root.company,
                    "symbol": root.symbol,
                    "description": root.exchange,
                    "restricted": None,
                    "sections": sections,
                }
            )
        for entry in found:
            self.session.searched.add(int(entry["conid"]))
        return found

    def _family(self, conid: int, sec_type: str) -> str | None:
        if sec_type == "OPT":
            under = self.market.underlying_by_conid(conid)
            return under.symbol if under else None
        root = self.market.root_by_index(conid)
        return root.symbol if root else None

    def strikes(self, conid: int, sec_type: str, month: str, exchange: str | None) -> dict[str, list[float]]:
        symbol = self._family(conid, sec_type)
        if symbol is None or conid not in self.session.searched:
            return {"call": [], "put": []}  # IBKR: empty until /secdef/search ran in this session
        if sec_type == "FOP" and not exchange:
            raise Refusal(400, {"error": "Bad Request: exchange is required for FOP", "statusCode": 400})
        strikes: set[Decimal] = set()
        for _, day, _, _, listed_strikes in self.market.option_series(symbol, sec_type):
            if month_token(day) == month.upper():
                strikes |= set(listed_strikes)
        ordered = [float(s) for s in sorted(strikes)]
        return {"call": ordered, "put": list(ordered)}

    def info(
        self, conid: int, sec_type: str, month: str, strike: str | None, right: str | None
    ) -> list[dict[str, Any]]:
        if sec_type == "FUT":
            root = self.market.root_by_index(conid)
            if root is None:
                return []
            return [
                future_info(f)
                for f in self.market.futures(root.symbol)
                if f.expiry and month_token(f.expiry) == month.upper()
            ]
        symbol = self._family(conid, sec_type)
        if symbol is None or conid not in self.session.searched:
            return []
        if not strike:
            raise Refusal(
                400, {"error": f"Bad Request: strike is required for {sec_type}", "statusCode": 400}
            )
        wanted = Decimal(strike)
        rows = []
        for trading_class, day, under, multiplier, strikes in self.market.option_series(symbol, sec_type):
            if month_token(day) != month.upper() or wanted not in strikes:
                continue
            for side in (right,) if right else ("C", "P"):
                listed = self.market.option(
                    sec_type, trading_class, day, side, wanted, under, symbol, multiplier
                )
                rows.append(option_info(listed))
        return rows

    def futures(self, symbols: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        table: dict[str, list[dict[str, Any]]] = {}
        for symbol in symbols:
            symbol = symbol.strip().upper()
            if symbol not in self.market.roots:
                table[symbol] = []
                continue
            rows = []
            for f in self.market.futures(symbol):
                assert f.expiry is not None
                stamp = int(f.expiry.strftime("%Y%m%d"))
                rows.append(
                    {
                        "symbol": symbol,
                        "conid": f.conid,
                        "underlyingConid": f.underlying_conid,
                        "expirationDate": stamp,
                        "ltd": stamp,
                        "shortFuturesCutOff": stamp,
                        "longFuturesCutOff": stamp,
                    }
                )
            table[symbol] = rows
        return table

    def contract_info(self, conid: int) -> dict[str, Any]:
        listed = self.contract(conid)
        info: dict[str, Any] = {
            "cfi_code": "",
            "symbol": listed.symbol,
            "cusip": None,
            "expiry_full": None,
            "con_id": conid,
            "maturity_date": listed.expiry.strftime("%Y%m%d") if listed.expiry else None,
            "industry": None,
            "instrument_type": listed.sec_type,
            "trading_class": listed.trading_class,
            "valid_exchanges": listed.exchange,
            "allow_sell_long": False,
            "is_zero_commission_security": False,
            "local_symbol": listed.local_symbol,
            "contract_clarification_type": None,
            "classifier": None,
            "currency": "USD",
            "text": None,
            "underlying_con_id": listed.underlying_conid or 0,
            "r_t_h": True,
            "multiplier": None
            if listed.sec_type in ("STK", "IND")
            else format(listed.multiplier.normalize(), "f"),
            "underlying_issuer": None,
            "contract_month": listed.contract_month.strftime("%Y%m") if listed.contract_month else None,
            "company_name": listed.company,
            "smart_available": listed.sec_type in ("STK", "OPT"),
            "exchange": listed.exchange,
            "category": None,
        }
        return info

    # ── orders ────────────────────────────────────────────────────────────────────────────────────
    def place(self, account: str, body: Any) -> Any:
        self.require_accounts()
        tickets = self._tickets(account, body)
        if self.reject_next_place is not None:
            reason, self.reject_next_place = self.reject_next_place, None
            return {"error": reason}
        refused = self._refuse(account, tickets)
        if refused is not None:
            return {"error": refused}
        if self.questions:
            return self._ask(PendingPlace(account, tickets, list(self.questions)))
        return self._accept(account, tickets)

    def reply(self, reply_id: str, body: Any) -> Any:
        self.require_accounts()
        pending = self.pending.pop(reply_id, None)
        if pending is None:
            raise Refusal(
                503, {"error": "Service Unavailable: reply id not found or timed out", "statusCode": 503}
            )
        if not isinstance(body, dict) or body.get("confirmed") is not True:
            return [{"message": ["Order was not submitted"], "order_status": "Cancelled"}]
        if pending.questions:
            return self._ask(pending)
        refused = self._refuse(pending.account, pending.orders)  # a cOID may have been used meanwhile
        if refused is not None:
            return {"error": refused}
        return self._accept(pending.account, pending.orders)

    def _ask(self, pending: PendingPlace) -> list[dict[str, Any]]:
        message_id, text = pending.questions.pop(0)
        reply_id = str(uuid.uuid4())
        self.pending[reply_id] = pending
        words = text.format(order=order_words(self.contract, pending.orders[0]))
        return [{"id": reply_id, "message": [words], "isSuppressed": False, "messageIds": [message_id]}]

    def _tickets(self, account: str, body: Any) -> list[dict[str, Any]]:
        if account not in self.accounts:
            raise Refusal(400, {"error": f"Bad Request: account {account} is not valid", "statusCode": 400})
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list) or not body["orders"]:
            raise Refusal(400, {"error": 'Bad Request: body must be {"orders": [...]}', "statusCode": 400})
        tickets = body["orders"]
        for ticket in tickets:
            if not isinstance(ticket, dict):
                raise Refusal(400, {"error": "Bad Request: an order must be an object", "statusCode": 400})
            if ("conid" in ticket) == ("conidex" in ticket):
                raise Refusal(
                    400, {"error": "Bad Request: exactly one of conid and conidex", "statusCode": 400}
                )
            if ticket.get("orderType") not in ORDER_TYPES:
                raise Refusal(
                    400, {"error": f"Bad Request: orderType {ticket.get('orderType')!r}", "statusCode": 400}
                )
            if ticket.get("side") not in ("BUY", "SELL"):
                raise Refusal(400, {"error": f"Bad Request: side {ticket.get('side')!r}", "statusCode": 400})
        checked: list[dict[str, Any]] = tickets
        return checked

    def _legs(self, ticket: dict[str, Any]) -> list[tuple[int, int]]:
        if "conid" in ticket:
            return [(int(ticket["conid"]), 1 if ticket["side"] == "BUY" else -1)]
        spread, _, legs = str(ticket["conidex"]).partition(";;;")
        if int(spread.split("@")[0]) != SPREAD_CONID:
            raise ValueError(f"unknown spread conid {spread}")
        found = []
        for part in legs.split(","):
            conid, _, ratio = part.partition("/")
            found.append((int(conid), int(ratio)))
        return found

    def _refuse(self, account: str, tickets: list[dict[str, Any]]) -> str | None:
        """IBKR's business refusals, answered with HTTP 200 and `{"error": …}`."""
        for ticket in tickets:
            c_oid = ticket.get("cOID")
            if c_oid and any(o.c_oid == c_oid for o in self.orders.values()):
                return f"Order couldn't be submitted: Local order ID={c_oid} is already registered."
            try:
                legs = self._legs(ticket)
                contracts = [self.contract(conid) for conid, _ in legs]
            except (KeyError, ValueError) as exc:
                return f"Invalid contract: {exc}"
            quantity = Decimal(str(ticket.get("quantity", 0)))
            if quantity <= 0:
                return "The order size must be positive"
            if ticket["orderType"] in ("LMT", "STOP_LIMIT", "TRAILLMT") and ticket.get("price") is None:
                return "Limit price is required for a limit order"
            futures = any(c.sec_type in ("FUT", "FOP") for c in contracts)
            if futures and (ticket.get("manualIndicator") is None or not ticket.get("extOperator")):
                return (
                    "Order couldn't be submitted: manualIndicator and extOperator are required for "
                    "futures (CME Rule 536-B)"
                )
            if ticket["orderType"] in ("MOC", "LOC") and any(c.sec_type != "STK" for c in contracts):
                return "Order type MOC is not supported for this contract"
            if ticket.get("acctId") not in (None, account):
                return f"Account {ticket.get('acctId')} does not match {account}"
        return None

    def _accept(self, account: str, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answers = []
        for ticket in tickets:
            order_id = self._next_order_id
            self._next_order_id += 1
            price = ticket.get("price")
            self.orders[order_id] = FakeOrder(
                order_id=order_id,
                account=account,
                c_oid=ticket.get("cOID"),
                legs=self._legs(ticket),
                conidex=ticket.get("conidex"),
                side=ticket["side"],
                quantity=Decimal(str(ticket["quantity"])),
                order_type=ticket["orderType"],
                price=Decimal(str(price)) if price is not None else None,
                tif=ticket.get("tif", "DAY"),
                placed_at=self._wall(),
            )
            answers.append(
                {"order_id": str(order_id), "order_status": "PreSubmitted", "encrypt_message": "1"}
            )
        return answers

    def advance(self, order_id: int) -> None:
        order = self.orders[order_id]
        if order.status == "PreSubmitted":
            order.status = "Submitted"

    def fill(
        self, order_id: int, quantity: Decimal | int | str | None = None, price: Decimal | str | None = None
    ) -> None:
        """Fill `quantity` units (combos for a combo; all that remains by default) at `price` (per
        combo, signed as IBKR's combo price; the limit or the market by default)."""
        order = self.orders[order_id]
        units = Decimal(str(quantity)) if quantity is not None else order.remaining
        if units <= 0 or units > order.remaining:
            raise ValueError(f"order {order_id} has {order.remaining} left, cannot fill {units}")
        marks = {conid: self.mark(conid).last for conid, _ in order.legs}
        if order.combo:
            combo_price = (
                Decimal(str(price))
                if price is not None
                else (
                    order.price
                    if order.price is not None
                    else sum((r * marks[c] for c, r in order.legs), Decimal(0))
                )
            )
            # Leg prices at their marks, the first leg moved so the legs add up to the combo price.
            first, ratio = order.legs[0]
            rest = sum((r * marks[c] for c, r in order.legs[1:]), Decimal(0))
            marks[first] = max((combo_price - rest) / ratio, Decimal("0.01"))
        else:
            conid = order.legs[0][0]
            marks[conid] = Decimal(str(price)) if price is not None else (order.price or marks[conid])
            combo_price = marks[conid]
        now = self._wall()
        for conid, ratio in order.legs:
            size = units * abs(ratio)
            self._execute(order, conid, size, marks[conid], "B" if ratio > 0 else "S", now)
        done = order.filled
        order.filled += units
        order.average_price = (
            (order.average_price or Decimal(0)) * done + combo_price * units
        ) / order.filled
        order.status = "Filled" if order.filled >= order.quantity else "Submitted"
        order.last_execution = now

    def _execute(
        self, order: FakeOrder, conid: int, size: Decimal, price: Decimal, side: str, now: datetime
    ) -> None:
        listed = self.contract(conid)
        self._executions_made += 1
        commission = commission_for(listed, size)
        signed = size if side == "B" else -size
        holdings = self.holdings.setdefault(order.account, {})
        held = holdings.get(conid)
        if held is None:
            holdings[conid] = Holding(signed, price)
        else:
            new = held.quantity + signed
            if new == 0:
                del holdings[conid]
            elif (held.quantity > 0) == (signed > 0):
                held.average_price = (held.average_price * held.quantity + price * signed) / new
                held.quantity = new
            else:
                held.quantity = new
        self.cash[order.account] = (
            self.cash.get(order.account, Decimal(0)) - signed * price * listed.multiplier - commission
        )
        self.executions.append(
            {
                "execution_id": f"0000{order.order_id % 0xFFFF:04x}.{self._executions_made:08x}.01.01",
                "symbol": listed.symbol,
                "supports_tax_opt": "1",
                "side": side,
                "order_description": f"{verb(side)} {plain(size)} @ {plain(price)} on {listed.exchange}",
                "trade_time": now.strftime("%Y%m%d-%H:%M:%S"),
                "trade_time_r": int(now.timestamp() * 1000),
                "size": float(size),
                "price": plain(price),
                "order_ref": order.c_oid,
                "submitter": "user1234",
                "exchange": listed.exchange,
                "commission": plain(commission),
                "net_amount": float(size * price * listed.multiplier),
                "account": order.account,
                "accountCode": order.account,
                "account_allocation_name": order.account,
                "company_name": listed.company,
                "contract_description_1": listed.symbol,
                "contract_description_2": full_name(listed) if listed.sec_type in ("OPT", "FOP") else None,
                "sec_type": listed.sec_type,
                "listing_exchange": listed.exchange,
                "conid": conid,
                "conidEx": str(conid),
                "clearing_id": "IB",
                "clearing_name": "IB",
                "liquidation_trade": "0",
                "is_event_trading": "0",
            }
        )

    def cancel(
        self, account: str, order_id: int, *, manual_indicator: bool, operator: str | None
    ) -> dict[str, Any]:
        self.require_accounts()
        order = self.orders.get(order_id)
        if order is None or order.account != account:
            return {"error": f"OrderID {order_id} doesn't exist"}
        if order.status in ("Filled", "Cancelled", "Inactive"):
            return {"error": f"OrderID {order_id} cannot be cancelled: it is {order.status}"}
        if any(self.contract(c).sec_type in ("FUT", "FOP") for c, _ in order.legs) and not (
            manual_indicator and operator
        ):
            return {"error": "manualIndicator and extOperator are required to cancel a futures order"}
        order.status = "Cancelled"
        order.reason = "Cancelled by user"
        return {
            "msg": "Request was submitted",
            "order_id": order_id,
            "conid": order.legs[0][0],
            "account": account,
        }

    def _progress(self, order: FakeOrder) -> None:
        if not self.auto_fill:
            return
        if order.status == "PreSubmitted":
            order.status = "Submitted"
        elif order.status == "Submitted" and order.remaining > 0:
            self.fill(order.order_id)

    def live_orders(self, force: bool) -> dict[str, Any]:
        self.require_accounts()
        if force:
            return {"orders": [], "snapshot": True}
        if not self.session.live_orders_primed:  # IBKR: the first call of a session answers empty
            self.session.live_orders_primed = True
            return {"orders": [], "snapshot": False}
        for order in list(self.orders.values()):
            self._progress(order)
        return {"orders": [live_order(self.contract, o) for o in self.orders.values()], "snapshot": True}

    def order_status(self, order_id: int) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise Refusal(503, {"error": "Service Unavailable", "statusCode": 503})
        self._progress(order)
        return order_status(self.contract, order)

    def trades(self, days: int, account: str | None) -> list[dict[str, Any]]:
        cutoff = self._wall().timestamp() * 1000 - max(1, min(days, 7)) * 86_400_000
        return [
            e for e in self.executions if e["trade_time_r"] >= cutoff and account in (None, e["accountCode"])
        ]

    def whatif(self, account: str, body: Any) -> Any:
        self.require_accounts()
        tickets = self._tickets(account, body)
        refused = self._refuse(account, [{**t, "cOID": None} for t in tickets])
        if self.reject_next_whatif is not None:
            refused, self.reject_next_whatif = self.reject_next_whatif, None
        if refused is not None:
            return {"error": refused}
        ticket = tickets[0]
        legs = self._legs(ticket)
        units = Decimal(str(ticket["quantity"]))
        initial, maintenance = self.margin(account)
        change = sum((self._leg_margin(c, r * units) for c, r in legs), Decimal(0))
        commission = sum((commission_for(self.contract(c), abs(r) * units) for c, r in legs), Decimal(0))
        contracts = [self.contract(c) for c, _ in legs]
        notional = sum(
            (abs(r) * units * self.mark(c).last * self.contract(c).multiplier for c, r in legs), Decimal(0)
        )
        kind = "Shares" if all(c.sec_type == "STK" for c in contracts) else "Contracts"
        net = Decimal(str(self.summary(account)["netliquidation"]["amount"]))
        streamed = all(c in self.session.streams for c, _ in legs)
        return {
            "amount": {
                "amount": f"{grouped(notional, 2)} USD ({plain(units)} {kind})",
                "commission": f"{grouped(commission, 2)} USD",
                "total": f"{grouped(notional + commission, 2)} USD",
            },
            "equity": {
                "current": grouped(net, 0),
                "change": grouped(-commission, 0),
                "after": grouped(net - commission, 0),
            },
            "initial": {
                "current": grouped(initial, 0),
                "change": grouped(change * Decimal("1.1"), 0),
                "after": grouped(initial + change * Decimal("1.1"), 0),
            },
            "maintenance": {
                "current": grouped(maintenance, 0),
                "change": grouped(change, 0),
                "after": grouped(maintenance + change, 0),
            },
            "position": {"current": "0", "change": plain(units), "after": plain(units)},
            "warn": None if streamed else MARKET_DATA_WARNING,
            "error": None,
        }
