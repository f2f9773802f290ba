"""A small typed layer over nats-py: publish, subscribe, request/reply, JetStream consumers and KV.

Everything goes through the subject catalog. A publisher must be listed for the subject; payloads
are validated on the way in and the way out; anything a subscriber cannot accept is logged and
dead-lettered (`dd.dlq.{service}`), and the subscriber keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import uuid4

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.kv import KeyValue
from pydantic import ValidationError

from deltadesk.shared.clock import Clock, SystemClock
from deltadesk.shared.errors import (
    BusClosed,
    DeskError,
    DomainError,
    NoAnswer,
    NoResponder,
    UnauthorizedPublisher,
    error_from_code,
)
from deltadesk.shared.events import DeadLettered
from deltadesk.shared.messages import ErrorReply, Event, Message
from deltadesk.shared.subjects import DLQ, LATEST_BUCKET, STREAMS, Delivery, Subject

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)

HEADER_ID = "Nats-Msg-Id"
HEADER_TYPE = "Dd-Type"
HEADER_VERSION = "Dd-Version"
HEADER_PUBLISHER = "Dd-Publisher"
HEADER_ERROR = "Dd-Error"

Handler = Callable[[M], Awaitable[None]]


class Rejected(Exception):
    """Raised by a handler for a message it will never accept: dead-lettered, never redelivered."""


@dataclass
class Consumer:
    """A running durable JetStream consumer; `stop()` ends its fetch loop (the durable stays)."""

    task: asyncio.Task[None]
    subscription: JetStreamContext.PullSubscription

    async def stop(self, timeout: float = 5.0) -> None:
        # nats-py's flush can swallow a cancellation, so do not wait on the task unboundedly
        self.task.cancel()
        await asyncio.wait({self.task}, timeout=timeout)
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await asyncio.wait_for(self.subscription.unsubscribe(), timeout)


class Bus:
    def __init__(self, nc: NatsClient, service: str, clock: Clock | None = None) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream(timeout=5.0)
        self.service = service
        self.clock: Clock = clock or SystemClock()
        self._kv: KeyValue | None = None

    @classmethod
    async def connect(cls, url: str, service: str, *, clock: Clock | None = None) -> Bus:
        async def on_error(exc: Exception) -> None:
            logger.warning("nats error", extra={"service": service, "error": repr(exc)})

        nc = await nats.connect(
            url,
            name=f"deltadesk-{service}",
            error_cb=on_error,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=5,
        )
        bus = cls(nc, service, clock)
        await bus.ensure_topology()
        return bus

    async def close(self) -> None:
        """Stop taking messages and let in-flight handlers finish, then disconnect."""
        if not self.nc.is_closed:
            with contextlib.suppress(nats.errors.ConnectionClosedError):
                await self.nc.drain()

    # ── topology ────────────────────────────────────────────────────────────────────────────────
    async def ensure_topology(self) -> None:
        """Create (or update) every stream of the catalog and the latest-state KV bucket. Idempotent."""
        for stream in STREAMS:
            config = StreamConfig(
                name=stream.name,
                subjects=list(stream.subjects),
                storage=StorageType.FILE,
                max_age=stream.max_age_days * 86400.0,
                duplicate_window=stream.duplicate_window_s,
            )
            try:
                await self.js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await self.js.update_stream(config)
        self._kv = await self._latest_bucket()

    async def _latest_bucket(self) -> KeyValue:
        try:
            return await self.js.key_value(LATEST_BUCKET)
        except nats.js.errors.BucketNotFoundError:
            try:
                return await self.js.create_key_value(bucket=LATEST_BUCKET, history=1)
            except nats.js.errors.BadRequestError:  # another service created it first
                return await self.js.key_value(LATEST_BUCKET)

    @property
    def kv(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("bus topology not set up; call ensure_topology() first")
        return self._kv

    # ── publishing ──────────────────────────────────────────────────────────────────────────────
    def _headers(self, message: Message) -> dict[str, str]:
        headers = {
            HEADER_TYPE: type(message).__name__,
            HEADER_VERSION: str(message.schema_version),
            HEADER_PUBLISHER: self.service,
        }
        if isinstance(message, Event):
            headers[HEADER_ID] = str(message.event_id)
        return headers

    def _check_publish(self, subject: Subject[M], message: Message) -> None:
        if self.service not in subject.publishers:
            raise UnauthorizedPublisher(f"{self.service} may not publish {subject.pattern}")
        if not isinstance(message, subject.payload):
            raise TypeError(
                f"{subject.pattern} carries {subject.payload.__name__}, not {type(message).__name__}"
            )

    async def publish(self, subject: Subject[M], message: M, **tokens: str) -> None:
        if subject.delivery is Delivery.REQUEST:
            raise TypeError(f"{subject.pattern} is request/reply; use request()")
        self._check_publish(subject, message)
        rendered = subject.render(**tokens)
        data = message.model_dump_json().encode()
        headers = self._headers(message)
        if subject.delivery is Delivery.STREAM:
            await self.js.publish(rendered, data, headers=headers)
            return
        if subject.delivery is Delivery.KV:
            await self.kv.put(rendered, data)
        await self.nc.publish(rendered, data, headers=headers)

    # ── subscribing ─────────────────────────────────────────────────────────────────────────────
    def decode(self, subject: Subject[M], msg: Msg) -> M:
        """Validate a received message against the catalog: its type header, version and payload."""
        headers = msg.headers or {}
        sent_type = headers.get(HEADER_TYPE)
        if sent_type is not None and sent_type != subject.payload.__name__:
            raise Rejected(f"payload type {sent_type} is not {subject.payload.__name__}")
        version = headers.get(HEADER_VERSION)
        if version is not None and version != str(subject.payload.schema_version):
            raise Rejected(
                f"schema version {version} of {sent_type} is not the supported "
                f"{subject.payload.schema_version}"
            )
        try:
            return subject.payload.model_validate_json(msg.data)
        except ValidationError as exc:
            raise Rejected(_summarise(exc)) from exc

    async def subscribe(
        self,
        subject: Subject[M],
        handler: Handler[M],
        *,
        queue: str = "",
        **tokens: str,
    ) -> Subscription:
        """Core subscription. A message that fails validation, or that the handler rejects with
        `Rejected` or a `DomainError`, is dead-lettered; any other handler error is logged and the
        subscription carries on (a core message cannot be redelivered; the next one follows)."""
        pattern = subject.wildcard(**tokens)

        async def on_message(msg: Msg) -> None:
            try:
                message = self.decode(subject, msg)
                await handler(message)
            except (Rejected, DomainError) as exc:
                await self.dead_letter(msg, str(exc))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("handler failed", extra={"subject": msg.subject, "service": self.service})

        sub = await self.nc.subscribe(pattern, queue=queue, cb=on_message)
        await self.nc.flush()  # the server knows the subscription before we say we are subscribed
        return sub

    async def latest(self, subject: Subject[M], **tokens: str) -> M | None:
        """The latest value of a KV-delivered subject, or None when nothing was published yet."""
        if subject.delivery is not Delivery.KV:
            raise TypeError(f"{subject.pattern} keeps no latest value")
        try:
            entry = await self.kv.get(subject.render(**tokens))
        except nats.js.errors.KeyNotFoundError:
            return None
        if entry.value is None:
            return None
        try:
            return subject.payload.model_validate_json(entry.value)
        except ValidationError as exc:
            logger.warning("stale latest value dropped", extra={"key": entry.key, "reason": _summarise(exc)})
            return None

    async def latest_matching(self, subject: Subject[M], **tokens: str) -> list[M]:
        """Every latest value of a KV-delivered subject whose fixed tokens match.

        Reads the bucket's stream: its subjects under the pattern, then each key's last value. (A KV
        watcher would do, but its "nothing pending" marker can race its first delivery under load.)"""
        if subject.delivery is not Delivery.KV:
            raise TypeError(f"{subject.pattern} keeps no latest value")
        prefix = f"$KV.{LATEST_BUCKET}."
        info = await self.js.stream_info(
            f"KV_{LATEST_BUCKET}", subjects_filter=prefix + subject.wildcard(**tokens)
        )
        found: list[M] = []
        for stored in sorted(info.state.subjects or {}):
            key = stored[len(prefix) :]
            try:
                entry = await self.kv.get(key)
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                continue
            if not entry.value:
                continue
            try:
                found.append(subject.payload.model_validate_json(entry.value))
            except ValidationError as exc:
                logger.warning("stale latest value dropped", extra={"key": key, "reason": _summarise(exc)})
        return found

    # ── JetStream consumers ─────────────────────────────────────────────────────────────────────
    async def consume(
        self,
        subject: Subject[M],
        durable: str,
        handler: Handler[M],
        *,
        max_deliver: int = 5,
        ack_wait_s: float = 30.0,
        batch: int = 16,
        **tokens: str,
    ) -> Consumer:
        """A durable pull consumer with explicit acks: the message is acked after the handler returns.

        Bad input (validation failure, `Rejected`, `DomainError`) is dead-lettered and terminated;
        any other error leaves it unacked for redelivery, and the last allowed delivery is
        dead-lettered so nothing disappears silently.
        """
        if subject.delivery is not Delivery.STREAM or subject.stream is None:
            raise TypeError(f"{subject.pattern} is not a stream subject")
        psub = await self.js.pull_subscribe(
            subject.wildcard(**tokens),
            durable=durable,
            stream=subject.stream.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ack_wait_s,
                max_deliver=max_deliver,
                deliver_policy=DeliverPolicy.ALL,
            ),
        )

        async def handle(msg: Msg) -> None:
            try:
                message = self.decode(subject, msg)
                await handler(message)
            except (Rejected, DomainError) as exc:
                await self.dead_letter(msg, str(exc))
                await msg.term()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delivered = msg.metadata.num_delivered or 1
                logger.exception(
                    "handler failed; message left for redelivery",
                    extra={"subject": msg.subject, "durable": durable, "delivered": delivered},
                )
                if delivered >= max_deliver:
                    await self.dead_letter(msg, f"failed {delivered} deliveries, last: {exc!r}")
                    await msg.term()
                else:
                    await msg.nak(delay=min(0.5 * 2.0 ** (delivered - 1), 30.0))
                return
            await msg.ack_sync()

        async def loop() -> None:
            while True:
                try:
                    msgs = await psub.fetch(batch, timeout=1.0)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                except nats.errors.ConnectionClosedError:
                    return
                for msg in msgs:
                    await handle(msg)

        task = asyncio.create_task(loop(), name=f"consume:{durable}")
        return Consumer(task, psub)

    # ── request / reply ─────────────────────────────────────────────────────────────────────────
    async def request(self, subject: Subject[M], message: M, expect: type[R], *, timeout: float = 5.0) -> R:
        """Send a request and return the validated reply; an error reply is raised as its DeskError."""
        if subject.delivery is not Delivery.REQUEST or subject.reply is not expect:
            raise TypeError(f"{subject.pattern} is not request/reply answering {expect.__name__}")
        self._check_publish(subject, message)
        try:
            msg = await self.nc.request(
                subject.render(),
                message.model_dump_json().encode(),
                timeout=timeout,
                headers=self._headers(message),
            )
        except nats.errors.NoRespondersError as exc:
            raise NoResponder(f"nobody answers {subject.pattern}") from exc
        except (TimeoutError, nats.errors.TimeoutError) as exc:
            raise NoAnswer(f"no answer on {subject.pattern} within {timeout:g} s") from exc
        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError) as exc:
            raise BusClosed(f"the bus connection is closed; {subject.pattern} was not sent") from exc
        if msg.headers and msg.headers.get(HEADER_ERROR):
            error = ErrorReply.model_validate_json(msg.data)
            raise error_from_code(error.code, error.reason)
        try:
            return expect.model_validate_json(msg.data)
        except ValidationError as exc:
            raise DomainError(f"invalid reply on {subject.pattern}: {_summarise(exc)}") from exc

    async def serve(
        self,
        subject: Subject[M],
        handler: Callable[[M], Awaitable[Message]],
        *,
        queue: str = "",
    ) -> Subscription:
        """Answer requests. A DeskError becomes an error reply with its code; a malformed request
        gets `invalid_request`; anything unexpected gets `internal_error` and a logged traceback."""
        if subject.delivery is not Delivery.REQUEST or subject.reply is None:
            raise TypeError(f"{subject.pattern} is not request/reply")
        reply_model = subject.reply

        async def on_request(msg: Msg) -> None:
            if not msg.reply:
                await self.dead_letter(msg, "request without a reply subject")
                return
            try:
                request = self.decode(subject, msg)
                reply = await handler(request)
                if not isinstance(reply, reply_model):
                    raise TypeError(f"{subject.pattern} must reply {reply_model.__name__}")
                await msg.respond(reply.model_dump_json().encode())
            except Rejected as exc:
                logger.warning("invalid request", extra={"subject": msg.subject, "reason": str(exc)})
                await self._respond_error(msg, "invalid_request", str(exc))
            except DeskError as exc:
                await self._respond_error(msg, exc.code, str(exc))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("request handler failed", extra={"subject": msg.subject})
                await self._respond_error(msg, "internal_error", f"{subject.pattern} failed; see its log")

        sub = await self.nc.subscribe(subject.render(), queue=queue, cb=on_request)
        await self.nc.flush()
        return sub

    async def _respond_error(self, msg: Msg, code: str, reason: str) -> None:
        body = ErrorReply(code=code, reason=reason).model_dump_json().encode()
        with contextlib.suppress(nats.errors.Error):
            await self.nc.publish(msg.reply, body, headers={HEADER_ERROR: code})

    # ── dead letters ────────────────────────────────────────────────────────────────────────────
    async def dead_letter(self, msg: Msg, reason: str) -> None:
        """Log the message with its subject and reason and keep it on the dead-letter stream."""
        logger.warning(
            "message dead-lettered", extra={"subject": msg.subject, "reason": reason, "service": self.service}
        )
        event = DeadLettered(
            event_id=uuid4(),
            occurred_at=self.clock.now(),
            subject=msg.subject,
            service=self.service,
            reason=reason[:2000],
            payload=msg.data[:65536].decode("utf-8", errors="replace"),
            headers={k: v for k, v in (msg.headers or {}).items() if k != HEADER_ID},
        )
        try:
            await self.publish(DLQ, event, service=self.service)
        except (TimeoutError, nats.errors.Error):
            logger.exception("could not publish dead letter", extra={"subject": msg.subject})


def _summarise(exc: ValidationError) -> str:
    """A one-line reason naming the fields that failed."""
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(str(p) for p in error["loc"]) or "payload"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
