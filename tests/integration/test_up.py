"""`deltadesk up` on embedded defaults: prints the URL once the page answers; Ctrl-C stops it all cleanly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deltadesk.gateway.testing import log_in_sync
from deltadesk.shared.embedded import free_port
from deltadesk.shared.testing import DeskProcess as Desk

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "up-test-password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Desk, int]]:
    port = free_port()
    process = Desk(
        tmp_path / "desk",
        port,
        DELTADESK_PAPER_SEED="3",
        DELTADESK_BETA_SOURCES="config",
        DELTADESK_CONFIG_DIR=str(CONFIG),
        DELTADESK_UI_PASSWORD=PASSWORD,
    )
    yield process, port
    process.stop()


def test_up_prints_the_url_serves_risk_and_stops_cleanly_on_ctrl_c(desk: tuple[Desk, int]) -> None:
    process, port = desk
    url = process.wait_for_url()
    assert url == f"http://127.0.0.1:{port}"
    nats_port = process.nats_port()

    client = httpx.Client(base_url=url, trust_env=False)
    log_in_sync(client, PASSWORD)
    deadline = time.monotonic() + 30
    portfolio: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = client.get("/api/portfolio", params={"account": "PAPER"})
        if response.status_code == 200 and response.json()["status"] == "ok":
            portfolio = response.json()
            break
        time.sleep(0.2)
    assert portfolio, "no risk for the paper account within 30 s"
    client.close()

    code, stderr = process.interrupt()
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert not _listening(nats_port), "the embedded nats-server outlived deltadesk"
    assert not _listening(port)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
