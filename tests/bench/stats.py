"""Summaries of timing samples, in milliseconds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    ordered = sorted(s * 1000 for s in samples_s)

    def pct(p: float) -> float:
        index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
        return round(ordered[index], 4)

    return {
        "n": len(ordered),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered), 4),
        "max_ms": round(ordered[-1], 4),
    }
