"""What a broker feed must quote, and how its up/down status moves. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from deltadesk.shared.broker import SPX, VIX
from deltadesk.shared.events import BrokerState
from deltadesk.shared.positions import Position

BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


def quote_symbols(positions: Iterable[Position]) -> tuple[str, ...]:
    """SPX and VIX first, then every held underlying by the contract that prices it, each once."""
    symbols: dict[str, None] = {SPX: None, VIX: None}
    for position in positions:
        symbols[position.underlying_contract or position.underlying] = None
    return tuple(symbols)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    state: BrokerState | None = None  # None until the first poll answered or failed
    reason: str | None = None


def next_status(current: FeedStatus, *, ok: bool, reason: str | None = None) -> tuple[FeedStatus, bool]:
    """The status after a poll, and whether it changed enough to publish (state or reason)."""
    new = FeedStatus(BrokerState.UP, None) if ok else FeedStatus(BrokerState.DOWN, reason)
    return new, new != current


def backoff_s(failures: int, ceiling: float) -> float:
    """Seconds to wait after `failures` consecutive failed polls (0 → none)."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_S[min(failures - 1, len(BACKOFF_S) - 1)], ceiling)
