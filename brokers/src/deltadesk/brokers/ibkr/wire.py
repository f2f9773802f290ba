"""The Client Portal gateway's JSON, as pydantic models: only the fields the adapter reads.

Types drift between IBKR's documentation versions and endpoints (a conid is a string in
`/iserver/secdef/search` and an int elsewhere; `strike` is `"440"` or `0.0`; quantities are floats
or strings), so every model here is lax: unknown fields are ignored, numbers are accepted as
int, float or string, and money goes through `str` into `Decimal` so a float never leaves binary
noise behind. Nothing outside the `ibkr` package sees these models.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from deltadesk.shared.errors import BrokerUnavailable


def _lax_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _lax_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _lax_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


LaxDecimal = Annotated[Decimal | None, BeforeValidator(_lax_decimal)]
LaxInt = Annotated[int | None, BeforeValidator(_lax_int)]
LaxStr = Annotated[str | None, BeforeValidator(_lax_str)]
Conid = Annotated[int, BeforeValidator(_lax_int)]


class Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


# ── session ───────────────────────────────────────────────────────────────────────────────────────
class AuthStatus(Wire):
    """`POST /iserver/auth/status` (and `ssodh/init`, and `iserver.authStatus` inside a tickle)."""

    authenticated: bool = False
    competing: bool = False
    connected: bool = False
    message: LaxStr = None
    fail: LaxStr = None

    @property
    def healthy(self) -> bool:
        return self.authenticated and self.connected and not self.competing


class TickleIserver(Wire):
    auth_status: AuthStatus | None = Field(default=None, alias="authStatus")


class Tickle(Wire):
    """`POST /tickle`: note IBKR's own spelling `collission`."""

    session: LaxStr = None
    sso_expires: LaxInt = Field(default=None, alias="ssoExpires")
    iserver: TickleIserver | None = None


class BrokerageAccounts(Wire):
    """`GET /iserver/accounts`: the pre-flight of every /iserver call."""

    accounts: list[str] = []
    selected_account: LaxStr = Field(default=None, alias="selectedAccount")


class PortfolioAccount(Wire):
    id: LaxStr = None
    account_id: LaxStr = Field(default=None, alias="accountId")
    currency: LaxStr = None


# ── portfolio ─────────────────────────────────────────────────────────────────────────────────────
class PositionRow(Wire):
    """One row of `GET /portfolio/{accountId}/positions/{pageId}` (no Greeks: those come from a snapshot)."""

    acct_id: LaxStr = Field(default=None, alias="acctId")
    conid: Conid
    contract_desc: str = Field(default="", alias="contractDesc")
    position: LaxDecimal = None
    mkt_price: LaxDecimal = Field(default=None, alias="mktPrice")
    mkt_value: LaxDecimal = Field(default=None, alias="mktValue")
    currency: LaxStr = None
    avg_cost: LaxDecimal = Field(default=None, alias="avgCost")
    avg_price: LaxDecimal = Field(default=None, alias="avgPrice")
    asset_class: str = Field(default="", alias="assetClass")
    expiry: LaxStr = None
    last_trading_day: LaxStr = Field(default=None, alias="lastTradingDay")
    put_or_call: LaxStr = Field(default=None, alias="putOrCall")
    strike: LaxDecimal = None
    multiplier: LaxDecimal = None
    und_conid: LaxInt = Field(default=None, alias="undConid")
    und_sym: LaxStr = Field(default=None, alias="undSym")
    ticker: LaxStr = None
    full_name: LaxStr = Field(default=None, alias="fullName")
    type: LaxStr = None
    page_size: LaxInt = Field(default=None, alias="pageSize")


class SummaryValue(Wire):
    """One key of `GET /portfolio/{accountId}/summary`: money in `amount`, text in `value`."""

    amount: LaxDecimal = None
    currency: LaxStr = None
    is_null: bool | None = Field(default=None, alias="isNull")
    value: LaxStr = None
    timestamp: LaxInt = None


