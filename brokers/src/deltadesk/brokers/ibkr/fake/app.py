"""The fake gateway's HTTP face: the Client Portal endpoints the adapter uses, under `/v1/api`.

A thin ASGI layer sits in front of the FastAPI routes and does what the real gateway does before
any endpoint runs, in this order: count the request (by `METHOD /template`, for the benchmark),
411 for a POST without Content-Length, IBKR's pacing (429 and the penalty box), 401 when there is
no session (`/iserver` needs the brokerage session, `/portfolio` and `/trsrv` a logged-in
gateway), then the injected faults: an error status, a late answer, or a connection dropped after
an order was taken (the order exists; its answer never arrives).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match

from deltadesk.brokers.ibkr.fake.records import Refusal
from deltadesk.brokers.ibkr.fake.state import GatewayState

PREFIX = "/v1/api"
PLACE = "POST /iserver/account/{account}/orders"
UNAUTHENTICATED_OK = frozenset(
    {"/iserver/auth/status", "/iserver/auth/ssodh/init", "/iserver/reauthenticate", "/tickle", "/logout"}
)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def create_app(state: GatewayState) -> GatewayApp:
    return GatewayApp(state, _routes(state))


class GatewayApp:
    def __init__(self, state: GatewayState, api: FastAPI) -> None:
        self.state = state
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        template = self._template(scope)
        if template is None:
            await self.api(scope, receive, send)
            return
        method = scope["method"]
        key = f"{method} {template}"
        state = self.state
        state.requests[key] += 1
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if method == "POST" and "content-length" not in headers:
            state.refused[411] += 1
            await _send_json(send, 411, {"error": "Length Required"})
            return
        if not state.admit(key):
            state.refused[429] += 1
            await _send_json(send, 429, {"error": "Too many requests"})
            return
        refusal = self._session_refusal(template)
        if refusal is not None:
            state.refused[refusal.status] += 1
            await _send_json(send, refusal.status, refusal.body)
            return
        failure = state.faults.take_failure(key)
        if failure is not None:
            await _send_json(send, *failure)
            return
        if key == PLACE and state.faults.drop_next_place:
            state.faults.drop_next_place = False
            await self.api(scope, receive, _discard)  # the gateway takes the order …
            if not _drop_connection(send):  # … and the answer never leaves
                await asyncio.Event().wait()  # no transport to drop: never answer (a timeout)
            return
        delay = state.faults.take_delay(key)
        if delay <= 0:
            await self.api(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.api(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await send(message)

    def _template(self, scope: Scope) -> str | None:
        for route in self.api.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                path: str = getattr(route, "path", "")
                return path.removeprefix(PREFIX)
        return None

    def _session_refusal(self, template: str) -> Refusal | None:
        state = self.state
        if template in UNAUTHENTICATED_OK:
            if template == "/tickle" and not state.connected:
                return Refusal(401, {"error": "not authenticated", "statusCode": 401})
            return None
        if template.startswith("/iserver/") and not (state.connected and state.authenticated):
            return Refusal(401, {"error": "not authenticated", "statusCode": 401})
        if not state.connected:
            return Refusal(401, {"error": "not authenticated", "statusCode": 401})
        return None


async def _discard(message: Message) -> None:
    return None


def _drop_connection(send: Send) -> bool:
    """Abort the TCP connection under this request. uvicorn's `send` is a bound method of its
    request cycle, which holds the transport."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


async def _send_json(send: Send, status: int, body: Any) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Refusal(400, {"error": f"Bad Request: invalid JSON ({exc.msg})", "statusCode": 400}) from exc


def _conids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise Refusal(400, {"error": "Bad Request: conids must be numbers", "statusCode": 400}) from exc


