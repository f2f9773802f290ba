"""The JSON API's response bodies. They are the API's contract, kept apart from the bus's events
so that a bus schema change is a visible change here, not a silent one in the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deltadesk.gateway.domain.blotter import OrderEntry
from deltadesk.gateway.domain.combo import ComboPrices
from deltadesk.shared.commands import TradingStateView
from deltadesk.shared.events import RiskUpdated, TradingState, TradingStateChanged
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import MAX_LEGS, Contract, ContractQuote, LegSpec
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks, RiskStatus, WeightedPosition
from deltadesk.shared.positions import Greeks


class ErrorBody(BaseModel):
    """Every 4xx: a stable code for programs and a reason for people."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable machine-readable error code, e.g. `no_risk_yet`.")
    reason: str = Field(description="What was wrong, for a person.")


ERROR_DESCRIPTIONS = {
    401: "Not logged in.",
    403: "The CSRF token is missing or wrong.",
    404: "No such order or account.",
    409: "The order's state does not allow it (not simulated, already approved, expired, halted).",
    422: "The request is invalid; the reason names the field.",
    429: "Too many failed logins from this client: wait (see Retry-After).",
    502: "A peer answered with an error of its own.",
    503: "Execution, market-data or the bus did not answer in time (or the gateway has no signing key).",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route's refusals: each an ErrorBody."""
    return {code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


class Portfolio(BaseModel):
    """One account's risk as risk last published it (`total`: all accounts together)."""

    model_config = ConfigDict(frozen=True)

    account: str
    status: RiskStatus = Field(description="`halted`: no Greeks were aggregated; `halt_reason` says why.")
    halt_reason: str | None
    updated_at: AwareDatetime = Field(description="When risk computed these numbers.")
    age_s: float = Field(description="Seconds between `updated_at` and this response.")
    stale: bool = Field(description="True when `age_s` exceeds the gateway's stale threshold.")
    greeks: PortfolioGreeks | None = Field(
        description="SPX-equivalent delta, gamma, theta ($/day), vega ($/vol pt), by underlying; "
        "null while halted."
    )
    positions: tuple[WeightedPosition, ...]
    breaches: tuple[ActiveBreach, ...]
    warnings: tuple[str, ...]
    spx_price: float | None
    vix: float | None
    regime: str | None
    net_liquidation: Decimal | None
    positions_as_of: AwareDatetime | None
    accounts: tuple[str, ...] = Field(description="For `total`: the accounts it sums.")

    @classmethod
    def from_risk(cls, risk: RiskUpdated, *, now: datetime, stale_after_s: float) -> Portfolio:
        age_s = (now - risk.occurred_at).total_seconds()
        return cls(
            account=risk.account,
            status=risk.status,
            halt_reason=risk.halt_reason,
            updated_at=risk.occurred_at,
            age_s=age_s,
            stale=age_s > stale_after_s,
            greeks=None if risk.status is RiskStatus.HALTED else risk.greeks,
            positions=risk.positions,
            breaches=risk.breaches,
            warnings=risk.warnings,
            spx_price=risk.spx_price,
            vix=risk.vix,
            regime=risk.regime,
            net_liquidation=risk.net_liquidation,
            positions_as_of=risk.positions_as_of,
            accounts=risk.accounts,
        )


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok"] = "ok"
    service: Literal["gateway"] = "gateway"
    accounts: tuple[str, ...] = Field(description="Accounts the gateway has heard of, `total` first.")
    accounts_with_risk: int = Field(description="How many of them have risk published.")
    stream_clients: int = Field(description="Open /api/stream connections.")


# ── logging in ──────────────────────────────────────────────────────────────────────────────────
class SessionInfo(BaseModel):
    """The logged-in session: send `csrf_token` as `X-CSRF-Token` with every state-changing request."""

    model_config = ConfigDict(frozen=True)

    user: str
    csrf_token: str
    expires_at: AwareDatetime = Field(description="The login's absolute end; inactivity ends it sooner.")


# ── the order path ──────────────────────────────────────────────────────────────────────────────
class ApproveBody(BaseModel):
    """The trader's approval of the simulation they reviewed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    simulation_id: UUID = Field(description="The simulation the trader reviewed: the order's latest.")
    order_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="The reviewed simulation's `order_hash`.")
    confirm: bool = Field(description='True only when the trader ticked "I confirm this order".')


class ApprovalSent(BaseModel):
    """The signed approval went to execution, which verifies it again and then transmits the order;
    follow the order's state on GET /api/orders/{id} or the stream's `order` events."""

    model_config = ConfigDict(frozen=True)

    approval_id: UUID
    order_id: UUID
    simulation_id: UUID
    order_hash: str
    user: str
    issued_at: AwareDatetime
    expires_at: AwareDatetime


class OrderList(BaseModel):
    model_config = ConfigDict(frozen=True)

    orders: tuple[OrderEntry, ...] = Field(description="Newest first.")


class KillSwitchBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    engaged: bool = Field(description="True halts all transmission (HALTED); false releases it (ACTIVE).")
    reason: str | None = Field(default=None, max_length=500, description="Why; kept with the state change.")


class TradingStatus(BaseModel):
    """The desk's trading state as execution last published it; `state` is null before it has."""

    model_config = ConfigDict(frozen=True)

    state: TradingState | None
    reason: str | None = None
    changed_by: str | None = None
    changed_at: AwareDatetime | None = None

    @classmethod
    def from_view(cls, view: TradingStateView) -> TradingStatus:
        return cls(
            state=view.state, reason=view.reason, changed_by=view.changed_by, changed_at=view.changed_at
        )

    @classmethod
    def from_event(cls, event: TradingStateChanged | None) -> TradingStatus:
        if event is None:
            return cls(state=None)
        return cls(
            state=event.state, reason=event.reason, changed_by=event.changed_by, changed_at=event.occurred_at
        )


# ── quotes and chains for the order builder ─────────────────────────────────────────────────────
class LegQuotesBody(BaseModel):
    """The builder's legs (only complete ones) at an account's broker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str = Field(min_length=1, max_length=64)
    legs: tuple[LegSpec, ...] = Field(min_length=1, max_length=MAX_LEGS)


class LegQuote(BaseModel):
    """One leg's market: the contract it resolved to (futures: the front month), bid/ask/last/mid."""

    model_config = ConfigDict(frozen=True)

    contract: Contract
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    mid: Decimal | None
    greeks: Greeks | None
    iv: float | None
    underlying_price: float | None
    as_of: AwareDatetime

    @classmethod
    def from_quote(cls, quote: ContractQuote) -> LegQuote:
        return cls(
            contract=quote.contract,
            bid=quote.bid,
            ask=quote.ask,
            last=quote.last,
            mid=quote.mid,
            greeks=quote.greeks,
            iv=quote.iv,
            underlying_price=quote.underlying_price,
            as_of=quote.as_of,
        )


class LegQuotesOut(BaseModel):
    """One entry per leg asked, in order: its quote or why there is none; and the combo's prices."""

    model_config = ConfigDict(frozen=True)

    quotes: tuple[LegQuote | None, ...]
    errors: tuple[str | None, ...]
    combo: ComboPrices = Field(
        description="Natural and mid per combo: + debit, − credit (null when unpriced)."
    )


class ExpiriesOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: str
    underlying: str
    instrument: InstrumentType
    expiries: tuple[date, ...]