# ── contracts ─────────────────────────────────────────────────────────────────────────────────────
class SearchSection(Wire):
    sec_type: str = Field(default="", alias="secType")
    months: LaxStr = None
    exchange: LaxStr = None


class SearchEntry(Wire):
    """One result of `GET /iserver/secdef/search` (its conid is a string on the wire)."""

    conid: Conid
    symbol: LaxStr = None
    company_name: LaxStr = Field(default=None, alias="companyName")
    company_header: LaxStr = Field(default=None, alias="companyHeader")
    description: LaxStr = None
    restricted: LaxStr = None
    sections: list[SearchSection] = []

    def section(self, sec_type: str) -> SearchSection | None:
        return next((s for s in self.sections if s.sec_type == sec_type), None)


class Strikes(Wire):
    """`GET /iserver/secdef/strikes`: candidate strikes, validated later by `/secdef/info`."""

    call: list[Decimal] = []
    put: list[Decimal] = []


class SecdefInfoRow(Wire):
    """One row of `GET /iserver/secdef/info`: one per expiry in the month (and per right)."""

    conid: Conid
    symbol: LaxStr = None
    sec_type: LaxStr = Field(default=None, alias="secType")
    exchange: LaxStr = None
    right: LaxStr = None
    strike: LaxDecimal = None
    maturity_date: LaxStr = Field(default=None, alias="maturityDate")
    multiplier: LaxDecimal = None
    trading_class: LaxStr = Field(default=None, alias="tradingClass")
    desc2: LaxStr = None


class FutureRow(Wire):
    """One contract of `GET /trsrv/futures?symbols=…` (dates are ints YYYYMMDD)."""

    symbol: LaxStr = None
    conid: Conid
    underlying_conid: LaxInt = Field(default=None, alias="underlyingConid")
    expiration_date: LaxInt = Field(default=None, alias="expirationDate")
    ltd: LaxInt = None


class ContractInfo(Wire):
    """`GET /iserver/contract/{conid}/info` (snake_case, unlike most of the API)."""

    con_id: Conid
    symbol: LaxStr = None
    instrument_type: LaxStr = None
    local_symbol: LaxStr = None
    multiplier: LaxDecimal = None
    maturity_date: LaxStr = None
    contract_month: LaxStr = None
    trading_class: LaxStr = None
    underlying_con_id: LaxInt = None
    exchange: LaxStr = None
    currency: LaxStr = None
    company_name: LaxStr = None


# ── orders ────────────────────────────────────────────────────────────────────────────────────────
class OrderQuestion(Wire):
    """A reply message: the order waits until `/iserver/reply/{id}` confirms it. Not a rejection."""

    id: str
    message: list[str] = []
    message_ids: list[str] = Field(default=[], alias="messageIds")
    is_suppressed: bool | None = Field(default=None, alias="isSuppressed")


class OrderAccepted(Wire):
    """An accepted order: `order_id` is a string here, an int in live orders."""

    order_id: Annotated[str, BeforeValidator(str)]
    order_status: LaxStr = None
    encrypt_message: LaxStr = None


class WhatIfChange(Wire):
    current: LaxStr = None
    change: LaxStr = None
    after: LaxStr = None


class WhatIfAmount(Wire):
    amount: LaxStr = None
    commission: LaxStr = None
    total: LaxStr = None


class WhatIfResponse(Wire):
    """`POST /iserver/account/{accountId}/orders/whatif`: every figure a display string."""

    amount: WhatIfAmount | None = None
    equity: WhatIfChange | None = None
    initial: WhatIfChange | None = None
    maintenance: WhatIfChange | None = None
    position: WhatIfChange | None = None
    warn: LaxStr = None
    error: LaxStr = None


