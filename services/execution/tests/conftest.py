"""Execution's service tests: its real `run` on a real NATS server (one per test), a FakeBroker
behind the Broker port, FakeRisk answering risk's what-if, and a gateway that signs approvals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from deltadesk.execution.settings import ExecutionSettings
from deltadesk.execution.testing import ExecutionHarness, FakeBroker
from deltadesk.shared.bus import Bus

BusFactory = Callable[[str], Awaitable[Bus]]


def desk_settings(nats_url: str, data_dir: Path, **overrides: Any) -> ExecutionSettings:
    """Fast tracking and short broker timeouts, so scenarios settle in a moment."""
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "data_dir": data_dir,
        "exec_tracking_interval_s": 0.05,
        "exec_approval_ack_wait_s": 2.0,
        "broker_timeout_s": 2.0,
        "exec_whatif_timeout_s": 3.0,
    }
    values.update(overrides)
    return ExecutionSettings(**values)


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def make_desk(
    nats_url: str, tmp_path: Path, bus_factory: BusFactory, broker: FakeBroker
) -> Callable[..., Awaitable[ExecutionHarness]]:
    """`await make_desk(**settings)`: a harness not started yet, to use as `async with`."""

    async def make(**overrides: Any) -> ExecutionHarness:
        settings = desk_settings(nats_url, tmp_path, **overrides)
        return ExecutionHarness(settings, broker, await bus_factory("gateway"), await bus_factory("risk"))

    return make


@pytest.fixture
async def desk(make_desk: Callable[..., Awaitable[ExecutionHarness]]) -> AsyncIterator[ExecutionHarness]:
    async with await make_desk() as harness:
        yield harness
