"""Why execution refuses a request, each with a stable code the gateway maps to an HTTP status.

    DeskError
     ├── DomainError
     │    ├── UnknownAccount       no broker serves the account                      (unknown_account)
     │    ├── LegUnresolvable      the broker has no contract for a leg              (leg_unresolvable)
     │    ├── InvalidOrder         the resolved order breaks an order rule           (invalid_order)
     │    ├── InvalidOrderState    the order's state does not allow it               (invalid_order_state)
     │    └── OrderBusy            the order is being transmitted right now          (order_busy)
     ├── SimulationTimedOut        the what-ifs did not answer in time               (simulation_timeout)
     └── RiskUnavailable           risk's what-if failed or risk is halted           (risk_unavailable)

`OrderNotFound` (order_not_found) lives with the store; `LegNotPriced` (leg_not_priced) with the
simulation. Broker errors keep their own codes (broker_unavailable, broker_rejected).
"""

from __future__ import annotations

from typing import ClassVar

from deltadesk.shared.errors import DeskError, DomainError


class UnknownAccount(DomainError):
    code: ClassVar[str] = "unknown_account"


class LegUnresolvable(DomainError):
    code: ClassVar[str] = "leg_unresolvable"


class InvalidOrder(DomainError):
    code: ClassVar[str] = "invalid_order"


class InvalidOrderState(DomainError):
    code: ClassVar[str] = "invalid_order_state"


class OrderBusy(DomainError):
    code: ClassVar[str] = "order_busy"


class SimulationTimedOut(DeskError):
    code: ClassVar[str] = "simulation_timeout"


class RiskUnavailable(DeskError):
    code: ClassVar[str] = "risk_unavailable"
