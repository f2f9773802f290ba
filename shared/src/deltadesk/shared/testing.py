"""Test support every member's tests share: a real NATS server per test and `eventually`.

The server comes from `DELTADESK_TEST_NATS_URL` when set (its desk streams and buckets are wiped
first), otherwise from the same embedded nats-server `deltadesk up` uses, on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar, overload

import nats
import nats.js.errors

from deltadesk.shared.embedded import EmbeddedNats

T = TypeVar("T")


@contextlib.contextmanager
def nats_test_server() -> Iterator[str]:
    url = os.environ.get("DELTADESK_TEST_NATS_URL")
    if url:
        asyncio.run(_wipe(url))
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="dd-nats-") as store, EmbeddedNats(Path(store)) as server:
        yield server.url


async def _wipe(url: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            name = info.config.name or ""
            if name.startswith(("DD_", "KV_dd-")):
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_stream(name)
    finally:
        await nc.close()


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = ..., interval: float = ..., what: str = ...
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None], *, timeout: float = ..., interval: float = ..., what: str = ...
) -> T: ...


async def eventually(
    probe: Callable[[], Awaitable[T | None]] | Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "condition",
) -> T:
    """Poll `probe` until it returns something truthy; return it, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        result = probe()
        if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        last = result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s (last: {last!r})")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(coro: Awaitable[None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run a service coroutine in the background for the body of a with-block, then cancel it."""
    task: asyncio.Task[None] = asyncio.ensure_future(coro)
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def desk_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTADESK_")}
    env.update(
        DELTADESK_DATA_DIR=str(data_dir),
        DELTADESK_GATEWAY_PORT=str(port),
        DELTADESK_LOG_FORMAT="json",
        **extra,
    )
    return env


class DeskProcess:
    """A `deltadesk up` child process, read line by line until it says it is up."""

    def __init__(self, data_dir: Path, port: int, *, cwd: Path | None = None, **extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deltadesk.shared.cli", "up"],
            cwd=cwd,
            env=desk_env(data_dir, port, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def wait_for_url(self, timeout: float = 60) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            match = re.search(r"deltadesk is up: (http://\S+)", line)
            if match:
                return match.group(1)
        raise AssertionError(f"no URL printed; stdout: {self.lines}; stderr: {self.stop()[1][-3000:]}")

    def nats_port(self) -> int:
        for line in self.lines:
            match = re.search(r"nats://127\.0\.0\.1:(\d+)", line)
            if match:
                return int(match.group(1))
        raise AssertionError("no embedded NATS line")

    def interrupt(self, timeout: float = 30) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.kill()
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err
