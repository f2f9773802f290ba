"""The facts services publish: what a broker reported, what risk computed, what went wrong."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, model_validator

from deltadesk.shared.balances import Balances
from deltadesk.shared.messages import Event
from deltadesk.shared.orders import Approval, LegFill, Order, OrderState
from deltadesk.shared.portfolio import ActiveBreach, PortfolioGreeks, RiskStatus, WeightedPosition
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote


class PositionsReported(Event):
    """Every open position of one account, as its broker reported it at `as_of`."""

    account: str
    broker: str
    positions: tuple[Position, ...]
    as_of: AwareDatetime


class BalancesReported(Event):
    account: str
    broker: str
    balances: Balances


class QuotesReported(Event):
    """Quotes from one account's broker feed: every held underlying, plus SPX and VIX."""

    account: str
    broker: str
    quotes: tuple[Quote, ...]


class BrokerState(StrEnum):
    UP = "up"
    DOWN = "down"


class BrokerStatusChanged(Event):
    account: str
    broker: str
    state: BrokerState
    reason: str | None = None
    since: AwareDatetime


class RiskUpdated(Event):
    """The portfolio's risk for one account (or `total`, all accounts together).

    When `status` is halted, `greeks` is None and `halt_reason` says why: the desk shows no number
    rather than a wrong one.
    """

    account: str
    status: RiskStatus
    halt_reason: str | None = None
    greeks: PortfolioGreeks | None
    positions: tuple[WeightedPosition, ...]
    warnings: tuple[str, ...] = ()
    spx_price: float | None
    vix: float | None
    regime: str | None
    net_liquidation: Decimal | None
    positions_as_of: AwareDatetime | None
    breaches: tuple[ActiveBreach, ...] = ()
    accounts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _halted_means_no_number(self) -> RiskUpdated:
        if self.status is RiskStatus.HALTED and (self.greeks is not None or not self.halt_reason):
            raise ValueError("a halted risk update carries a halt_reason and no greeks")
        if self.status is RiskStatus.OK and self.greeks is None:
            raise ValueError("an ok risk update carries greeks")
        return self


class LimitBreached(Event):
    """A limit of risk_matrix.yaml started being breached. Published once, when it starts."""

    account: str
    limit: str
    threshold: float
    actual: float
    regime: str | None
    description: str


class LimitCleared(Event):
    """A breached limit is back within its threshold. Published once, when it clears."""

    account: str
    limit: str
    threshold: float
    actual: float
    regime: str | None
    description: str


class DeadLettered(Event):
    """A message some service could not accept, kept with the reason so nothing is silently lost."""

    subject: str
    service: str
    reason: str
    payload: str
    headers: dict[str, str]


# ── the order path ──────────────────────────────────────────────────────────────────────────────
class TradingState(StrEnum):
    ACTIVE = "ACTIVE"  # orders pass the pre-trade controls as usual
    REDUCING = "REDUCING"  # only orders that reduce exposure pass
    HALTED = "HALTED"  # nothing is transmitted (the kill switch); cancels still go


class ApprovalIssued(Event):
    """The gateway's signed approval of one simulated order. Only the gateway may publish it."""

    account: str
    approval: Approval


class OrderStateChanged(Event):
    """An order moved (DRAFT → SIMULATED → APPROVED → SUBMITTED → FILLED | PARTIAL | REJECTED |
    CANCELLED | UNKNOWN), or its fills progressed. It carries the whole order, so a reader needs
    nothing else; `legs` shows what is filled and what is not (a PARTIAL order's unfilled legs)."""

    account: str
    order: Order
    state: OrderState
    previous_state: OrderState | None = None
    simulation_id: UUID | None = None
    broker_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    legs: tuple[LegFill, ...] = ()
    code: str | None = None
    reason: str | None = None
    confirmations: tuple[str, ...] = ()  # the broker's warnings confirmed when placing, word for word


class FillReceived(Event):
    """A fill with everything the journal keeps: prices per leg, the order's context and the market.

    `fill_id` is unique per broker order: a redelivered fill is the same fill. `legs` holds what this
    fill executed per leg (quantity 0 and no price for a leg it did not reach), so `quantity` in whole
    combos may be 0 for a fill of a single leg of a combo.
    `net_debit_credit` is Σ price × signed quantity × multiplier: positive paid, negative received.
    """

    account: str
    broker: str
    order_id: UUID
    broker_order_id: str
    fill_id: str
    order_state: OrderState  # PARTIAL or FILLED once this fill is counted
    order: Order
    legs: tuple[LegFill, ...]
    quantity: Decimal  # combos in this fill
    net_price: Decimal | None  # per combo, signed
    net_debit_credit: Decimal
    commission: Decimal | None = None
    filled_at: AwareDatetime
    underlying: str
    strategy_tag: str | None = None  # the trader's own tag; the journal recognises one otherwise
    rationale: str = ""
    suggestion_id: UUID | None = None
    ai_rationale: str | None = None
    pre_trade: PortfolioGreeks | None = None
    post_trade: PortfolioGreeks | None = None
    vix: float | None = None
    spx_price: float | None = None
    regime: str | None = None


class OrderDenied(Event):
    """Audit: an approval or order was refused before reaching a broker, with the rule's code
    (NOTIONAL_EXCEEDS_MAX, PRICE_OUTSIDE_COLLAR, APPROVAL_EXPIRED, NONCE_REUSED, …)."""

    account: str
    order_id: UUID | None
    stage: str  # "approval" or "pre_trade"
    code: str
    reason: str


class TradingStateChanged(Event):
    state: TradingState
    reason: str
    changed_by: str


class SnapshotTaken(Event):
    """The journal's snapshot logger ran for an account: when, and whether it failed."""

    account: str
    ok: bool
    error: str | None = None
