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


class ServeFailed(DeskError):
    """The HTTP server could not start (the port is taken, the address does not exist) or died."""

    code = "serve_failed"
