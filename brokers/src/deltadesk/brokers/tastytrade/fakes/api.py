"""The fake's REST API: the endpoints the tastytrade SDK calls, in the documented shapes.

Every answer is `{"data": …, "context": path}`; errors are `{"error": {"code", "message"[, "errors"]}}`.
A request needs the Bearer token that `POST /oauth/token` issued for the configured client secret
and refresh token, and a `product/version` User-Agent (Tastytrade answers 401 without one).

Tests steer it through `FakeApiState`: `inject(Fault(...))` answers a matching request with a status
(e.g. 503) instead of handling it, or handles it and then holds the answer (`delay_s`, to make the
client time out after the server acted); `requests` records every call.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from deltadesk.brokers.tastytrade.fakes.account import FakeAccount, NotUpdatable, Preflight
from deltadesk.brokers.tastytrade.fakes.market import FakeMarket

USER_AGENT = re.compile(r"^[\w.+-]+/[\w.+-]+")
TOKEN_PATH = "/oauth/token"


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and the `path` pattern with `status`/`body`
    (not handled), or, with no status, handle them and hold the answer `delay_s` seconds."""

    method: str
    path: str
    status: int | None = None
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApiState:
    market: FakeMarket
    account: FakeAccount
    provider_secret: str
    refresh_token: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    token_lifetime_s: int = 900
    dxlink_url: str = ""
    quote_token: str = field(default_factory=lambda: "dxlink-" + secrets.token_hex(8))
    tokens: dict[str, datetime] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path, r.path)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None

    def _authorized(self, request: Request) -> str | None:
        """Why the request is refused, or None."""
        if not USER_AGENT.match(request.headers.get("user-agent", "")):
            return "a User-Agent of the form product/version is required"
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip()
        expires = self.tokens.get(token)
        if expires is None:
            return "invalid or missing access token"
        if expires <= self.clock():
            return "access token expired"
        return None


