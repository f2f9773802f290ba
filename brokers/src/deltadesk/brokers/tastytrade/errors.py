"""Every failure of the tastytrade SDK, its HTTP client and its streamer, mapped in one place.

The SDK turns any non-2xx answer into one catch-all `TastytradeError` whose text has lost the HTTP
status, yet the status decides what a failed order means: a 422 is a definite "no", a 502 after the
order was sent is "we do not know". So the session installs `raise_for_api_error` as an httpx
response hook (a documented httpx extension point): every non-2xx answer raises `ApiError`, with
its status and the API's error codes, before the SDK sees it. Then:

    ApiError 401, 403 (not logged in), 429 (throttled), 5xx       → BrokerUnavailable
    ApiError 400, 404, 409, 422 … (the API answered no)             → BrokerRejected (its messages kept)
    httpx2 transport errors, timeouts; the streamer's disconnects   → BrokerUnavailable
    an answer the SDK's models cannot read; TastytradeError         → BrokerUnavailable

`placement_error` is the same for the one call that may have changed the world, `place`: anything
that may have reached Tastytrade without a definite answer (a read timeout, a dropped connection,
a 5xx or 408, an unreadable 2xx) is OrderStateUnknown, never retried; a connection that was never
made, or a refused token, is BrokerUnavailable; a 4xx answer is BrokerRejected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
from httpx2.websockets import HTTPXWSException
from pydantic import ValidationError
from tastytrade.utils import TastytradeError

from deltadesk.brokers.tastytrade.symbols import UnknownSymbol
from deltadesk.shared.errors import (
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    OrderStateUnknown,
)

TOKEN_PATH = "/oauth/token"
_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.UnsupportedProtocol)
# answers the SDK models (or the desk's symbology) cannot read
_UNREADABLE = (ValidationError, KeyError, json.JSONDecodeError, UnknownSymbol)


@dataclass(frozen=True)
class ApiMessage:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


class ApiError(Exception):
    """A non-2xx answer of the Tastytrade API. Raised by the response hook; never leaves this package
    unmapped."""

    def __init__(self, status: int, method: str, path: str, messages: tuple[ApiMessage, ...]) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.messages = messages
        detail = "; ".join(str(m) for m in messages) or "no details"
        super().__init__(f"HTTP {status} {method} {path}: {detail}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.messages)

    @property
    def detail(self) -> str:
        return "; ".join(str(m) for m in self.messages) or f"HTTP {self.status}"

    @classmethod
    def from_response(cls, response: httpx2.Response) -> ApiError:
        request = response.request
        return cls(response.status_code, request.method, request.url.path, _messages(response))


async def raise_for_api_error(response: httpx2.Response) -> None:
    """httpx response hook: raise ApiError for any answer that is not a success (the websocket
    upgrade's 101 passes)."""
    if response.status_code < 400:
        return
    await response.aread()
    raise ApiError.from_response(response)


def _messages(response: httpx2.Response) -> tuple[ApiMessage, ...]:
    """The API's `{"error": {"code", "message", "errors": [...]}}`, or OAuth's `{"error": "...",
    "error_description": "..."}`, or the first line of whatever else came back."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        return (ApiMessage(f"http_{response.status_code}", text),) if text else ()
    if not isinstance(body, dict):
        return ()
    error = body.get("error")
    if isinstance(error, str):
        return (ApiMessage(error, str(body.get("error_description") or "")),)
    if not isinstance(error, dict):
        return ()
    found = [ApiMessage(str(error.get("code") or "error"), str(error.get("message") or ""))]
    for item in error.get("errors") or ():
        if isinstance(item, dict):
            code = item.get("code") or item.get("domain") or "error"
            found.append(ApiMessage(str(code), str(item.get("message") or item.get("reason") or "")))
    return tuple(found)


def broker_error(exc: BaseException, doing: str) -> BrokerError:
    """The desk's error for a failure of a call that changes nothing at the broker."""
    exc = _leaf(exc)
    if isinstance(exc, BrokerError):
        return exc
    if isinstance(exc, ApiError):
        if exc.status in (401, 403):
            return BrokerUnavailable(f"tastytrade {doing}: not authenticated ({exc.detail})")
        if exc.status == 429:
            return BrokerUnavailable(f"tastytrade {doing}: rate limited ({exc.detail})")
        if exc.status >= 500 or exc.status == 408:
            return BrokerUnavailable(f"tastytrade {doing}: HTTP {exc.status} ({exc.detail})")
        return BrokerRejected(f"tastytrade {doing}: {exc.detail}")
    if isinstance(exc, httpx2.TimeoutException):
        return BrokerUnavailable(f"tastytrade {doing}: timed out ({type(exc).__name__})")
    if isinstance(exc, httpx2.HTTPError):
        return BrokerUnavailable(f"tastytrade {doing}: unreachable ({type(exc).__name__}: {exc})")
    if isinstance(exc, HTTPXWSException):
        code = getattr(exc, "code", None)
        detail = f"{type(exc).__name__}, code {code}" if code is not None else type(exc).__name__
        return BrokerUnavailable(f"tastytrade {doing}: the connection closed ({detail})")
    if isinstance(exc, TastytradeError):
        return BrokerUnavailable(f"tastytrade {doing}: {str(exc).strip()}")
    if isinstance(exc, TimeoutError):
        return BrokerUnavailable(f"tastytrade {doing}: timed out")
    if isinstance(exc, _UNREADABLE):
        return BrokerUnavailable(f"tastytrade {doing}: an answer the adapter cannot read ({exc})")
    return BrokerUnavailable(f"tastytrade {doing}: {type(exc).__name__}: {exc}")


def placement_error(exc: BaseException, client_order_id: str) -> BrokerError:
    """The desk's error for a failed order submission (see the module docstring)."""
    exc = _leaf(exc)
    if isinstance(exc, BrokerError):
        return exc
    unknown = (
        f"order {client_order_id}: the submission may have reached Tastytrade ({{}}); it is not "
        "retried — find it by its external identifier"
    )
    if isinstance(exc, ApiError):
        if exc.path.endswith(TOKEN_PATH) or exc.status in (401, 403, 429):
            return broker_error(exc, f"order {client_order_id} not sent")
        if exc.status >= 500 or exc.status == 408:
            return OrderStateUnknown(unknown.format(f"HTTP {exc.status}: {exc.detail}"))
        return BrokerRejected(f"tastytrade rejected order {client_order_id}: {exc.detail}")
    if isinstance(exc, _NOT_SENT):
        return BrokerUnavailable(f"tastytrade order {client_order_id} not sent: {type(exc).__name__}")
    if isinstance(exc, httpx2.HTTPError):
        request = _request_of(exc)
        if request is not None and request.url.path.endswith(TOKEN_PATH):
            return broker_error(exc, f"order {client_order_id} not sent")
        return OrderStateUnknown(unknown.format(type(exc).__name__))
    return OrderStateUnknown(unknown.format(f"{type(exc).__name__}: {exc}"))


@contextmanager
def mapped(doing: str) -> Iterator[None]:
    """`with mapped("positions"):` — any failure inside becomes the desk's error, `from` the original."""
    try:
        yield
    except BrokerError:
        raise
    except (ApiError, httpx2.HTTPError, HTTPXWSException, TastytradeError, TimeoutError, *_UNREADABLE) as exc:
        raise broker_error(exc, doing) from exc
    except BaseExceptionGroup as group:
        if group.subgroup(lambda e: not isinstance(e, Exception)) is not None:
            raise  # a cancellation travels on untouched
        raise broker_error(group, doing) from group


def _leaf(exc: BaseException) -> BaseException:
    """The first real error in an ExceptionGroup (the SDK's streamer raises them from anyio)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _request_of(exc: httpx2.HTTPError) -> httpx2.Request | None:
    try:
        return exc.request
    except RuntimeError:  # httpx raises when the error carries no request
        return None
