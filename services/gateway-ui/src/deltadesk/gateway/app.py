"""The web application: the page, its JSON API and its static files, built around a DeskState.

`create_app` does no I/O, so tests build it with a state they fill and no server or bus.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from deltadesk.gateway import api, pages
from deltadesk.gateway.assets import PackageAssets
from deltadesk.gateway.context import GatewayContext
from deltadesk.gateway.errors import GatewayError, InvalidAccount, NoRiskYet, UnknownAccount
from deltadesk.gateway.responses import ErrorBody
from deltadesk.gateway.security import SecurityHeaders
from deltadesk.gateway.state import DeskState
from deltadesk.shared.clock import Clock, SystemClock

HTTP_STATUS: dict[type[GatewayError], int] = {InvalidAccount: 422, UnknownAccount: 404, NoRiskYet: 404}


def create_app(
    state: DeskState,
    *,
    clock: Clock | None = None,
    stale_after_s: float = 30.0,
    keepalive_s: float = 15.0,
) -> FastAPI:
    app = FastAPI(
        title="deltadesk gateway",
        version=_version(),
        summary="The desk's page and JSON API: portfolio SPX-equivalent delta, Greeks and positions, live.",
        docs_url=None,  # Swagger UI loads its code from a CDN; the page allows no third-party code
        redoc_url=None,
    )
    app.state.gateway = GatewayContext(state, clock or SystemClock(), stale_after_s, keepalive_s)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(GatewayError, gateway_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request_response)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error_response)  # type: ignore[arg-type]
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", PackageAssets(), name="static")
    return app


async def gateway_error_response(request: Request, exc: GatewayError) -> JSONResponse:
    body = ErrorBody(code=exc.code, reason=str(exc))
    return JSONResponse(status_code=HTTP_STATUS.get(type(exc), 422), content=body.model_dump())


async def invalid_request_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
        problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
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
