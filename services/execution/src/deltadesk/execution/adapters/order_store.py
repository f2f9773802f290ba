"""Order records in the `dd-orders` key-value bucket, one key per order, written compare-and-set.

Every write names the revision it read: when another writer got there first (a second delivery of
the same approval, a second execution process) the write fails, the store reads the new revision
and applies the change again, so a precondition checked inside the change (still SIMULATED, not
transmitted yet) is checked against what is really stored. Two writers can never both transmit.

A copy of every record is kept in memory for the blotter; the bucket is the truth on every write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ClassVar
from uuid import UUID

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue
from pydantic import ValidationError

from deltadesk.execution.domain.record import OrderRecord
from deltadesk.shared.errors import DomainError
from deltadesk.shared.subjects import ORDERS_BUCKET

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class OrderNotFound(DomainError):
    code: ClassVar[str] = "order_not_found"


class StoreConflict(Exception):
    """Another writer kept changing the record; the change was not applied."""


Change = Callable[[OrderRecord], OrderRecord]


async def open_bucket(
    js: JetStreamContext, name: str, *, description: str, ttl_s: float | None = None
) -> KeyValue:
    """The bucket, created on first use (another process may create it at the same moment)."""
    try:
        return await js.key_value(name)
    except nats.js.errors.BucketNotFoundError:
        config = KeyValueConfig(
            bucket=name, description=description, history=1, ttl=ttl_s, storage=StorageType.FILE
        )
        try:
            return await js.create_key_value(config)
        except nats.js.errors.BadRequestError:
            return await js.key_value(name)


class OrderStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._records: dict[UUID, tuple[OrderRecord, int]] = {}

    @classmethod
    async def open(cls, js: JetStreamContext) -> OrderStore:
        kv = await open_bucket(js, ORDERS_BUCKET, description="execution's order records")
        return cls(kv)

    async def load(self) -> list[OrderRecord]:
        """Read every record (at start). A record that does not parse is logged loudly and left in
        the bucket untouched: it is never overwritten by a guess."""
        try:
            keys = await self._kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        for key in keys:
            try:
                entry = await self._kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                continue
            record = self._parse(key, entry.value)
            if record is not None and entry.revision is not None:
                self._records[record.order_id] = (record, entry.revision)
        return self.all()

    def get(self, order_id: UUID) -> OrderRecord | None:
        held = self._records.get(order_id)
        return held[0] if held is not None else None

    def require(self, order_id: UUID) -> OrderRecord:
        record = self.get(order_id)
        if record is None:
            raise OrderNotFound(f"no order {order_id}")
        return record

    def all(self) -> list[OrderRecord]:
        return [record for record, _ in self._records.values()]

    async def create(self, record: OrderRecord) -> OrderRecord:
        revision = await self._kv.create(self._key(record.order_id), record.model_dump_json().encode())
        self._records[record.order_id] = (record, revision)
        return record

    async def update(self, order_id: UUID, change: Change) -> OrderRecord:
        """Apply `change` to the stored record and save it, compare-and-set. `change` may raise to
        refuse (the record is then unchanged); returning the same record saves nothing."""
        held = self._records.get(order_id)
        if held is None:
            held = await self._fetch_held(order_id)
        for _ in range(MAX_ATTEMPTS):
            record, revision = held
            changed = change(record)
            if changed is record:
                return record
            try:
                new_revision = await self._kv.update(
                    self._key(order_id), changed.model_dump_json().encode(), last=revision
                )
            except nats.js.errors.KeyWrongLastSequenceError:
                logger.info(
                    "order record changed underneath; reading it again", extra={"order_id": str(order_id)}
                )
                held = await self._fetch_held(order_id)
                continue
            self._records[order_id] = (changed, new_revision)
            return changed
        raise StoreConflict(f"order {order_id} kept changing; gave up after {MAX_ATTEMPTS} attempts")

    async def fetch(self, order_id: UUID) -> OrderRecord:
        """The stored record, read from the bucket (one another process may have written)."""
        record, _ = await self._fetch_held(order_id)
        return record

    async def _fetch_held(self, order_id: UUID) -> tuple[OrderRecord, int]:
        try:
            entry = await self._kv.get(self._key(order_id))
        except nats.js.errors.KeyNotFoundError as exc:
            raise OrderNotFound(f"no order {order_id}") from exc
        record = self._parse(entry.key, entry.value)
        if record is None or entry.revision is None:
            raise OrderNotFound(f"order {order_id} is stored but unreadable; see the log")
        self._records[order_id] = (record, entry.revision)
        return record, entry.revision

    @staticmethod
    def _key(order_id: UUID) -> str:
        return str(order_id)

    @staticmethod
    def _parse(key: str, value: bytes | None) -> OrderRecord | None:
        if not value:
            return None
        try:
            return OrderRecord.model_validate_json(value)
        except ValidationError as exc:
            logger.error(
                "order record unreadable: left as stored, not tracked",
                extra={"key": key, "errors": exc.error_count(), "first": str(exc.errors()[0]["msg"])},
            )
            return None
