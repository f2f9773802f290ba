"""From `deltadesk up` on an empty data folder to the first Greeks the page can show."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from deltadesk.gateway.testing import log_in_sync
from deltadesk.shared.embedded import free_port
from deltadesk.shared.testing import DeskProcess

CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "bench-password"


def up_to_first_greeks(runs: int = 3) -> dict[str, Any]:
    to_url, to_greeks = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="dd-bench-") as data:
            started = time.perf_counter()
            client = httpx.Client(trust_env=False)
            desk = DeskProcess(
                Path(data),
                free_port(),
                DELTADESK_CONFIG_DIR=str(CONFIG),
                DELTADESK_BETA_SOURCES="config",
                DELTADESK_UI_PASSWORD=PASSWORD,
            )
            try:
                url = desk.wait_for_url()
                to_url.append(time.perf_counter() - started)
                log_in_sync(client, PASSWORD, url)
                while True:
                    response = client.get(f"{url}/api/portfolio", params={"account": "PAPER"})
                    if response.status_code == 200 and response.json().get("status") == "ok":
                        to_greeks.append(time.perf_counter() - started)
                        break
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("no Greeks within 60 s of `deltadesk up`")
                    time.sleep(0.05)
            finally:
                client.close()
                desk.interrupt()
    return {
        "runs": runs,
        "to_url_printed_s": [round(t, 2) for t in to_url],
        "to_first_greeks_s": [round(t, 2) for t in to_greeks],
        "note": "embedded NATS, paper broker, config betas; until /api/portfolio (what the page renders)",
    }
