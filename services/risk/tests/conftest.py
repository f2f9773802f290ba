"""Hand-written fakes of the risk service's ports: a clock that moves when told and beta sources."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from deltadesk.risk.betas import BetaSourceFailed
from deltadesk.shared.portfolio import Beta, BetaSource


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeBetaSource:
    """Answers from a dict; can fail, or hold every answer until `release()`."""

    def __init__(
        self,
        source: BetaSource,
        answers: Mapping[str, float] | None = None,
        *,
        fail: bool = False,
        held: bool = False,
    ) -> None:
        self.source = source
        self.answers = dict(answers or {})
        self.fail = fail
        self.calls: list[list[str]] = []
        self._gate = asyncio.Event()
        if not held:
            self._gate.set()

    def release(self) -> None:
        self._gate.set()

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]:
        self.calls.append(list(keys))
        await self._gate.wait()
        if self.fail:
            raise BetaSourceFailed(f"{self.source} is down")
        return {
            key: Beta(value=self.answers[key], source=self.source, method=f"fake {self.source}")
            for key in keys
            if key in self.answers
        }


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


@pytest.fixture
def beta_source() -> Callable[..., FakeBetaSource]:
    return FakeBetaSource
