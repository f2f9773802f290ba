"""Approval nonces in the `dd-nonces` bucket: consumed by an atomic create, so a second use fails.

The key is the SHA-256 of the nonce (a nonce may hold characters a key may not, and the bucket
then holds no nonce in the clear); the value is the approval that consumed it. Entries expire after
a day: an approval lives five minutes at most, so an older nonce can never verify again anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from deltadesk.execution.adapters.order_store import open_bucket
from deltadesk.shared.subjects import NONCES_BUCKET

NONCE_TTL_S = 24 * 3600.0


@dataclass(frozen=True)
class NonceUse:
    first: bool  # this call consumed it
    holder: UUID | None  # the approval that consumed it (this one when `first`)


class NonceLedger:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> NonceLedger:
        kv = await open_bucket(js, NONCES_BUCKET, description="consumed approval nonces", ttl_s=NONCE_TTL_S)
        return cls(kv)

    async def consume(self, nonce: str, approval_id: UUID) -> NonceUse:
        key = hashlib.sha256(nonce.encode()).hexdigest()
        try:
            await self._kv.create(key, str(approval_id).encode())
        except nats.js.errors.KeyWrongLastSequenceError:
            return NonceUse(first=False, holder=await self._holder(key))
        return NonceUse(first=True, holder=approval_id)

    async def _holder(self, key: str) -> UUID | None:
        try:
            entry = await self._kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            return None
        try:
            return UUID((entry.value or b"").decode())
        except ValueError:
            return None
