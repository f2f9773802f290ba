"""The embedded nats-server: starts with JetStream, stops cleanly, never outlives a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nats
import pytest

from deltadesk.shared.embedded import EmbeddedNats, pid_alive

pytestmark = pytest.mark.integration


async def test_embedded_server_has_jetstream_and_stops(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats").start()
    try:
        nc = await nats.connect(server.url)
        info = await nc.jetstream().account_info()
        assert info.limits is not None
        await nc.close()
        pid = server._proc.pid if server._proc else 0
    finally:
        server.stop()
    assert not _running(pid)
    assert (tmp_path / "nats" / "jetstream").is_dir()


def test_a_killed_parent_leaves_no_server_behind(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from deltadesk.shared.embedded import EmbeddedNats\n"
        f"s = EmbeddedNats(Path({str(tmp_path)!r})).start()\n"
        "print(s._proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _running(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "nats-server outlived its killed parent"


def _running(pid: int) -> bool:
    """Alive and not a zombie (this machine's PID 1 does not reap orphans)."""
    if not pid or not pid_alive(pid):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pid_alive_of_this_process() -> None:
    assert pid_alive(os.getpid())
