"""Fixtures for every member's tests: a real NATS server (embedded unless DELTADESK_TEST_NATS_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from deltadesk.shared.bus import Bus
from deltadesk.shared.testing import nats_test_server


@pytest.fixture
def nats_url() -> Iterator[str]:
    with nats_test_server() as url:
        yield url


@pytest.fixture
async def bus_factory(nats_url: str) -> AsyncIterator[Callable[[str], object]]:
    """`await bus_factory("risk")` connects a Bus acting as that service; all are closed after."""
    opened: list[Bus] = []

    async def connect(service: str) -> Bus:
        bus = await Bus.connect(nats_url, service)
        opened.append(bus)
        return bus

    yield connect
    for bus in opened:
        await bus.close()
