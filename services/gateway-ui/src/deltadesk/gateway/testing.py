"""Logging an HTTP client in to the gateway, as a browser does: for tests and scripts that drive the API.

The client loads the login form (its token comes as the `dd_login` cookie), posts the password with
it, keeps the session cookie, and from then on sends the session's CSRF token as `X-CSRF-Token`.
"""

from __future__ import annotations

import httpx

from deltadesk.gateway.gatekeeper import CSRF_HEADER, LOGIN_COOKIE


class LoginFailed(AssertionError):
    """The gateway did not log the client in: the status and the page's text say why."""


def _form(client_cookies: httpx.Cookies, password: str) -> dict[str, str]:
    token = client_cookies.get(LOGIN_COOKIE, path="/login") or client_cookies.get(LOGIN_COOKIE) or ""
    return {"password": password, "csrf_token": token, "next": "/"}


async def log_in(client: httpx.AsyncClient, password: str, base: str = "") -> str:
    """Log `client` in; returns the CSRF token it now sends with every request. `base` is the
    gateway's URL when the client has no base_url."""
    (await client.get(f"{base}/login")).raise_for_status()
    answer = await client.post(f"{base}/login", data=_form(client.cookies, password), follow_redirects=False)
    if answer.status_code != 303:
        raise LoginFailed(f"login answered {answer.status_code}: {answer.text[:300]}")
    session = await client.get(f"{base}/api/session")
    session.raise_for_status()
    token: str = session.json()["csrf_token"]
    client.headers[CSRF_HEADER] = token
    return token


def log_in_sync(client: httpx.Client, password: str, base: str = "") -> str:
    """`log_in` for a synchronous client (e.g. FastAPI's TestClient)."""
    client.get(f"{base}/login").raise_for_status()
    answer = client.post(f"{base}/login", data=_form(client.cookies, password), follow_redirects=False)
    if answer.status_code != 303:
        raise LoginFailed(f"login answered {answer.status_code}: {answer.text[:300]}")
    session = client.get(f"{base}/api/session")
    session.raise_for_status()
    token: str = session.json()["csrf_token"]
    client.headers[CSRF_HEADER] = token
    return token
