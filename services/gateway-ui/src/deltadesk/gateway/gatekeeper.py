"""The login wall and the CSRF check, in front of every route.

Everything needs a live session except the health probe, the login page and the static files. An
API call without one gets a 401 JSON body; a page gets a redirect to /login. A state-changing
request (anything but GET, HEAD, OPTIONS) must also carry the session's CSRF token in the
`X-CSRF-Token` header; the login form has its own token (login.py). The session is handed to the
routes as `request.state.session`.

A pure ASGI middleware, like SecurityHeaders, so the event stream is never buffered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from deltadesk.gateway.domain.throttle import LoginThrottle
from deltadesk.gateway.password import PasswordCheck
from deltadesk.gateway.responses import ErrorBody
from deltadesk.gateway.sessions import SessionStore, csrf_matches
from deltadesk.shared.clock import Clock

SESSION_COOKIE = "dd_session"
LOGIN_COOKIE = "dd_login"
CSRF_HEADER = "x-csrf-token"
PUBLIC_PATHS = frozenset({"/api/health", "/login", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Access:
    """Who may log in and how: the password, the sessions, the login throttle, the cookie's flags."""

    password: PasswordCheck
    sessions: SessionStore
    throttle: LoginThrottle
    clock: Clock
    user: str
    cookie_secure: bool = False
    verifying: set[str] = field(default_factory=set)  # clients with an attempt being verified now


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


class Gatekeeper:
    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session = self.access.sessions.find(connection.cookies.get(SESSION_COOKIE), self.access.clock.now())
        if session is None:
            await self._refuse_visitor(scope)(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not csrf_matches(
            session.csrf_token, Headers(scope=scope).get(CSRF_HEADER)
        ):
            body = ErrorBody(
                code="csrf_rejected",
                reason=f"{CSRF_HEADER}: a state-changing request must carry this session's CSRF token",
            )
            await JSONResponse(body.model_dump(), status_code=403)(scope, receive, send)
            return
        scope.setdefault("state", {})["session"] = session
        await self.app(scope, receive, send)

    @staticmethod
    def _refuse_visitor(scope: Scope) -> Response:
        path: str = scope["path"]
        if is_api(path) or scope["method"] not in SAFE_METHODS:
            body = ErrorBody(code="not_logged_in", reason="log in first: this needs a session (POST /login)")
            return JSONResponse(body.model_dump(), status_code=401, headers={"Cache-Control": "no-store"})
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
