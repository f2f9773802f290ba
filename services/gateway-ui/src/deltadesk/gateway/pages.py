"""The server-rendered page: it shows the current numbers before any JavaScript runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from deltadesk.gateway.assets import PACKAGE, plotly_style_guards
from deltadesk.gateway.context import AccountQuery, CurrentSession, Gateway
from deltadesk.gateway.domain import figures
from deltadesk.gateway.domain.accounts import TOTAL, parse_account
from deltadesk.gateway.domain.dashboard import build_dashboard
from deltadesk.gateway.domain.journal import JOURNAL_STATES, REGIME_SUGGESTIONS, STRATEGY_SUGGESTIONS
from deltadesk.gateway.domain.trade import trade_accounts
from deltadesk.gateway.responses import TradingStatus

router = APIRouter()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader(PACKAGE, "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        signed=figures.signed,
        fixed=figures.fixed,
        money=figures.money,
        net_price=figures.net_price,
        quantity=figures.quantity,
        clock_time=figures.clock_time,
        hms=figures.hms,
        age=figures.age,
    )
    return env


templates = Jinja2Templates(env=_environment())


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    request: Request, gateway: Gateway, session: CurrentSession, account: AccountQuery = TOTAL
) -> HTMLResponse:
    state = gateway.state
    selected = parse_account(account)
    accounts = state.accounts()
    if selected not in accounts:
        accounts = (*accounts, selected)
    view = build_dashboard(
        selected,
        accounts,
        state.risks,
        state.statuses,
        now=gateway.clock.now(),
        stale_after_s=gateway.stale_after_s,
    )
    orders = state.orders()
    trading = TradingStatus.from_event(state.trading)
    initial_state = {
        "risks": {a: r.model_dump(mode="json") for a, r in state.risks.items()},
        "statuses": {a: s.model_dump(mode="json") for a, s in state.statuses.items()},
        "orders": [entry.model_dump(mode="json") for entry in reversed(orders)],
        "trading": state.trading.model_dump(mode="json") if state.trading else None,
        "snapshots": {a: s.model_dump(mode="json") for a, s in state.snapshots.items()},
    }
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "view": view,
            "stale_after_s": gateway.stale_after_s,
            "initial_state": initial_state,
            "csrf_token": session.csrf_token,
            "user": session.user,
            "orders": orders,
            "trading": trading,
            "trade_accounts": trade_accounts(state.brokers(), accounts),
            "brokers": state.brokers(),
            "order_path": gateway.orders is not None,
            "snapshot": state.snapshots.get(selected),
            "journal_states": [s.value for s in JOURNAL_STATES],
            "strategy_suggestions": STRATEGY_SUGGESTIONS,
            "regime_suggestions": REGIME_SUGGESTIONS,
            "plotly_guards": plotly_style_guards(),
        },
    )
