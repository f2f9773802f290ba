"""Logging in and out: the login form, its CSRF token, the rate limit, the session cookie.

The form carries a one-time token that must equal the `dd_login` cookie set with the form (double
submit; SameSite=Strict keeps other sites from sending either). A client with too many failures
waits, longer after each further one (domain/throttle.py); while one of its attempts is being
verified, another from it is refused. A successful login sets `dd_session`: HttpOnly, SameSite=Strict,
Secure behind TLS, expiring with the session.
"""

from __future__ import annotations

import logging
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from deltadesk.gateway.context import CurrentSession, Gateway
from deltadesk.gateway.gatekeeper import LOGIN_COOKIE, SESSION_COOKIE, Access
from deltadesk.gateway.pages import templates
from deltadesk.gateway.responses import SessionInfo, error_responses
from deltadesk.gateway.sessions import csrf_matches

logger = logging.getLogger(__name__)

router = APIRouter()

LOGIN_FORM_TTL_S = 3600
MAX_PASSWORD_LENGTH = 1024


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only, never another site (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_form(
    request: Request,
    access: Access,
    *,
    next_path: str,
    message: str | None = None,
    status_code: int = status.HTTP_200_OK,
    retry_after_s: float = 0.0,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "next_path": safe_next(next_path), "message": message, "user": access.user},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=LOGIN_FORM_TTL_S,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=access.cookie_secure,
    )
    response.headers["Cache-Control"] = "no-store"
    if retry_after_s > 0:
        response.headers["Retry-After"] = str(math.ceil(retry_after_s))
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(request: Request, gateway: Gateway, next: str = "/") -> Response:
    access = gateway.access
    if access.sessions.find(request.cookies.get(SESSION_COOKIE), gateway.clock.now()) is not None:
        return RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    return login_form(request, access, next_path=next)


@router.post(
    "/login",
    response_class=RedirectResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={
        303: {"description": "Logged in: the `dd_session` cookie is set; on to `next`."},
        401: {"description": "Wrong password (the form again)."},
        403: {"description": "The form's token does not match its cookie: load /login again."},
        429: {"description": "Too many failed attempts from this client; see Retry-After."},
    },
    summary="Log in",
    tags=["session"],
)
async def log_in(
    request: Request,
    gateway: Gateway,
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    csrf_token: Annotated[
        str, Form(max_length=256, description="The form's token (its `dd_login` cookie).")
    ] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """The login form's target: `password`, the form's `csrf_token`, and where to go `next`."""
    access = gateway.access
    now = gateway.clock.now()
    client = client_of(request)
    if not csrf_matches(request.cookies.get(LOGIN_COOKIE, ""), csrf_token) or not csrf_token:
        return login_form(
            request,
            access,
            next_path=next,
            message="The login form expired. Enter the password again.",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    wait = access.throttle.retry_after(client, now)
    if wait > 0 or client in access.verifying:
        wait = max(wait, 1.0)
        return login_form(
            request,
            access,
            next_path=next,
            message=f"Too many failed attempts. Try again in {math.ceil(wait)} s.",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            retry_after_s=wait,
        )
    access.verifying.add(client)
    try:
        valid = bool(password) and await access.password.verify(password)
    finally:
        access.verifying.discard(client)
    now = gateway.clock.now()
    if not valid:
        wait = access.throttle.failed(client, now)
        logger.warning("login failed", extra={"client": client, "wait_s": wait})
        message = "Wrong password." + (f" Try again in {math.ceil(wait)} s." if wait > 0 else "")
        return login_form(
            request,
            access,
            next_path=next,
            message=message,
            status_code=status.HTTP_401_UNAUTHORIZED,
            retry_after_s=wait,
        )
    access.throttle.succeeded(client)
    token, session = access.sessions.start(access.user, now)
    logger.info("login", extra={"client": client, "user": session.user})
    response = RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=access.sessions.max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=access.cookie_secure,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login", httponly=True, samesite="strict")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403),
    summary="Log out",
    tags=["session"],
)
async def log_out(gateway: Gateway, session: CurrentSession) -> Response:
    """Ends this session (its open streams end too) and clears the cookie."""
    gateway.access.sessions.end(session.key)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get(
    "/api/session",
    response_model=SessionInfo,
    responses=error_responses(401),
    summary="This login",
    tags=["session"],
)
async def session_info(session: CurrentSession) -> SessionInfo:
    """Who is logged in, and the CSRF token to send as `X-CSRF-Token` with state-changing requests."""
    return SessionInfo(user=session.user, csrf_token=session.csrf_token, expires_at=session.expires_at)
