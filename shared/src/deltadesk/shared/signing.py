"""Approval signatures: the gateway signs with an Ed25519 private key, execution verifies with the
public key. Execution never holds the private key, so nothing but the gateway can mint an approval.

`deltadesk up` creates the key pair under `<data dir>/keys/` on first start (private key readable by
its owner only). A deployment points each service at its own key file instead.
"""

from __future__ import annotations

import argparse
import base64
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deltadesk.shared.orders import Approval
from deltadesk.shared.service import Prepared
from deltadesk.shared.settings import DeskSettings

PRIVATE_KEY_FILE = "approval-signing.key"
PUBLIC_KEY_FILE = "approval-signing.pub"


def ensure_keypair(directory: Path) -> tuple[Path, Path]:
    """Create the key pair once; later calls keep the existing one. Returns (private, public) paths."""
    private, public = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    if private.exists() and public.exists():
        return private, public
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_verify_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def sign_approval(approval: Approval, key: Ed25519PrivateKey) -> Approval:
    signature = base64.b64encode(key.sign(approval.signed_bytes())).decode()
    return approval.model_copy(update={"signature": signature})


def signature_valid(approval: Approval, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(approval.signature, validate=True), approval.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


def prepare(settings: DeskSettings, stack: ExitStack) -> Prepared:
    """`deltadesk up`: make sure the approval key pair exists under the data folder."""
    ensure_keypair(settings.approval_keys)
    return Prepared()


def register(sub: Any) -> None:
    parser = sub.add_parser("keys", help="the approval signing key pair")
    actions = parser.add_subparsers(dest="keys_action", required=True)
    init = actions.add_parser("init", help="create the key pair once (kept if it exists)")
    init.add_argument(
        "--dir", type=Path, default=None, help="folder (default: DELTADESK_APPROVAL_KEY_DIR or data/keys)"
    )
    init.set_defaults(func=cmd_keys_init)


def cmd_keys_init(args: argparse.Namespace) -> int:
    directory = args.dir or DeskSettings().approval_keys
    private, public = ensure_keypair(directory)
    print(f"private key (gateway only): {private}\npublic key (execution, paper venue): {public}")  # noqa: T201
    return 0
