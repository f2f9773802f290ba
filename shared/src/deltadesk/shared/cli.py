"""The `deltadesk` command: `up` (the whole desk in one process), `run SERVICE`, and members' commands.

Services and extra commands are found through entry-point groups, so this module imports none of
them. Ctrl-C sets a stop event: every service drains and returns, then embedded servers stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from deltadesk.shared.embedded import EmbeddedNats, EmbeddedServerError
from deltadesk.shared.logs import configure_logging
from deltadesk.shared.service import COMMAND_GROUP, PREPARE_GROUP, Prepared, ServiceSpec, discover_services
from deltadesk.shared.settings import DeskSettings

logger = logging.getLogger("deltadesk")

RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except KeyboardInterrupt:  # a command without its own signal handling
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deltadesk", description="A self-hosted options trading desk.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    up = sub.add_parser(
        "up", help="start the whole desk in one process (embedded servers when none configured)"
    )
    up.set_defaults(func=cmd_up)

    run = sub.add_parser("run", help="run one service")
    run.add_argument("service", help="a service name (`deltadesk services` lists them)")
    run.set_defaults(func=cmd_run)

    services = sub.add_parser("services", help="list the installed services")
    services.set_defaults(func=cmd_services)

    for ep in entry_points(group=COMMAND_GROUP):
        try:
            register: Callable[[Any], None] = ep.load()
        except ImportError as exc:  # one broken member must not take the whole CLI down
            print(f"deltadesk: command group {ep.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        register(sub)
    return parser


def cmd_services(args: argparse.Namespace) -> int:
    for name, spec in discover_services().items():
        print(f"{name}\t{spec.settings.__module__}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    specs = discover_services()
    spec = specs.get(args.service)
    if spec is None:
        print(f"deltadesk: unknown service {args.service!r}; installed: {', '.join(specs)}", file=sys.stderr)
        return 2
    settings = spec.settings()
    configure_logging(settings.log_level, settings.log_format)
    if not settings.nats_url:
        print(
            "deltadesk: DELTADESK_NATS_URL must be set for `run` (use `up` for embedded servers)",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_serve([spec], {}, announce=spec.url is not None))


def cmd_up(args: argparse.Namespace) -> int:
    base = DeskSettings()
    configure_logging(base.log_level, base.log_format)
    overrides: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if not base.nats_url:
            try:
                nats_server = stack.enter_context(EmbeddedNats(base.data_dir / "nats"))
            except EmbeddedServerError as exc:
                print(f"deltadesk: could not start the embedded NATS server: {exc}", file=sys.stderr)
                return 1
            overrides["nats_url"] = nats_server.url
            print(f"deltadesk: embedded NATS with JetStream at {nats_server.url}", flush=True)
        notes: list[str] = []
        for hook in entry_points(group=PREPARE_GROUP):
            prepare: Callable[[DeskSettings, contextlib.ExitStack], Prepared] = hook.load()
            try:
                prepared = prepare(base.model_copy(update=overrides), stack)
            except Exception as exc:  # a hook that cannot prepare (a database that will not start)
                print(f"deltadesk: {hook.name}: {exc}", file=sys.stderr)
                return 1
            overrides.update(prepared.overrides)
            notes += prepared.notes
        specs = list(discover_services().values())
        return asyncio.run(_serve(specs, overrides, announce=True, notes=notes))


async def _serve(
    specs: list[ServiceSpec], overrides: dict[str, Any], *, announce: bool, notes: Sequence[str] = ()
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_signal() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            stop.set()  # first: a terminal that went away must not keep the desk running
            with contextlib.suppress(OSError):
                print("\ndeltadesk: stopping (Ctrl-C again to force)…", file=sys.stderr, flush=True)
        else:
            for task in asyncio.all_tasks(loop):
                if task is not asyncio.current_task(loop):
                    task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        async with asyncio.TaskGroup() as tg:
            for spec in specs:
                settings = spec.settings(**overrides)
                tg.create_task(_supervise(spec, settings, stop), name=f"service:{spec.name}")
                if announce and spec.url is not None:
                    announcement = _announce(spec, spec.url(settings), stop, notes)
                    tg.create_task(announcement, name=f"announce:{spec.name}")
    except asyncio.CancelledError:
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("deltadesk: stopped", file=sys.stderr, flush=True)
    return 0


async def _supervise(spec: ServiceSpec, settings: DeskSettings, stop: asyncio.Event) -> None:
    """Run a service until stop; if it fails, log it and start it again after a backoff."""
    attempt = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await spec.run(settings, stop)
            if stop.is_set():
                return
            logger.warning("service returned before stop; restarting", extra={"service": spec.name})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("service failed; restarting", extra={"service": spec.name})
        if time.monotonic() - started > 60:
            attempt = 0
        delay = RESTART_BACKOFF_S[min(attempt, len(RESTART_BACKOFF_S) - 1)]
        attempt += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _announce(spec: ServiceSpec, url: str, stop: asyncio.Event, notes: Sequence[str]) -> None:
    """Print the page's URL once it answers its health check, and the prepare hooks' notes."""
    health = url.rstrip("/") + spec.health_path
    while not stop.is_set():
        if await asyncio.to_thread(_answers, health):
            print(f"deltadesk is up: {url}", flush=True)
            for note in notes:
                print(f"  {note}", flush=True)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            status: int = response.status
            return status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


if __name__ == "__main__":
    raise SystemExit(main())
