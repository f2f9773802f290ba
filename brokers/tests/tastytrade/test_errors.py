"""One place maps every SDK and httpx2 failure to BrokerUnavailable, BrokerRejected or OrderStateUnknown."""

import asyncio

import httpx2
import pytest
from httpx2.websockets import WebSocketDisconnect
from pydantic import BaseModel, ValidationError
from tastytrade.utils import TastytradeError

from deltadesk.brokers.tastytrade.errors import ApiError, broker_error, mapped, placement_error
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, OrderStateUnknown

ORDERS = "https://api.tastyworks.com/accounts/5WT00001/orders"
TOKEN = "https://api.tastyworks.com/oauth/token"


def api_error(status: int, url: str = ORDERS, body: object = None) -> ApiError:
    body = body if body is not None else {"error": {"code": "some_code", "message": "said no"}}
    request = httpx2.Request("POST", url)
    return ApiError.from_response(httpx2.Response(status, json=body, request=request))


def unreadable() -> ValidationError:
    class Strict(BaseModel):
        number: int

    try:
        Strict.model_validate({"number": "many"})
    except ValidationError as exc:
        return exc
    raise AssertionError("validation passed")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (api_error(401), BrokerUnavailable),
        (api_error(403), BrokerUnavailable),
        (api_error(429), BrokerUnavailable),
        (api_error(500), BrokerUnavailable),
        (api_error(503), BrokerUnavailable),
        (api_error(400), BrokerRejected),
        (api_error(404), BrokerRejected),
        (api_error(422), BrokerRejected),
        (httpx2.ConnectError("refused"), BrokerUnavailable),
        (httpx2.ReadTimeout("slow"), BrokerUnavailable),
        (WebSocketDisconnect(1011), BrokerUnavailable),
        (TastytradeError("Fatal streamer error: bad"), BrokerUnavailable),
        (unreadable(), BrokerUnavailable),
        (ExceptionGroup("streamer", [WebSocketDisconnect(1001)]), BrokerUnavailable),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, ApiError) else f"HTTP{v.status}",
)
def test_a_read_failure_maps_to_unavailable_or_rejected(exc: BaseException, kind: type) -> None:
    assert type(broker_error(exc, "positions")) is kind


def test_a_rejection_keeps_the_apis_codes_and_messages() -> None:
    body = {
        "error": {
            "code": "preflight_check_failure",
            "message": "One or more preflight checks failed",
            "errors": [{"code": "margin_check_failed", "message": "Not enough buying power."}],
        }
    }
    error = broker_error(api_error(422, body=body), "what-if")
    assert isinstance(error, BrokerRejected)
    assert "margin_check_failed: Not enough buying power." in str(error)


def test_an_oauth_error_body_is_read_too() -> None:
    error = api_error(401, TOKEN, {"error": "invalid_grant", "error_description": "Grant revoked"})
    assert str(broker_error(error, "login")).endswith("(invalid_grant: Grant revoked)")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (api_error(422), BrokerRejected),  # the API answered no: nothing was placed
        (api_error(400), BrokerRejected),
        (api_error(401), BrokerUnavailable),  # not logged in: not accepted
        (api_error(429), BrokerUnavailable),
        (api_error(401, TOKEN), BrokerUnavailable),  # the token refresh failed: nothing was sent
        (api_error(500), OrderStateUnknown),  # may have been placed
        (api_error(502), OrderStateUnknown),
        (api_error(504), OrderStateUnknown),
        (api_error(408), OrderStateUnknown),
        (httpx2.ConnectError("refused"), BrokerUnavailable),  # never left
        (httpx2.ConnectTimeout("no route"), BrokerUnavailable),
        (httpx2.PoolTimeout("busy"), BrokerUnavailable),
        (httpx2.ReadTimeout("slow"), OrderStateUnknown),  # sent, no answer
        (httpx2.WriteTimeout("stuck"), OrderStateUnknown),
        (httpx2.RemoteProtocolError("dropped"), OrderStateUnknown),
        (httpx2.ReadError("reset"), OrderStateUnknown),
        (unreadable(), OrderStateUnknown),  # a 2xx we cannot read: it may be live
        (RuntimeError("anything else"), OrderStateUnknown),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, ApiError) else f"HTTP{v.status}{v.path[-6:]}",
)
def test_a_failed_submission_is_unknown_unless_it_surely_did_not_place(
    exc: BaseException, kind: type
) -> None:
    assert type(placement_error(exc, "dd-abc")) is kind


def test_an_unknown_submission_says_it_is_not_retried() -> None:
    error = placement_error(httpx2.ReadTimeout("slow"), "dd-abc")
    assert "dd-abc" in str(error)
    assert "not retried" in str(error)


def test_the_mapping_context_raises_the_desks_error_from_the_original() -> None:
    original = httpx2.ConnectError("refused")
    with pytest.raises(BrokerUnavailable) as caught, mapped("balances"):
        raise original
    assert caught.value.__cause__ is original


def test_a_cancellation_passes_through_untouched() -> None:
    with pytest.raises(asyncio.CancelledError), mapped("positions"):
        raise asyncio.CancelledError
