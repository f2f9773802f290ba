"""deploy/nats-server.conf, generated from the catalog, really stops a service publishing what it may not."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from deltadesk.shared.embedded import free_port, nats_server_binary, wait_for_port
from deltadesk.shared.subjects import ACTORS

pytestmark = pytest.mark.integration
CONF = Path(__file__).resolve().parents[2] / "deploy" / "nats-server.conf"


def password(actor: str) -> str:
    return f"pw-{actor}"


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {"DD_NATS_PASSWORD_" + a.upper().replace("-", "_"): password(a) for a in ACTORS}
    proc = subprocess.Popen(
        [nats_server_binary(), "-c", str(CONF), "-p", str(port), "-sd", str(tmp_path), "-m", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 10, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def connect(address: str, actor: str, errors: list[str]) -> nats.NATS:
    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    return await nats.connect(f"nats://{actor}:{password(actor)}@{address}", error_cb=on_error)


async def test_a_service_may_publish_its_own_subjects_but_not_another_s(secured_nats: str) -> None:
    errors: list[str] = []
    watcher = await connect(secured_nats, "cli", errors)
    sub = await watcher.subscribe("dd.md.positions.*")
    await watcher.flush()

    market_data = await connect(secured_nats, "market-data", errors)
    await market_data.publish("dd.md.positions.PAPER", b"{}")
    gateway = await connect(secured_nats, "gateway", errors)
    await gateway.publish("dd.md.positions.PAPER", b"forged")
    await gateway.flush()

    msg = await sub.next_msg(timeout=5)
    assert msg.data == b"{}"
    with pytest.raises(nats.errors.TimeoutError):
        await sub.next_msg(timeout=0.5)
    await asyncio.sleep(0)  # let the error callback run
    assert any("permissions violation" in e.lower() for e in errors), errors
    for nc in (watcher, market_data, gateway):
        await nc.close()


def test_the_generated_configuration_is_valid() -> None:
    env = {"DD_NATS_PASSWORD_" + a.upper().replace("-", "_"): "x" for a in ACTORS}
    result = subprocess.run(
        [nats_server_binary(), "-c", str(CONF), "-t"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_only_execution_writes_nonces_and_nobody_deletes_a_stream(secured_nats: str) -> None:
    errors: list[str] = []
    execution = await connect(secured_nats, "execution", errors)
    kv = await execution.jetstream().create_key_value(bucket="dd-nonces", history=1)
    await kv.create("nonce-1", b"used")

    gateway = await connect(secured_nats, "gateway", errors)
    with pytest.raises(nats.errors.Error):  # a permission violation: no answer comes back
        await gateway.jetstream(timeout=1.0).delete_stream("KV_dd-nonces")
    with pytest.raises(nats.errors.Error):
        await (await gateway.jetstream(timeout=1.0).key_value("dd-nonces")).delete("nonce-1")
    with pytest.raises(nats.errors.Error):
        await execution.jetstream(timeout=1.0).purge_stream("KV_dd-nonces")
    entry = await kv.get("nonce-1")
    assert entry.value == b"used"
    for nc in (execution, gateway):
        await nc.close()
