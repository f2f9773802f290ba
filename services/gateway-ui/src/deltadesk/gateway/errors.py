"""Why the gateway refuses a request: each error has a stable code; the API maps it to an HTTP status."""

from __future__ import annotations

from deltadesk.shared.errors import DeskError, DomainError


class GatewayError(DomainError):
    code = "gateway_error"


class InvalidAccount(GatewayError):
    """The account token cannot be an account: empty, too long, or holding . * > or whitespace."""

    code = "invalid_account"


class UnknownAccount(GatewayError):
    """No message on the bus has named this account."""

    code = "unknown_account"


class NoRiskYet(GatewayError):
    """The account is known (e.g. from its broker status) but risk has not published its Greeks yet."""

    code = "no_risk_yet"


class InvalidFilter(GatewayError):
    """A journal or history filter that cannot be asked for: the reason starts with the field's name."""

    code = "invalid_filter"


class ServeFailed(DeskError):
    """The HTTP server could not start (the port is taken, the address does not exist) or died."""

    code = "serve_failed"


# ── logging in ──────────────────────────────────────────────────────────────────────────────────
class NotLoggedIn(GatewayError):
    """No session, or it expired: log in first."""

    code = "not_logged_in"


class CsrfRejected(GatewayError):
    """A state-changing request without the session's CSRF token."""

    code = "csrf_rejected"


class StartRefused(DeskError):
    """The gateway will not start as configured (e.g. exposed beyond loopback without a set password)."""

    code = "start_refused"


# ── the order path ──────────────────────────────────────────────────────────────────────────────
class ApprovalRefused(GatewayError):
    """The gateway will not sign an approval for this order as it stands."""

    code = "approval_refused"


class ConfirmationMissing(ApprovalRefused):
    code = "confirmation_required"


class NotSimulated(ApprovalRefused):
    code = "not_simulated"


class StaleSimulation(ApprovalRefused):
    code = "stale_simulation"


class HashMismatch(ApprovalRefused):
    code = "hash_mismatch"


class OrderChangedAfterSimulation(ApprovalRefused):
    code = "order_changed"


class SimulationExpired(ApprovalRefused):
    code = "simulation_expired"


class AlreadyApproved(ApprovalRefused):
    code = "already_approved"


class OrderClosed(ApprovalRefused):
    code = "order_closed"


class TradingHalted(ApprovalRefused):
    code = "trading_halted"


class SigningUnavailable(GatewayError):
    """The gateway has no approval signing key: it cannot approve anything."""

    code = "signing_unavailable"


class OrderNotFound(GatewayError):
    code = "order_not_found"


class PeerFailed(GatewayError):
    """Another service answered a request with an error of its own (not a refusal of the input)."""

    code = "peer_failed"
