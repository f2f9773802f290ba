"""The gateway's approval signing key: loaded once from `settings.approval_keys`, used to sign.

Without the key the gateway still serves the page, but refuses every approval with a reason, rather
than send something execution would have to reject.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deltadesk.gateway.errors import SigningUnavailable
from deltadesk.shared.orders import Approval
from deltadesk.shared.signing import PRIVATE_KEY_FILE, load_signing_key, sign_approval


class ApprovalSigner:
    def __init__(self, key: Ed25519PrivateKey | None, source: Path, problem: str | None = None) -> None:
        self._key = key
        self.source = source
        self.problem = problem

    @classmethod
    def load(cls, key_dir: Path) -> ApprovalSigner:
        path = key_dir / PRIVATE_KEY_FILE
        try:
            return cls(load_signing_key(path), path)
        except FileNotFoundError:
            return cls(None, path, f"no approval signing key at {path}")
        except (ValueError, TypeError, OSError) as exc:
            return cls(None, path, f"the approval signing key at {path} cannot be used: {exc}")

    @property
    def ready(self) -> bool:
        return self._key is not None

    def sign(self, approval: Approval) -> Approval:
        if self._key is None:
            raise SigningUnavailable(f"{self.problem or 'no signing key'}: the gateway cannot approve orders")
        return sign_approval(approval, self._key)
