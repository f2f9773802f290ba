"""The web application: the login, the page, its JSON API and its static files, around a DeskState.

`create_app` does no I/O, so tests build it with a state they fill, a password check, and (for the
order path) a bus link of their choosing.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from deltadesk.gateway import api, history, journal, login, orders, pages, quotes, trading
from deltadesk.gateway.assets import PackageAssets, VendorAssets
from deltadesk.gateway.context import GatewayContext, OrderPath
from deltadesk.gateway.errors import (
    AlreadyApproved,
    ConfirmationMissing,
    CsrfRejected,
    GatewayError,
    HashMismatch,
    InvalidAccount,
    InvalidFilter,
    NoRiskYet,
    NotLoggedIn,
    NotSimulated,
    OrderChangedAfterSimulation,
    OrderClosed,
    OrderNotFound,
    PeerFailed,
    SigningUnavailable,
    SimulationExpired,
    StaleSimulation,
    TradingHalted,
    UnknownAccount,
)
from deltadesk.gateway.gatekeeper import Access, Gatekeeper
from deltadesk.gateway.responses import ErrorBody
from deltadesk.gateway.security import SecurityHeaders
from deltadesk.gateway.state import DeskState
from deltadesk.shared.errors import (
    BrokerRejected,
    BrokerUnavailable,
    DeskError,
    OrderStateUnknown,
    PeerUnavailable,
    RemoteError,
)

HTTP_STATUS: dict[type[GatewayError], int] = {
    InvalidAccount: 422,
    InvalidFilter: 422,
    UnknownAccount: 404,
    NoRiskYet: 404,
    NotLoggedIn: 401,
    CsrfRejected: 403,
    ConfirmationMissing: 422,
    NotSimulated: 409,
    StaleSimulation: 409,
    HashMismatch: 409,
    OrderChangedAfterSimulation: 409,
    SimulationExpired: 409,
    AlreadyApproved: 409,
    OrderClosed: 409,
    TradingHalted: 409,
    SigningUnavailable: 503,
    OrderNotFound: 404,
    PeerFailed: 502,
}


def create_app(
    state: DeskState,
    *,
    access: Access,
    orders_path: OrderPath | None = None,
    stale_after_s: float = 30.0,
    keepalive_s: float = 15.0,
) -> FastAPI:
    app = FastAPI(
        title="deltadesk gateway",
        version=_version(),
        summary="The desk's page and API: live risk, the order path (draft, simulate, approve, track), "
        "the journal and the account's history.",
        description="Every call but /api/health needs a login (POST /login sets the `dd_session` cookie); "
        "every state-changing call also needs the session's CSRF token in `X-CSRF-Token` (GET /api/session).",
        docs_url=None,  # Swagger UI loads its code from a CDN; the page allows no third-party code
        redoc_url=None,
    )
    app.state.gateway = GatewayContext(state, access.clock, stale_after_s, keepalive_s, access, orders_path)
    app.add_middleware(Gatekeeper, access=access)
    app.add_middleware(SecurityHeaders)  # outermost: refusals and redirects carry the headers too
    app.add_exception_handler(DeskError, desk_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request_response)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error_response)  # type: ignore[arg-type]
    app.include_router(login.router)
    app.include_router(api.router)
    app.include_router(orders.router)
    app.include_router(quotes.router)
    app.include_router(trading.router)
    app.include_router(journal.router)
    app.include_router(history.router)
    app.include_router(pages.router)
    app.mount("/static/vendor", VendorAssets(), name="vendor")  # before /static, which would shadow it
    app.mount("/static", PackageAssets(), name="static")
    return app


def status_of(exc: DeskError) -> tuple[int, str]:
    """The HTTP status and code for an error: never a 500. A peer's silence is a 503."""
    if isinstance(exc, GatewayError):
        return HTTP_STATUS.get(type(exc), 422), exc.code
    if isinstance(exc, PeerUnavailable | BrokerUnavailable):
        return 503, exc.code
    if isinstance(exc, OrderStateUnknown):
        return 502, exc.code
    if isinstance(exc, BrokerRejected):
        return 422, exc.code
    if isinstance(exc, RemoteError):
        return remote_status(exc.remote_code), exc.remote_code
    return 422, exc.code


# Execution's and market-data's own refusal codes (deltadesk.execution.errors), as HTTP statuses.
REMOTE_STATUS = {
    "unknown_account": 422,
    "leg_unresolvable": 422,
    "leg_not_priced": 422,
    "invalid_request": 422,
    "invalid_order_state": 409,
    "order_busy": 409,
    "order_not_found": 404,
    "simulation_timeout": 503,
    "risk_unavailable": 503,
    "internal_error": 502,
    "invalid_snapshot_query": 422,  # the journal's
    "reply_too_large": 502,  # the journal's: one entry is larger than a bus message
}


def remote_status(code: str) -> int:
    """A peer's error code as an HTTP status: its refusals 4xx, its outages 503, its failures 502.
    A code not known here is judged by its words, and is a 422 (the reason still says why)."""
    lowered = code.lower()
    if lowered in REMOTE_STATUS:
        return REMOTE_STATUS[lowered]
    if "not_found" in lowered:
        return 404
    if "transition" in lowered or "halted" in lowered or lowered.endswith("_state"):
        return 409
    if "unavailable" in lowered or "timeout" in lowered:
        return 503
    return 422


async def desk_error_response(request: Request, exc: DeskError) -> JSONResponse:
    status, code = status_of(exc)
    return JSONResponse(status_code=status, content=ErrorBody(code=code, reason=str(exc)).model_dump())


async def invalid_request_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    body = ErrorBody(code="invalid_request", reason="; ".join(problems) or "invalid request")
    return JSONResponse(status_code=422, content=body.model_dump())


async def http_error_response(request: Request, exc: HTTPException) -> JSONResponse:
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    body = ErrorBody(code=code, reason=str(exc.detail))
    return JSONResponse(status_code=exc.status_code, content=body.model_dump(), headers=exc.headers)


def _version() -> str:
    try:
        return version("deltadesk-gateway-ui")
    except PackageNotFoundError:
        return "0+unknown"
