"""The page's password: generated once by `deltadesk up` and kept only as an argon2 hash; exposure rules."""

from __future__ import annotations

import asyncio
import re
import stat
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from deltadesk.gateway.errors import StartRefused
from deltadesk.gateway.password import (
    PasswordCheck,
    check_exposure,
    load_password_check,
    prepare,
    prepare_password,
)
from deltadesk.gateway.service import run
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.shared.settings import DeskSettings


def settings(tmp_path: Path, **fields: Any) -> GatewaySettings:
    return GatewaySettings(_env_file=None, data_dir=tmp_path / "data", **fields)


def test_first_up_generates_a_password_shows_it_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    config = settings(tmp_path)
    [note] = prepare_password(config).notes
    match = re.fullmatch(r"password: (\S+) \(shown once; stored as an argon2 hash in (.+)\)", note)
    assert match is not None, note
    password, where = match.groups()
    assert len(password) >= 20
    path = config.password_hash_file
    assert where == str(path)
    stored = path.read_text()
    assert password not in stored
    assert stored.startswith("$argon2id$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_password_check(config).matches(password)
    assert not load_password_check(config).matches(password + "x")


def test_a_later_up_keeps_the_password_and_never_shows_it_again(tmp_path: Path) -> None:
    config = settings(tmp_path)
    [first] = prepare_password(config).notes
    stored = config.password_hash_file.read_text()
    [second] = prepare_password(config).notes
    password = first.split()[1]
    assert password not in second
    assert "delete it for a new one" in second
    assert config.password_hash_file.read_text() == stored


def test_a_configured_password_needs_no_file(tmp_path: Path) -> None:
    config = settings(tmp_path, ui_password=SecretStr("from-the-environment"))
    [note] = prepare_password(config).notes
    assert "from-the-environment" not in note
    assert not config.password_hash_file.exists()
    assert load_password_check(config).matches("from-the-environment")


def test_the_prepare_hook_reads_the_gateways_own_settings(tmp_path: Path) -> None:
    base = DeskSettings(_env_file=None, data_dir=tmp_path / "data")
    prepared = prepare(base, ExitStack())
    assert prepared.notes[0].startswith("password: ")
    assert (tmp_path / "data" / "gateway" / "ui-password.argon2").exists()


def test_without_a_password_or_a_hash_the_gateway_will_not_start(tmp_path: Path) -> None:
    with pytest.raises(StartRefused, match="DELTADESK_UI_PASSWORD"):
        load_password_check(settings(tmp_path))


def test_a_file_that_holds_no_hash_is_refused(tmp_path: Path) -> None:
    config = settings(tmp_path)
    config.password_hash_file.parent.mkdir(parents=True)
    config.password_hash_file.write_text("plaintext-password\n")
    with pytest.raises(StartRefused, match="no argon2 hash"):
        load_password_check(config)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_listening_beyond_loopback_needs_a_password_set_explicitly(tmp_path: Path, host: str) -> None:
    exposed = settings(tmp_path, gateway_host=host)
    with pytest.raises(StartRefused, match=r"DELTADESK_UI_PASSWORD"):
        check_exposure(exposed)
    with pytest.raises(StartRefused):
        prepare_password(exposed)  # `up` refuses before generating anything
    assert not exposed.password_hash_file.exists()
    check_exposure(settings(tmp_path, gateway_host=host, ui_password=SecretStr("set-on-purpose")))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_is_fine_with_a_generated_password(tmp_path: Path, host: str) -> None:
    check_exposure(settings(tmp_path, gateway_host=host))


async def test_run_refuses_an_exposed_gateway_before_touching_the_bus(tmp_path: Path) -> None:
    exposed = settings(tmp_path, gateway_host="0.0.0.0", nats_url="nats://127.0.0.1:1")
    with pytest.raises(StartRefused, match="beyond this machine"):
        await asyncio.wait_for(run(exposed, asyncio.Event()), 10)


def test_a_password_check_refuses_garbage_hashes_without_raising() -> None:
    assert PasswordCheck("not-a-hash").matches("anything") is False
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    assert PasswordCheck.from_password("s3cret", hasher).matches("s3cret")
