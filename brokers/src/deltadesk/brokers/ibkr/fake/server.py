"""Serving the fake gateway the way the real one serves: HTTPS with a self-signed certificate made
at start (for localhost, 127.0.0.1 and ::1), in the caller's event loop.

    async with FakeGateway(GatewayState()) as gateway:
        settings = BrokerSettings(ibkr_account_id=gateway.state.account, ibkr_gateway_url=gateway.url)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deltadesk.brokers.ibkr.fake.app import PREFIX, create_app
from deltadesk.brokers.ibkr.fake.state import GatewayState


def write_self_signed(
    folder: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
) -> tuple[Path, Path]:
    """A fresh key and a self-signed certificate for `hosts`, as (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deltadesk fake IBKR gateway")])
    alternatives: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternatives.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "gateway.crt", folder / "gateway.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class _LoopServer(uvicorn.Server):
    """uvicorn in the caller's loop: the caller handles signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class FakeGateway:
    """The fake gateway on `host:port` (port 0: a free one) until the with-block ends."""

    def __init__(self, state: GatewayState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._server: _LoopServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}{PREFIX}"

    def url_for(self, host: str) -> str:
        """The same server under another host name (for TLS tests: same socket, other name)."""
        return f"https://{host}:{self.port}{PREFIX}"

    async def __aenter__(self) -> FakeGateway:
        self._folder = tempfile.TemporaryDirectory(prefix="dd-fake-ibkr-")
        cert, key = write_self_signed(Path(self._folder.name))
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, TLS records meet delayed ACKs (40 ms a request).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state),
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            timeout_graceful_shutdown=1,
        )
        self._server = _LoopServer(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the fake IBKR gateway stopped before it started")
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
