"""gateway: keeps the latest risk and broker status from the bus and serves them to the browser.

`run` connects the bus, follows RISK_UPDATED and MD_BROKER_STATUS for every account (hydrated from
KV, so a gateway that starts late shows the current state at once), and serves the FastAPI app with
uvicorn inside the same event loop. On stop it ends every event stream first, so uvicorn's graceful
shutdown has no open stream to wait for, then drains the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import uvicorn

from deltadesk.gateway.app import create_app
from deltadesk.gateway.errors import ServeFailed
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.gateway.state import DeskState
from deltadesk.shared.bus import Bus
from deltadesk.shared.messages import Event
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.subjects import GATEWAY, MD_BROKER_STATUS, RISK_UPDATED, Subject

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


async def run(settings: GatewaySettings, stop: asyncio.Event) -> None:
    bus = await Bus.connect(settings.require_nats_url(), GATEWAY)
    state = DeskState()
    try:
        for route in ROUTES:
            await follow(bus, state, route)
        logger.info(
            "gateway state hydrated",
            extra={"accounts_with_risk": len(state.risks), "broker_statuses": len(state.statuses)},
        )
        app = create_app(
            state, stale_after_s=settings.gateway_stale_after_s, keepalive_s=settings.gateway_keepalive_s
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
        state.close()
        await bus.close()


async def follow(bus: Bus, state: DeskState, route: Route[Any]) -> None:
    """Subscribe first, then read KV: a live message that overtakes the KV value is not lost, and
    the older KV value cannot replace it (DeskState keeps the newer)."""

    async def handle(event: Event) -> None:
        route.apply(state, event)

    await bus.subscribe(route.subject, handle)
    for event in await bus.latest_matching(route.subject):
        route.apply(state, event)


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


@dataclass(frozen=True)
class Route(Generic[E]):
    subject: Subject[E]
    apply: Callable[[DeskState, E], bool]


SERVICE = ServiceSpec(name="gateway", settings=GatewaySettings, run=run, url=page_url)

ROUTES: tuple[Route[Any], ...] = (
    Route(RISK_UPDATED, DeskState.apply_risk),
    Route(MD_BROKER_STATUS, DeskState.apply_status),
)
