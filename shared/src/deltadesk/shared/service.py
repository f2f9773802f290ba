"""How a service plugs into the `deltadesk` CLI: a spec found through the `deltadesk.services` group."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from deltadesk.shared.settings import DeskSettings

SERVICE_GROUP = "deltadesk.services"
COMMAND_GROUP = "deltadesk.commands"
PREPARE_GROUP = "deltadesk.prepare"  # `deltadesk up` runs these before starting services


@dataclass
class Prepared:
    """What a `deltadesk.prepare` hook hands `deltadesk up`: settings overrides for every service
    (e.g. the URL of an embedded server it started) and lines to print beside the page's URL.

    A hook is `prepare(settings: DeskSettings, stack: contextlib.ExitStack) -> Prepared`; whatever it
    starts it registers on the stack, which `up` closes after every service has stopped.
    """

    overrides: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    """`run(settings, stop)` is the service's composition root: it connects, serves until `stop` is
    set, then drains. `url` names the address a person opens, when the service has one."""

    name: str
    settings: type[DeskSettings]
    run: Callable[[Any, asyncio.Event], Awaitable[None]]
    url: Callable[[Any], str] | None = None
    health_path: str = "/api/health"


def discover_services() -> dict[str, ServiceSpec]:
    found: dict[str, ServiceSpec] = {}
    for ep in entry_points(group=SERVICE_GROUP):
        spec = ep.load()
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a ServiceSpec")
        found[spec.name] = spec
    return dict(sorted(found.items()))