def _routes(state: GatewayState) -> FastAPI:
    app = FastAPI(title="deltadesk fake IBKR Client Portal gateway", openapi_url=None, docs_url=None)

    @app.exception_handler(Refusal)
    async def refusal(request: Request, exc: Refusal) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body)

    api = PREFIX

    # ── session ──────────────────────────────────────────────────────────────────────────────────
    @app.post(api + "/iserver/auth/status")
    async def auth_status() -> Any:
        return state.auth_status()

    @app.post(api + "/iserver/auth/ssodh/init")
    async def ssodh_init(request: Request) -> Any:
        body = await _json_body(request)
        if not state.connected:
            raise Refusal(401, {"error": "not authenticated", "statusCode": 401})
        if isinstance(body, dict) and body.get("publish") is False:
            raise Refusal(500, {"error": "publish must be true"})
        state.reauthenticate()
        return state.auth_status()

    @app.post(api + "/iserver/reauthenticate")
    async def reauthenticate() -> Any:
        state.reauthenticate()
        return {"message": "triggered"}

    @app.post(api + "/tickle")
    async def tickle() -> Any:
        return state.tickle()

    @app.post(api + "/logout")
    async def logout() -> Any:
        state.log_out()
        return {"status": True}

    @app.get(api + "/iserver/accounts")
    async def accounts() -> Any:
        return state.brokerage_accounts()

    @app.post(api + "/iserver/account")
    async def switch_account(request: Request) -> Any:
        body = await _json_body(request)
        account = body.get("acctId") if isinstance(body, dict) else None
        if account not in state.accounts:
            return {"error": f"account {account} not found"}
        state.selected_account = account
        return {"set": True, "acctId": account}

    # ── portfolio ────────────────────────────────────────────────────────────────────────────────
    @app.get(api + "/portfolio/accounts")
    async def portfolio_accounts() -> Any:
        return state.portfolio_accounts()

    @app.get(api + "/portfolio/{account}/positions/{page}")
    async def positions(account: str, page: int) -> Any:
        state.require_portfolio(account)
        rows = state.position_rows(account)
        return rows[page * 100 : (page + 1) * 100]

    @app.post(api + "/portfolio/{account}/positions/invalidate")
    async def invalidate(account: str) -> Any:
        state.require_portfolio(account)
        return state.position_rows(account)[:100]  # IBKR re-runs positions/0 and answers it

    @app.get(api + "/portfolio/{account}/summary")
    async def summary(account: str) -> Any:
        state.require_portfolio(account)
        return state.summary(account)

    # ── market data and contracts ────────────────────────────────────────────────────────────────
    @app.get(api + "/iserver/marketdata/snapshot")
    async def snapshot(conids: str, fields: str = "") -> Any:
        wanted = _conids(conids)
        if len(wanted) > 100:
            raise Refusal(400, {"error": "Bad Request: at most 100 conids", "statusCode": 400})
        return state.snapshot(wanted, fields.split(","))

    @app.get(api + "/iserver/secdef/search")
    async def search(symbol: str, secType: str | None = None, name: bool = False) -> Any:
        return state.search(symbol, secType)

    @app.get(api + "/iserver/secdef/strikes")
    async def strikes(conid: int, sectype: str, month: str, exchange: str | None = None) -> Any:
        return state.strikes(conid, sectype.upper(), month, exchange)

    @app.get(api + "/iserver/secdef/info")
    async def info(
        conid: int, sectype: str, month: str = "", exchange: str | None = None, strike: str | None = None,
        right: str | None = None,
    ) -> Any:  # fmt: skip
        return state.info(conid, sectype.upper(), month, strike, right)

    @app.get(api + "/trsrv/futures")
    async def futures(symbols: str) -> Any:
        return state.futures(symbols.split(","))

    @app.get(api + "/iserver/contract/{conid}/info")
    async def contract_info(conid: int) -> Any:
        try:
            return state.contract_info(conid)
        except KeyError:
            return JSONResponse(
                status_code=400, content={"error": "Bad Request: invalid conid", "statusCode": 400}
            )

    # ── orders ───────────────────────────────────────────────────────────────────────────────────
    @app.post(api + "/iserver/account/{account}/orders")
    async def place(account: str, request: Request) -> Any:
        return state.place(account, await _json_body(request))

    @app.post(api + "/iserver/reply/{reply_id}")
    async def reply(reply_id: str, request: Request) -> Any:
        return state.reply(reply_id, await _json_body(request))

    @app.post(api + "/iserver/account/{account}/orders/whatif")
    async def whatif(account: str, request: Request) -> Any:
        return state.whatif(account, await _json_body(request))

    @app.get(api + "/iserver/account/orders")
    async def live_orders(force: bool = False, filters: str | None = None) -> Any:
        return state.live_orders(force)

    @app.get(api + "/iserver/account/order/status/{order_id}")
    async def order_status(order_id: int) -> Any:
        return state.order_status(order_id)

    @app.delete(api + "/iserver/account/{account}/order/{order_id}")
    async def cancel(
        account: str, order_id: int, manualIndicator: bool = False, extOperator: str | None = None
    ) -> Any:
        return state.cancel(account, order_id, manual_indicator=manualIndicator, operator=extOperator)

    @app.get(api + "/iserver/account/trades")
    async def trades(days: int = 1, accountId: str | None = None) -> Any:
        return state.trades(days, accountId)

    return app
