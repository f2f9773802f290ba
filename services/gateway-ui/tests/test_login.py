"""Logging in: the wall in front of every page and call, the session cookie, CSRF, the rate limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from deltadesk.gateway.app import create_app
from deltadesk.gateway.domain.throttle import LoginThrottle
from deltadesk.gateway.gatekeeper import LOGIN_COOKIE, SESSION_COOKIE
from deltadesk.gateway.sessions import SessionStore
from deltadesk.gateway.state import DeskState
from deltadesk.gateway.testing import LoginFailed


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class App:
    clock: Clock
    build: Callable[..., httpx.AsyncClient]


@pytest.fixture
def app(login: Any, book: Any) -> App:
    """One gateway app (no bus); `build(client_ip)` gives a client coming from that address."""
    clock = Clock(book.now)
    state = DeskState()
    state.apply_risk(book.risk("total"))
    access = login.access(
        clock,
        sessions=SessionStore(idle_s=600, max_s=3600),
        throttle=LoginThrottle(free_failures=3, base_delay_s=30.0),
    )
    asgi = create_app(state, access=access)

    def build(client_ip: str = "10.0.0.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=asgi, client=(client_ip, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    return App(clock, build)


@pytest.fixture
async def visitor(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with app.build() as client:
        yield client


async def post_login(client: httpx.AsyncClient, password: str, next_path: str = "/") -> httpx.Response:
    form = await client.get("/login", params={"next": next_path})
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"password": password, "csrf_token": token.group(1), "next": next_path}
    return await client.post("/login", data=data)


def set_cookie(response: httpx.Response, name: str) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


# ── the wall ────────────────────────────────────────────────────────────────────────────────────
async def test_a_page_sends_a_visitor_to_the_login_with_the_way_back(visitor: httpx.AsyncClient) -> None:
    answer = await visitor.get("/", params={"account": "PAPER"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F%3Faccount%3DPAPER"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/portfolio"),
        ("GET", "/api/stream"),
        ("GET", "/api/orders"),
        ("GET", "/api/orders/5b1f3e9e-8f3c-4c55-9d8e-0c4b8f1f2a10"),
        ("POST", "/api/orders"),
        ("POST", "/api/orders/5b1f3e9e-8f3c-4c55-9d8e-0c4b8f1f2a10/approve"),
        ("POST", "/api/kill-switch"),
        ("GET", "/api/session"),
        ("GET", "/openapi.json"),
        ("POST", "/logout"),
    ],
)
async def test_every_call_but_health_needs_a_login(
    visitor: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await visitor.request(method, path, json={})
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_logged_in"


async def test_health_the_login_page_and_static_files_need_none(visitor: httpx.AsyncClient) -> None:
    assert (await visitor.get("/api/health")).status_code == 200
    assert (await visitor.get("/login")).status_code == 200
    assert (await visitor.get("/static/css/desk.css")).status_code == 200


# ── logging in ──────────────────────────────────────────────────────────────────────────────────
async def test_the_right_password_sets_a_strict_httponly_session_cookie(
    visitor: httpx.AsyncClient, login: Any
) -> None:
    answer = await post_login(visitor, login.password, next_path="/?account=PAPER#trade")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?account=PAPER#trade"
    cookie = set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "strict"
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 3600
    assert not cookie["secure"]  # plain HTTP on loopback; gateway_cookie_secure turns it on
    assert len(cookie.value) >= 40
    page = await visitor.get("/")
    assert page.status_code == 200
    assert 'name="csrf-token"' in page.text


async def test_the_cookie_is_secure_behind_tls(login: Any, book: Any) -> None:
    asgi = create_app(DeskState(), access=login.access(Clock(book.now), cookie_secure=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="https://testserver") as c:
        answer = await post_login(c, login.password)
    assert set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]["secure"] is True


async def test_a_wrong_password_is_refused_with_the_form_again(visitor: httpx.AsyncClient) -> None:
    answer = await post_login(visitor, "hunter2")
    assert answer.status_code == 401
    assert "Wrong password." in answer.text
    assert SESSION_COOKIE not in visitor.cookies
    assert (await visitor.get("/api/session")).status_code == 401


async def test_a_login_without_the_forms_token_is_refused(visitor: httpx.AsyncClient, login: Any) -> None:
    await visitor.get("/login")
    answer = await visitor.post("/login", data={"password": login.password, "csrf_token": "forged"})
    assert answer.status_code == 403
    visitor.cookies.delete(LOGIN_COOKIE)
    answer = await visitor.post("/login", data={"password": login.password, "csrf_token": ""})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in visitor.cookies


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
async def test_after_login_the_browser_stays_on_this_site(
    visitor: httpx.AsyncClient, login: Any, target: str
) -> None:
    answer = await post_login(visitor, login.password, next_path=target)
    assert answer.headers["location"] == "/"


async def test_a_logged_in_browser_skips_the_login_page(visitor: httpx.AsyncClient, login: Any) -> None:
    await login.log_in(visitor, login.password)
    answer = await visitor.get("/login", params={"next": "/#trade"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/#trade")


# ── the rate limit ──────────────────────────────────────────────────────────────────────────────
async def test_repeated_failures_lock_the_client_out_even_with_the_right_password(
    app: App, login: Any
) -> None:
    async with app.build("10.0.0.66") as attacker, app.build("10.0.0.7") as trader:
        statuses = [(await post_login(attacker, f"guess-{n}")).status_code for n in range(4)]
        assert statuses == [401, 401, 401, 401]  # the 4th failure imposes the first wait
        locked = await post_login(attacker, login.password)
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "30"
        assert "Too many failed attempts" in locked.text
        assert SESSION_COOKIE not in attacker.cookies
        assert (await post_login(trader, login.password)).status_code == 303  # another client is not locked

        app.clock.advance(31)
        assert (await post_login(attacker, login.password)).status_code == 303


async def test_the_wait_doubles_with_each_further_failure(app: App) -> None:
    async with app.build("10.0.0.66") as attacker:
        for n in range(4):
            await post_login(attacker, f"guess-{n}")
        app.clock.advance(31)
        again = await post_login(attacker, "guess-5")
        assert (again.status_code, again.headers["retry-after"]) == (401, "60")
        assert (await post_login(attacker, "guess-6")).status_code == 429


# ── the session ─────────────────────────────────────────────────────────────────────────────────
async def test_the_session_gives_the_csrf_token_for_state_changes(
    visitor: httpx.AsyncClient, login: Any
) -> None:
    token = await login.log_in(visitor, login.password)
    session = (await visitor.get("/api/session")).json()
    assert session["user"] == "trader"
    assert session["csrf_token"] == token


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_a_state_change_without_the_sessions_csrf_token_is_forbidden(
    visitor: httpx.AsyncClient, login: Any, token: str | None
) -> None:
    await login.log_in(visitor, login.password)
    headers = {"X-CSRF-Token": token} if token else {}
    del visitor.headers["X-CSRF-Token"]
    answer = await visitor.post("/api/kill-switch", json={"engaged": True}, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "csrf_rejected"
    assert answer.json()["reason"].startswith("x-csrf-token:")


async def test_logging_out_ends_the_session(visitor: httpx.AsyncClient, login: Any) -> None:
    await login.log_in(visitor, login.password)
    stolen = visitor.cookies.get(SESSION_COOKIE)
    answer = await visitor.post("/logout")
    assert answer.status_code == 204
    assert set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]["max-age"] == "0"
    visitor.cookies.set(SESSION_COOKIE, stolen or "")
    assert (await visitor.get("/api/portfolio")).status_code == 401


async def test_a_session_ends_after_it_idles(app: App, visitor: httpx.AsyncClient, login: Any) -> None:
    await login.log_in(visitor, login.password)
    app.clock.advance(599)
    assert (await visitor.get("/api/portfolio")).status_code == 200  # activity keeps it alive
    app.clock.advance(599)
    assert (await visitor.get("/api/portfolio")).status_code == 200
    app.clock.advance(601)
    assert (await visitor.get("/api/portfolio")).status_code == 401


async def test_a_session_ends_at_its_maximum_age_however_busy(
    app: App, visitor: httpx.AsyncClient, login: Any
) -> None:
    await login.log_in(visitor, login.password)
    for _ in range(6):
        app.clock.advance(590)
        assert (await visitor.get("/api/portfolio")).status_code == 200
    app.clock.advance(300)  # 3840 s after login
    assert (await visitor.get("/api/portfolio")).status_code == 401


async def test_a_forged_session_cookie_is_not_a_session(visitor: httpx.AsyncClient) -> None:
    visitor.cookies.set(SESSION_COOKIE, "A" * 43)
    assert (await visitor.get("/api/portfolio")).status_code == 401


async def test_the_login_helper_says_why_a_login_failed(visitor: httpx.AsyncClient, login: Any) -> None:
    with pytest.raises(LoginFailed, match="401"):
        await login.log_in(visitor, "wrong")
