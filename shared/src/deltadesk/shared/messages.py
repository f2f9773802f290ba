"""The base of everything that travels on the bus: immutable messages, and events that happened."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Message(BaseModel):
    """A payload on the bus. Frozen, and strict about fields: a new field is a schema-version bump."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: ClassVar[int] = 1


class Event(Message):
    """A past-tense fact. `event_id` is sent as Nats-Msg-Id, so JetStream drops duplicate deliveries.

    The shell sets `occurred_at` from its clock; it is never defaulted to now().
    """

    event_id: UUID
    occurred_at: AwareDatetime


class ErrorReply(Message):
    """What a request/reply responder sends instead of its reply when it cannot answer."""

    code: str
    reason: str


class Ack(Message):
    """An empty positive reply."""

    ok: bool = True
