"""The page's one password: where it comes from, how it is kept, and when the gateway may expose it.

The password is `DELTADESK_UI_PASSWORD` when set. Otherwise `deltadesk up` generates one on first
start, prints it once beside the page's URL and keeps only its argon2 hash (owner-readable) under the
data folder; delete that file to get a new one. The gateway never stores or logs a password in clear.

Listening on anything but loopback exposes the desk to the network, so it needs a password that was
set explicitly, not one a log or a terminal scrollback may have kept.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import ExitStack
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deltadesk.gateway.errors import StartRefused
from deltadesk.gateway.settings import GatewaySettings
from deltadesk.shared.service import Prepared
from deltadesk.shared.settings import DeskSettings

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
GENERATED_BYTES = 15  # 20 URL-safe characters, about 120 bits


class PasswordCheck:
    """Verifies a password against an argon2 hash; the hash's own parameters set the cost."""

    def __init__(self, password_hash: str, hasher: PasswordHasher | None = None) -> None:
        self._hash = password_hash
        self._hasher = hasher or PasswordHasher()

    @classmethod
    def from_password(cls, password: str, hasher: PasswordHasher | None = None) -> PasswordCheck:
        hasher = hasher or PasswordHasher()
        return cls(hasher.hash(password), hasher)

    def matches(self, password: str) -> bool:
        try:
            return self._hasher.verify(self._hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, password: str) -> bool:
        """`matches` off the event loop: an argon2 verification takes tens of milliseconds of CPU."""
        return await asyncio.to_thread(self.matches, password)


def check_exposure(settings: GatewaySettings) -> None:
    """Refuse to listen beyond loopback without a password set in DELTADESK_UI_PASSWORD."""
    if settings.gateway_host not in LOOPBACK and settings.ui_password is None:
        raise StartRefused(
            f"the gateway would listen on {settings.gateway_host}, beyond this machine, with no password "
            "set: "
            "set DELTADESK_UI_PASSWORD (or DELTADESK_GATEWAY_HOST=127.0.0.1)"
        )


def load_password_check(settings: GatewaySettings) -> PasswordCheck:
    """The check for the configured password, or for the hash `deltadesk up` stored."""
    if settings.ui_password is not None:
        return PasswordCheck.from_password(settings.ui_password.get_secret_value())
    path = settings.password_hash_file
    try:
        stored = path.read_text().strip()
    except FileNotFoundError:
        raise StartRefused(
            f"no password for the page: set DELTADESK_UI_PASSWORD, or start `deltadesk up` once to generate "
            f"one (its hash goes to {path})"
        ) from None
    if not stored.startswith("$argon2"):
        raise StartRefused(
            f"{path} holds no argon2 hash; delete it and start `deltadesk up` to make a new one"
        )
    return PasswordCheck(stored)


def generate_password(path: Path, hasher: PasswordHasher | None = None) -> str | None:
    """Create a random password and store its hash at `path` (owner-only); None when one exists."""
    if path.exists():
        return None
    password = secrets.token_urlsafe(GENERATED_BYTES)
    digest = (hasher or PasswordHasher()).hash(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another `up` got there first: its password stands
        return None
    with os.fdopen(fd, "w") as handle:
        handle.write(digest + "\n")
    return password


def prepare_password(settings: GatewaySettings) -> Prepared:
    check_exposure(settings)
    if settings.ui_password is not None:
        return Prepared(notes=["password: the one set in DELTADESK_UI_PASSWORD"])
    path = settings.password_hash_file
    password = generate_password(path)
    if password is None:
        return Prepared(
            notes=[
                f"password: the one shown when it was generated (its hash is {path}; delete it for a new one)"
            ]
        )
    return Prepared(notes=[f"password: {password} (shown once; stored as an argon2 hash in {path})"])


def prepare(settings: DeskSettings, stack: ExitStack) -> Prepared:
    """`deltadesk up`: refuse an exposed gateway without a password; make one on first start."""
    return prepare_password(GatewaySettings(**settings.model_dump()))