def create_api(state: FakeApiState) -> FastAPI:
    app = FastAPI(title="fake Tastytrade API", openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def wire(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        body = await request.body()
        path = request.url.path
        state.requests.append(
            RecordedRequest(
                request.method,
                path,
                {k: request.query_params.getlist(k) for k in request.query_params},
                dict(request.headers),
                body,
            )
        )
        fault = state._take_fault(request.method, path)
        if fault is not None and fault.status is not None:
            return JSONResponse(
                fault.body or _error("fault_injected", f"injected HTTP {fault.status}"),
                status_code=fault.status,
            )
        if path != TOKEN_PATH and (reason := state._authorized(request)) is not None:
            return JSONResponse(_error("unauthorized", reason), status_code=401)
        response = await call_next(request)
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)  # the server acted; the answer is late
        return response

    @app.post(TOKEN_PATH)
    async def token(request: Request) -> Response:
        form = await request.json()
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (
            form.get("client_secret") != state.provider_secret
            or form.get("refresh_token") != state.refresh_token
        ):
            return JSONResponse(_error("invalid_grant", "Grant revoked or invalid"), status_code=401)
        access = "access-" + secrets.token_hex(8)
        state.tokens[access] = state.clock() + timedelta(seconds=state.token_lifetime_s)
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": state.token_lifetime_s}
        )

    @app.get("/api-quote-tokens")
    async def quote_tokens(request: Request) -> Response:
        now = state.clock()
        return _data(
            request,
            {
                "token": state.quote_token,
                "dxlink-url": state.dxlink_url,
                "level": "api",
                "issued-at": _iso(now),
                "expires-at": _iso(now + timedelta(hours=24)),
            },
        )

    @app.get("/customers/me/accounts")
    async def accounts(request: Request) -> Response:
        return _data(
            request, {"items": [{"account": state.account.account_json(), "authority-level": "owner"}]}
        )

    @app.get("/customers/me/accounts/{number}")
    async def account(request: Request, number: str) -> Response:
        if number != state.account.number:
            return _not_found(f"no account {number}")
        return _data(request, state.account.account_json())

    @app.get("/accounts/{number}/positions")
    async def positions(request: Request, number: str) -> Response:
        if number != state.account.number:
            return _not_found(f"no account {number}")
        items = [state.account.position_json(p) for p in state.account.positions.values()]
        return _data(request, {"items": items})

    @app.get("/accounts/{number}/balances/{currency}")
    async def balances(request: Request, number: str, currency: str) -> Response:
        if number != state.account.number or currency != "USD":
            return _not_found(f"no {currency} balances for {number}")
        return _data(request, state.account.balances_json(state.clock()))

    @app.post("/accounts/{number}/orders/dry-run")
    async def dry_run(request: Request, number: str) -> Response:
        if number != state.account.number:
            return _not_found(f"no account {number}")
        body = await request.json()
        try:
            change = state.account.preflight(body)
        except Preflight as refused:
            return JSONResponse(refused.body(), status_code=422)
        result = _placement(state, body, change)
        result["order"] = state.account.unplaced_json(body, state.clock())
        return _data(request, result)

    @app.post("/accounts/{number}/orders")
    async def submit(request: Request, number: str) -> Response:
        if number != state.account.number:
            return _not_found(f"no account {number}")
        body = await request.json()
        try:
            change = state.account.preflight(body)
        except Preflight as refused:
            return JSONResponse(refused.body(), status_code=422)
        result = _placement(state, body, change)
        order = state.account.place(body, state.clock())
        result["order"] = state.account.order_json(order)
        return _data(request, result, status=201)

    @app.get("/accounts/{number}/orders/live")
    async def live_orders(request: Request, number: str) -> Response:
        today = state.clock().date()
        items = [
            state.account.order_json(o)
            for o in sorted(state.account.orders.values(), key=lambda o: -o.id)
            if o.updated_at.date() >= today - timedelta(days=1)
        ]
        return _data(request, {"items": items})

    @app.get("/accounts/{number}/orders")
    async def order_history(request: Request, number: str) -> Response:
        per_page = int(request.query_params.get("per-page", "10"))
        offset = int(request.query_params.get("page-offset", "0"))
        start = request.query_params.get("start-date")
        orders = sorted(state.account.orders.values(), key=lambda o: -o.id)
        if start:
            orders = [o for o in orders if o.received_at.date() >= date.fromisoformat(start)]
        page = orders[offset * per_page : (offset + 1) * per_page]
        pages = max((len(orders) + per_page - 1) // per_page, 1)
        return JSONResponse(
            {
                "data": {"items": [state.account.order_json(o) for o in page]},
                "context": request.url.path,
                "pagination": {
                    "per-page": per_page,
                    "page-offset": offset,
                    "item-offset": offset * per_page,
                    "total-items": len(orders),
                    "total-pages": pages,
                    "current-item-count": len(page),
                    "previous-link": None,
                    "next-link": None,
                    "paging-link-template": None,
                },
            }
        )

    @app.get("/accounts/{number}/orders/{order_id}")
    async def get_order(request: Request, number: str, order_id: int) -> Response:
        if order_id not in state.account.orders:
            return _not_found(f"no order {order_id}")
        return _data(request, state.account.order_json(state.account.read(order_id, state.clock())))

    @app.delete("/accounts/{number}/orders/{order_id}")
    async def cancel(request: Request, number: str, order_id: int) -> Response:
        if order_id not in state.account.orders:
            return _not_found(f"no order {order_id}")
        try:
            order = state.account.cancel(order_id, state.clock())
        except NotUpdatable:
            return JSONResponse(
                _error("cannot_update_order", "the order could not be cancelled"), status_code=422
            )
        return _data(request, state.account.order_json(order))

    @app.get("/market-metrics")
    async def market_metrics(request: Request) -> Response:
        symbols = [s for s in request.query_params.get("symbols", "").split(",") if s]
        items = [m for s in symbols if (m := state.market.market_metrics_json(s, state.clock())) is not None]
        return _data(request, {"items": items})

    @app.get("/instruments/equities/{symbol}")
    async def equity(request: Request, symbol: str) -> Response:
        if symbol not in state.market.equities:
            return _not_found(f"no equity {symbol}")
        return _data(request, state.market.equity_json(symbol))

    @app.get("/instruments/equity-options/{symbol:path}")
    async def equity_option(request: Request, symbol: str) -> Response:
        terms = state.market.option(symbol)
        if terms is None or terms.on_future:
            return _not_found(f"no equity option {symbol}")
        return _data(request, state.market.option_json(terms))

    @app.get("/instruments/futures")
    async def futures(request: Request) -> Response:
        codes = request.query_params.getlist("product-code[]")
        symbols = request.query_params.getlist("symbol[]")
        items = [
            state.market.future_json(f)
            for f in sorted(state.market.futures.values(), key=lambda f: (f.product, f.expiry))
            if (not codes or f.product in codes) and (not symbols or f.symbol in symbols)
        ]
        return _data(request, {"items": items})

    @app.get("/instruments/futures/{symbol}")
    async def future(request: Request, symbol: str) -> Response:
        contract = state.market.futures.get("/" + symbol.lstrip("/"))
        if contract is None:
            return _not_found(f"no future {symbol}")
        return _data(request, state.market.future_json(contract))

    @app.get("/instruments/future-options/{symbol:path}")
    async def future_option(request: Request, symbol: str) -> Response:
        terms = state.market.option(symbol)
        if terms is None or not terms.on_future:
            return _not_found(f"no future option {symbol}")
        return _data(request, state.market.future_option_json(terms))

    @app.get("/option-chains/{symbol}/nested")
    async def nested_chain(request: Request, symbol: str) -> Response:
        items = state.market.nested_chain_json(symbol)
        if not items:
            return _not_found(f"no option chain for {symbol}")
        return _data(request, {"items": items})

    @app.get("/futures-option-chains/{symbol}/nested")
    async def nested_future_option_chain(request: Request, symbol: str) -> Response:
        if not any(f.product == symbol for f in state.market.futures.values()):
            return _not_found(f"no futures option chain for {symbol}")
        return _data(request, state.market.nested_future_option_chain_json(symbol))

    return app


def _placement(state: FakeApiState, body: dict[str, Any], change: Decimal) -> dict[str, Any]:
    """The buying-power effect and fees of an order (signs as `*-effect`, amounts unsigned)."""
    legs = body["legs"]
    fees = state.account.fees(legs)
    current = state.account.buying_power()
    impact = change + fees
    contracts = sum(
        (Decimal(str(leg["quantity"])) for leg in legs if state.market.option(leg["symbol"])), Decimal(0)
    )
    regulatory, clearing = contracts * Decimal("0.02"), contracts * Decimal("0.10")
    return {
        "warnings": [],
        "buying-power-effect": {
            **_signed("change-in-margin-requirement", change),
            **_signed("change-in-buying-power", impact),
            **_signed("current-buying-power", -current),
            **_signed("new-buying-power", -(current - impact)),
            **_signed("isolated-order-margin-requirement", change),
            "is-spread": len(legs) > 1,
            "impact": str(abs(impact)),
            "effect": _effect(impact),
        },
        "fee-calculation": {
            **_signed("regulatory-fees", regulatory),
            **_signed("clearing-fees", clearing),
            **_signed("commission", fees - regulatory - clearing),
            **_signed("proprietary-index-option-fees", Decimal(0)),
            **_signed("total-fees", fees),
        },
    }


def _signed(key: str, cost: Decimal) -> dict[str, str]:
    """`cost` > 0 takes from the account (Debit); < 0 gives to it (Credit)."""
    return {key: str(abs(cost)), f"{key}-effect": _effect(cost)}


def _effect(cost: Decimal) -> str:
    return "Debit" if cost > 0 else "Credit" if cost < 0 else "None"


def _data(request: Request, data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data, "context": request.url.path}, status_code=status)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _not_found(message: str) -> JSONResponse:
    return JSONResponse(_error("record_not_found", message), status_code=404)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
