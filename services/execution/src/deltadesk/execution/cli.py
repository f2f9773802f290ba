"""`deltadesk kill-switch on|off|status` and `deltadesk orders`: the trading state and the blotter in
a terminal, asked of the running execution service over the bus as the `cli` actor.

    deltadesk kill-switch on --reason "flash crash"   halt all transmission (cancels still go)
    deltadesk kill-switch off                          release it (ACTIVE)
    deltadesk kill-switch status                       the trading state, who set it and why
    deltadesk orders [--account A] [--limit N]         orders newest first, with their states

Needs DELTADESK_NATS_URL (the URL `deltadesk up` prints). A failure is one line on stderr, exit 1
(2 for bad usage); never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import nats
import nats.errors
from pydantic import ValidationError

from deltadesk.execution.settings import ExecutionSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import ListOrders, OrderList, OrderView, SetTradingState, TradingStateView
from deltadesk.shared.errors import DeskError, PeerUnavailable, RemoteError
from deltadesk.shared.events import TradingState
from deltadesk.shared.subjects import CLI, EXEC_ORDERS_LIST, EXEC_STATE, EXEC_STATE_SET

FAILED = 1
BAD_USAGE = 2
CONNECT_TIMEOUT_S = 10.0
T = TypeVar("T")


class CommandFailed(Exception):
    """The one line to print."""


def register(sub: Any) -> None:
    kill = sub.add_parser(
        "kill-switch", help="halt all order transmission, release it, or show the trading state"
    )
    kill.add_argument("action", choices=["on", "off", "status"], help="on: HALTED; off: ACTIVE; status: show")
    kill.add_argument("--reason", default=None, help="why (kept with the state; default names the command)")
    kill.set_defaults(func=cmd_kill_switch)

    orders = sub.add_parser("orders", help="the order blotter: orders newest first with their states")
    orders.add_argument("--account", default=None, help="only this account's orders")
    orders.add_argument("--limit", type=int, default=50, help="at most this many orders (1–1000, default 50)")
    orders.set_defaults(func=cmd_orders)


def cmd_kill_switch(args: argparse.Namespace) -> int:
    if args.action == "status":
        return _run("kill-switch", show_state)
    state = TradingState.HALTED if args.action == "on" else TradingState.ACTIVE
    reason = args.reason or f"kill switch {args.action} from the command line"
    return _run("kill-switch", lambda bus: set_state(bus, state, reason))


def cmd_orders(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 1000:
        print("deltadesk orders: --limit must be between 1 and 1000", file=sys.stderr)
        return BAD_USAGE
    return _run("orders", lambda bus: show_orders(bus, args.account, args.limit))


async def set_state(bus: Bus, state: TradingState, reason: str) -> str:
    request = SetTradingState(state=state, reason=reason, user=_user())
    view = await bus.request(EXEC_STATE_SET, request, TradingStateView)
    return _state_line(
        view.state, view.reason, view.changed_by, view.changed_at.isoformat(timespec="seconds")
    )


async def show_state(bus: Bus) -> str:
    current = await bus.latest(EXEC_STATE)
    if current is None:
        return "ACTIVE (never changed)"
    at = current.occurred_at.isoformat(timespec="seconds")
    return _state_line(current.state, current.reason, current.changed_by, at)


async def show_orders(bus: Bus, account: str | None, limit: int) -> str:
    listed = await bus.request(EXEC_ORDERS_LIST, ListOrders(account=account, limit=limit), OrderList)
    return blotter(listed.orders)


def blotter(orders: tuple[OrderView, ...]) -> str:
    """The orders as a fixed-width table, one line each (and the reason under a refused one)."""
    if not orders:
        return "no orders"
    rows = [("CREATED", "ORDER", "ACCOUNT", "STATE", "LEGS", "PRICE", "FILLED", "BROKER ID")]
    notes: dict[int, str] = {}
    for view in orders:
        order = view.order
        price = "MKT" if order.limit_price is None else _decimal(order.limit_price)
        legs = ", ".join(
            f"{leg.action.value} {leg.quantity} {leg.contract.symbol.strip()}" for leg in order.legs
        )
        rows.append(
            (
                order.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                order.order_id.hex[:8],
                order.account,
                view.state.value,
                legs,
                price,
                f"{_decimal(view.filled_quantity)}/{order.combo_quantity}",
                view.broker_order_id or "–",
            )
        )
        if view.reason:
            notes[len(rows) - 1] = f"{view.code or 'reason'}: {view.reason}"
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index in notes:
            lines.append(f"    ↳ {notes[index]}")
    return "\n".join(lines)


def _state_line(state: TradingState, reason: str, by: str, at: str) -> str:
    return f"{state.value} since {at} by {by or 'unknown'}: {reason}"


def _decimal(value: Decimal) -> str:
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return CLI


def _run(command: str, action: Callable[[Bus], Awaitable[str]]) -> int:
    try:
        settings = ExecutionSettings()
        if not settings.nats_url:
            raise CommandFailed("DELTADESK_NATS_URL is not set (the URL `deltadesk up` prints)")
        print(asyncio.run(_with_bus(settings.nats_url, action)))
    except ValidationError as exc:
        return _fail(command, f"settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    except CommandFailed as exc:
        return _fail(command, str(exc))
    return 0


async def _with_bus(url: str, action: Callable[[Bus], Awaitable[str]]) -> str:
    try:  # one attempt, no reconnect loop: a command fails fast and says why
        connecting = nats.connect(
            url,
            name="deltadesk-cli",
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
            connect_timeout=CONNECT_TIMEOUT_S,
            error_cb=_quiet,
        )
        nc = await asyncio.wait_for(connecting, CONNECT_TIMEOUT_S)
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise CommandFailed(f"cannot reach NATS at {url}: {str(exc) or type(exc).__name__}") from exc
    bus = Bus(nc, CLI)
    try:
        await bus.ensure_topology()
        return await action(bus)
    except PeerUnavailable as exc:
        raise CommandFailed(f"the execution service does not answer ({exc}); is the desk running?") from exc
    except RemoteError as exc:
        raise CommandFailed(f"{exc.remote_code}: {exc}") from exc
    except DeskError as exc:
        raise CommandFailed(f"{exc.code}: {exc}") from exc
    except (TimeoutError, nats.errors.Error) as exc:
        raise CommandFailed(f"the bus failed: {str(exc) or type(exc).__name__}") from exc
    finally:
        await bus.close()


async def _quiet(exc: Exception) -> None:
    """Connection errors surface as the command's one line, not as log noise."""


def _fail(command: str, reason: str) -> int:
    print(f"deltadesk {command}: {reason}", file=sys.stderr)
    return FAILED
