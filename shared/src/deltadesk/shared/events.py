"""The facts services publish: what a broker reported, what risk computed, what went wrong."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, model_validator

from deltadesk.shared.balances import Balances
from deltadesk.shared.messages import Event
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
