import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from deltadesk.shared.orders import Approval
from deltadesk.shared.signing import (
    ensure_keypair,
    load_signing_key,
    load_verify_key,
    sign_approval,
    signature_valid,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def approval(**overrides: object) -> Approval:
    data: dict[str, object] = {
        "approval_id": uuid4(),
        "order_id": uuid4(),
        "simulation_id": uuid4(),
        "order_hash": "a" * 64,
        "nonce": "n" * 32,
        "issued_at": NOW,
        "expires_at": NOW + timedelta(seconds=60),
        "user": "trader",
    }
    data.update(overrides)
    return Approval.model_validate(data)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return ensure_keypair(tmp_path / "keys")


def test_a_signed_approval_verifies_with_the_public_key(keys: tuple[Path, Path]) -> None:
    private, public = keys
    signed = sign_approval(approval(), load_signing_key(private))
    assert signature_valid(signed, load_verify_key(public))


@pytest.mark.parametrize(
    "change",
    [
        {"order_hash": "b" * 64},
        {"expires_at": NOW + timedelta(days=1)},
        {"user": "intruder"},
        {"nonce": "m" * 32},
        {"order_id": uuid4()},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(
    keys: tuple[Path, Path], change: dict[str, object]
) -> None:
    private, public = keys
    signed = sign_approval(approval(), load_signing_key(private))
    assert not signature_valid(signed.model_copy(update=change), load_verify_key(public))


def test_another_key_or_garbage_does_not_verify(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, _ = keys
    _, other_public = ensure_keypair(tmp_path / "other")
    signed = sign_approval(approval(), load_signing_key(private))
    assert not signature_valid(signed, load_verify_key(other_public))
    assert not signature_valid(
        signed.model_copy(update={"signature": "not base64!"}), load_verify_key(keys[1])
    )
    assert not signature_valid(approval(), load_verify_key(keys[1]))


def test_the_key_pair_is_made_once_and_the_private_key_is_owner_only(tmp_path: Path) -> None:
    private, public = ensure_keypair(tmp_path / "keys")
    first = private.read_bytes()
    assert ensure_keypair(tmp_path / "keys") == (private, public)
    assert private.read_bytes() == first
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
