"""Run every benchmark and write one JSON report: `python -m tests.bench --output bench-report.json`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import ibkr, journal, orders, risk, up


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--output", type=Path, default=Path("bench-report.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
    }
    sections = {
        "risk_recompute_ms_by_positions": risk.recompute_times,
        "quote_to_greeks_on_bus": lambda: asyncio.run(risk.quote_to_greeks()),
        "up_to_first_greeks": up.up_to_first_greeks,
        "ibkr_positions_to_greeks": ibkr.bench_ibkr,
        "order_path": orders.bench_orders,
        "journal": journal.bench_journal,
    }
    failed = []
    for name, bench in sections.items():
        started = time.perf_counter()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            report[name] = bench()
        except Exception as exc:  # one broken section must not lose the others' numbers
            failed.append(name)
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
        report[name]["bench_seconds"] = round(time.perf_counter() - started, 2)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if failed:
        print(f"bench: failed sections: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
