"""Test support every member's tests share: a real NATS server per test and `eventually`.

The server comes from `DELTADESK_TEST_NATS_URL` when set (its desk streams and buckets are wiped
first), otherwise from the same embedded nats-server `deltadesk up` uses, on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
