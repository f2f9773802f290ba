"""The desk's error hierarchy: every error carries a stable machine code and a reason for people.

    DeskError
     ├── DomainError              a business rule said no (bad input, a limit, an illegal transition)
     │    ├── InvalidMarketData   a price or Greek that cannot be used (SPX ≤ 0, stale quote, …)
     │    ├── InvalidSubjectToken a subject token that would change the subject's shape
     │    └── UnauthorizedPublisher a service publishing a subject the catalog does not allow it
     ├── BrokerError              the broker could not do what was asked
     │    ├── BrokerUnavailable   down, timed out before sending, 5xx, not authenticated
     │    ├── BrokerRejected      the broker answered and said no; the reason is the broker's
     │    └── OrderStateUnknown   the request may or may not have reached the broker
     ├── PeerUnavailable          nobody answered a request on the bus in time
     │    ├── NoResponder         nobody listens: the request reached no one
     │    ├── NoAnswer            sent, but no answer in time: it may have been handled
     │    └── BusClosed           this process's connection is closed: not sent
     └── RemoteError              a request/reply peer answered with an error (code and reason kept)

Adapters map their library's errors into this tree in one place, with ``raise … from exc``.
"""

from __future__ import annotations

from typing import ClassVar


class DeskError(Exception):
    """Base of every deltadesk error. `code` is stable for machines; the message is for people."""

    code: ClassVar[str] = "desk_error"

    @property
    def reason(self) -> str:
        return str(self)


class DomainError(DeskError):
    """A business rule said no."""

    code = "domain_error"


class InvalidMarketData(DomainError):
    code = "invalid_market_data"


class InvalidSubjectToken(DomainError):
    code = "invalid_subject_token"


class UnauthorizedPublisher(DomainError):
    code = "unauthorized_publisher"


class BrokerError(DeskError):
    code = "broker_error"


class BrokerUnavailable(BrokerError):
    code = "broker_unavailable"


class BrokerRejected(BrokerError):
    code = "broker_rejected"


class OrderStateUnknown(BrokerError):
    code = "order_state_unknown"


class RemoteError(DeskError):
    """An error reply from a request/reply peer. Keeps the peer's code instead of the class default."""

    code = "remote_error"

    def __init__(self, remote_code: str, reason: str) -> None:
        super().__init__(reason)
        self.remote_code = remote_code


class PeerUnavailable(DeskError):
    """Nobody answered a request on the bus: no responder, or no answer within the timeout."""

    code = "peer_unavailable"


class NoResponder(PeerUnavailable):
    """Nobody listens on the subject: the request reached no one (safe to say it was not handled)."""


class NoAnswer(PeerUnavailable):
    """The request went out but no answer came in time: it may or may not have been handled."""


class BusClosed(PeerUnavailable):
    """This process's bus connection is closed: the request was not sent."""


ERRORS_BY_CODE: dict[str, type[DeskError]] = {
    cls.code: cls
    for cls in (
        DomainError,
        InvalidMarketData,
        InvalidSubjectToken,
        UnauthorizedPublisher,
        BrokerError,
        BrokerUnavailable,
        BrokerRejected,
        OrderStateUnknown,
        PeerUnavailable,
    )
}


def error_from_code(code: str, reason: str) -> DeskError:
    """Rebuild an error received over the bus: a known code gives its class back, else RemoteError."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        return RemoteError(code, reason)
    return cls(reason)