class LiveOrder(Wire):
    """One order of `GET /iserver/account/orders` (quantities floats or strings by doc version)."""

    acct: LaxStr = None
    account: LaxStr = None
    conid: LaxInt = None
    conidex: LaxStr = None
    order_id: Conid = Field(alias="orderId")
    status: str = ""
    filled_quantity: LaxDecimal = Field(default=None, alias="filledQuantity")
    remaining_quantity: LaxDecimal = Field(default=None, alias="remainingQuantity")
    total_size: LaxDecimal = Field(default=None, alias="totalSize")
    avg_price: LaxDecimal = Field(default=None, alias="avgPrice")
    price: LaxDecimal = None
    side: LaxStr = None
    order_ref: LaxStr = None
    ticker: LaxStr = None
    sec_type: LaxStr = Field(default=None, alias="secType")
    order_type: LaxStr = Field(default=None, alias="orderType")
    last_execution_time_r: LaxInt = Field(default=None, alias="lastExecutionTime_r")
    cancellation_reason: LaxStr = Field(default=None, alias="order_cancellation_by_system_reason")


class LiveOrders(Wire):
    orders: list[LiveOrder] = []
    snapshot: bool | None = None


class OrderStatusWire(Wire):
    """`GET /iserver/account/order/status/{orderId}`: snake_case, mostly strings."""

    order_id: Conid
    conid: LaxInt = None
    conidex: LaxStr = None
    symbol: LaxStr = None
    side: LaxStr = None
    size: LaxDecimal = None
    total_size: LaxDecimal = None
    cum_fill: LaxDecimal = None
    average_price: LaxDecimal = None
    order_status: str = ""
    order_status_description: LaxStr = None
    order_type: LaxStr = None
    limit_price: LaxDecimal = None
    account: LaxStr = None
    sec_type: LaxStr = None
    order_ref: LaxStr = None
    order_time: LaxStr = None


class TradeRow(Wire):
    """One execution of `GET /iserver/account/trades` (`side` is B/S; `order_ref` is our cOID)."""

    execution_id: str
    symbol: LaxStr = None
    side: str
    size: LaxDecimal = None
    price: LaxDecimal = None
    order_ref: LaxStr = None
    commission: LaxDecimal = None
    trade_time: LaxStr = None
    trade_time_r: LaxInt = None
    account: LaxStr = None
    account_code: LaxStr = Field(default=None, alias="accountCode")
    conid: LaxInt = None
    conid_ex: LaxStr = Field(default=None, alias="conidEx")
    sec_type: LaxStr = None
    order_id: LaxInt = None  # not in IBKR's example; read when a build sends it


class CancelAnswer(Wire):
    """`DELETE /iserver/account/{accountId}/order/{orderId}`: an acknowledgement, not a confirmation."""

    msg: LaxStr = None
    order_id: LaxInt = None
    conid: LaxInt = None
    account: LaxStr = None
    error: LaxStr = None


POSITIONS = TypeAdapter(list[PositionRow])
SUMMARY = TypeAdapter(dict[str, Any])
SEARCH = TypeAdapter(list[SearchEntry])
SECDEF_INFO = TypeAdapter(list[SecdefInfoRow])
FUTURES = TypeAdapter(dict[str, list[FutureRow]])
PORTFOLIO_ACCOUNTS = TypeAdapter(list[PortfolioAccount])
TRADES = TypeAdapter(list[TradeRow])
SNAPSHOT = TypeAdapter(list[dict[str, Any]])


def parse(kind: type[Wire] | TypeAdapter[Any], data: Any, what: str) -> Any:
    """Validate a gateway answer into its wire model. An answer in an unexpected shape is an
    outage of the gateway (BrokerUnavailable), never a crash of the caller."""
    try:
        if isinstance(kind, TypeAdapter):
            return kind.validate_python(data)
        return kind.model_validate(data)
    except ValidationError as exc:
        raise BrokerUnavailable(
            f"IBKR answered the {what} in an unexpected shape: {exc.errors()[:1]}"
        ) from exc
