"""gateway: the desk's web page and API, and the bus's bridge to the browser.

`run` refuses to start exposed without a password, loads the password check and the approval signing
key, connects the bus, follows RISK_UPDATED, MD_BROKER_STATUS, EXEC_STATE and JOURNAL_SNAPSHOT
(hydrated from KV, so a gateway that starts late shows the current state at once) and EXEC_ORDER
(hydrated from execution's order list, retried until execution answers), and serves the FastAPI
app with uvicorn inside the same event loop. On stop it ends every event stream first, so uvicorn's
graceful shutdown has no open stream to wait for, then drains the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import uvicorn

from deltadesk.gateway.app import create_app
from deltadesk.gateway.bridge import DeskLink
from deltadesk.gateway.context import OrderPath
from deltadesk.gateway.domain.blotter import entry_from_view
from deltadesk.gateway.domain.throttle import LoginThrottle
from deltadesk.gateway.errors import ServeFailed
from deltadesk.gateway.gatekeeper import Access
from deltadesk.gateway.password import check_exposure, load_password_check
from deltadesk.gateway.sessions import SessionStore
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.gateway.signer import ApprovalSigner
from deltadesk.gateway.state import DeskState
from deltadesk.shared.bus import Bus
from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.errors import DeskError
from deltadesk.shared.messages import Event
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.subjects import (
    EXEC_ORDER,
    EXEC_STATE,
    GATEWAY,
    JOURNAL_SNAPSHOT,
    MD_BROKER_STATUS,
    RISK_UPDATED,
    Delivery,
    Subject,
)

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


HYDRATE_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


async def run(settings: GatewaySettings, stop: asyncio.Event, *, clock: Clock | None = None) -> None:
    check_exposure(settings)
    password = await asyncio.to_thread(load_password_check, settings)
    clock = clock or SystemClock()
    signer = ApprovalSigner.load(settings.approval_keys)
    if not signer.ready:
        logger.warning("approvals disabled", extra={"reason": signer.problem})
    bus = await Bus.connect(settings.require_nats_url(), GATEWAY)
    state = DeskState()
    hydrating: asyncio.Task[None] | None = None
    leaving = asyncio.Event()  # set when run() returns, whatever the reason
    try:
        for route in ROUTES:
            await follow(bus, state, route)
        logger.info(
            "gateway state hydrated",
            extra={"accounts_with_risk": len(state.risks), "broker_statuses": len(state.statuses)},
        )
        link = DeskLink(
            bus,
            timeout_s=settings.gateway_request_timeout_s,
            simulate_timeout_s=settings.gateway_simulate_timeout_s,
        )
        hydrating = asyncio.create_task(hydrate_orders(link, state, stop, leaving), name="gateway:blotter")
        access = Access(
            password=password,
            sessions=SessionStore(
                idle_s=settings.gateway_session_idle_s, max_s=settings.gateway_session_max_s
            ),
            throttle=LoginThrottle(),
            clock=clock,
            user=settings.ui_user,
            cookie_secure=settings.gateway_cookie_secure,
        )
        app = create_app(
            state,
            access=access,
            orders_path=OrderPath(
                link=link, signer=signer, approval_ttl=timedelta(seconds=settings.gateway_approval_ttl_s)
            ),
            stale_after_s=settings.gateway_stale_after_s,
            keepalive_s=settings.gateway_keepalive_s,
        )
        server = LoopServer(
            uvicorn.Config(
                app,
                host=settings.gateway_host,
                port=settings.gateway_port,
                lifespan="off",
                log_config=None,  # the desk configured logging once at its entry point
                log_level="warning",  # its start/stop lines repeat ours; its warnings and errors still show
                access_log=False,
                timeout_graceful_shutdown=settings.gateway_shutdown_timeout_s,
            )
        )
        await serve_until(server, state, stop, page_url(settings))
    finally:
        leaving.set()
        if hydrating is not None:
            hydrating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hydrating
        state.close()
        await bus.close()


async def follow(bus: Bus, state: DeskState, route: Route[Any]) -> None:
    """Subscribe first, then read KV: a live message that overtakes the KV value is not lost, and
    the older KV value cannot replace it (DeskState keeps the newer). A stream subject is followed
    live with a core subscription; its history comes from its owner (hydrate_orders)."""

    async def handle(event: Event) -> None:
        route.apply(state, event)

    await bus.subscribe(route.subject, handle)
    if route.subject.delivery is Delivery.KV:
        for event in await bus.latest_matching(route.subject):
            route.apply(state, event)


async def hydrate_orders(link: DeskLink, state: DeskState, *until: asyncio.Event) -> None:
    """The blotter's orders from before the gateway started: asked of execution until it answers
    (live order events are followed meanwhile, and the newer of the two wins), or until any of
    `until` is set. The events, not only cancellation, end it: a cancel that lands while a bus
    request is failing can surface as that request's error instead, and must not keep it retrying."""
    attempt = 0
    while not any(event.is_set() for event in until):
        try:
            reply = await link.orders()
        except DeskError as exc:
            delay = HYDRATE_BACKOFF_S[min(attempt, len(HYDRATE_BACKOFF_S) - 1)]
            attempt += 1
            logger.info("blotter not hydrated yet", extra={"reason": str(exc), "retry_s": delay})
            await first_set(until, delay)
            continue
        for view in reply.orders:
            state.apply_order(entry_from_view(view))
        logger.info("blotter hydrated", extra={"orders": len(reply.orders)})
        return


async def serve_until(server: uvicorn.Server, state: DeskState, stop: asyncio.Event, url: str) -> None:
    serving = asyncio.create_task(_serve(server, url), name="gateway:http")
    stopping = asyncio.create_task(stop.wait(), name="gateway:stop")
    try:
        await asyncio.wait((serving, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        state.close()  # every /api/stream ends now instead of holding the shutdown open
        server.should_exit = True
        await serving  # graceful, bounded by timeout_graceful_shutdown; raises if serving failed


async def _serve(server: uvicorn.Server, url: str) -> None:
    logger.info("gateway serving", extra={"url": url})
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn calls sys.exit when it cannot bind or start
        raise ServeFailed(f"the gateway could not serve on {url}; see the log above") from exc
    if not server.should_exit:
        raise ServeFailed(f"the gateway's HTTP server on {url} stopped on its own")


class LoopServer(uvicorn.Server):
    """uvicorn inside the desk's event loop: the desk's stop event handles signals, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def page_url(settings: GatewaySettings) -> str:
    """The address a person opens: a wildcard bind is reached on loopback; IPv6 goes in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(
        settings.gateway_host, settings.gateway_host
    )
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.gateway_port}"


async def first_set(events: tuple[asyncio.Event, ...], timeout: float) -> None:
    """Return when any of `events` is set, or after `timeout` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@dataclass(frozen=True)
class Route(Generic[E]):
    subject: Subject[E]
    apply: Callable[[DeskState, E], bool]


SERVICE = ServiceSpec(name="gateway", settings=GatewaySettings, run=run, url=page_url)

ROUTES: tuple[Route[Any], ...] = (
    Route(RISK_UPDATED, DeskState.apply_risk),
    Route(MD_BROKER_STATUS, DeskState.apply_status),
    Route(EXEC_STATE, DeskState.apply_trading),
    Route(EXEC_ORDER, DeskState.apply_order_event),
    Route(JOURNAL_SNAPSHOT, DeskState.apply_snapshot),
)
