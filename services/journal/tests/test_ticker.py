from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from deltadesk.journal.service import ClockTicker
from deltadesk.journal.testing import ManualTicker
from deltadesk.shared.clock import SystemClock
from deltadesk.shared.testing import eventually

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


async def test_the_clock_ticker_returns_at_once_for_an_instant_passed() -> None:
    ticker = ClockTicker(SystemClock())
    await asyncio.wait_for(ticker.wait_until(ticker.now() - timedelta(seconds=1), asyncio.Event()), 1)


async def test_the_clock_ticker_stops_waiting_when_told_to_stop() -> None:
    ticker = ClockTicker(SystemClock())
    stop = asyncio.Event()
    waiting = asyncio.create_task(ticker.wait_until(ticker.now() + timedelta(hours=1), stop))
    stop.set()
    await asyncio.wait_for(waiting, 1)


async def test_the_manual_ticker_waits_until_it_is_moved_past_the_instant() -> None:
    ticker = ManualTicker(START)
    waiting = asyncio.create_task(ticker.wait_until(START + timedelta(minutes=15), asyncio.Event()))
    assert await eventually(lambda: ticker.waiting) == START + timedelta(minutes=15)
    ticker.set(START + timedelta(minutes=5))
    done, _ = await asyncio.wait({waiting}, timeout=0.2)  # moved, but not far enough: still waiting
    assert not done
    ticker.set(START + timedelta(minutes=15))
    await asyncio.wait_for(waiting, 1)
    assert ticker.waiting is None
