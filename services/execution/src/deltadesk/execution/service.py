"""execution: creates and simulates orders, transmits an order only on a verified approval that
passes the pre-trade controls, and tracks it at its broker to a final state.

    EXEC_ORDERS_CREATE ─▶ resolve legs ─▶ DRAFT
    EXEC_SIMULATE ─────▶ broker what-if ∥ (contract quotes → risk's what-if) ─▶ SIMULATED
    EXEC_APPROVAL (JS) ─▶ signature ─▶ nonce (KV create) ─▶ verify_approval ─▶ pre-trade controls
                       ─▶ APPROVED + transmit marker (KV compare-and-set) ─▶ broker.place ─▶ SUBMITTED
    tracker ───────────▶ status + executions ─▶ FillReceived (once per execution) ─▶ PARTIAL | FILLED …

Every change is saved to the order's record (compare-and-set) before its events are published from
the record's outbox, and an approval is acked only after its record is saved. The transmit marker
is saved before `place`; an order with a marker is never placed again, only looked up by its client
order id. A lost answer is UNKNOWN and reconciled by the tracker; it is never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

import nats.errors
import nats.js.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from deltadesk.brokers.accounts import open_accounts
from deltadesk.execution.adapters.nonces import NonceLedger
from deltadesk.execution.adapters.order_store import OrderNotFound, OrderStore
from deltadesk.execution.domain.approval import ApprovalRejected, verify_approval
from deltadesk.execution.domain.controls import Denial, check_order
from deltadesk.execution.domain.record import (
    OrderRecord,
    PendingDenial,
    PendingFill,
    PendingState,
    approved,
    audit_event,
    audited,
    broker_rejected,
    confirmed,
    denied,
    discarded,
    draft,
    lost,
    not_sent,
    published,
    simulated,
    submitted,
    tracked,
    transmissions,
    view,
)
from deltadesk.execution.domain.simulation import build_simulation, leg_positions
from deltadesk.execution.errors import (
    InvalidOrder,
    InvalidOrderState,
    LegUnresolvable,
    OrderBusy,
    RiskUnavailable,
    SimulationTimedOut,
    UnknownAccount,
)
from deltadesk.execution.settings import ExecutionSettings
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus, Consumer
from deltadesk.shared.clock import Clock
from deltadesk.shared.commands import (
    CancelOrder,
    ComputeRiskWhatIf,
    CreateOrder,
    GetOrder,
    ListOrders,
    OrderList,
    OrderView,
    SetTradingState,
    SimulateOrder,
    TradingStateView,
)
from deltadesk.shared.errors import (
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    DeskError,
    OrderStateUnknown,
    PeerUnavailable,
)
from deltadesk.shared.events import ApprovalIssued, LimitBreached, TradingState, TradingStateChanged
from deltadesk.shared.messages import Message
from deltadesk.shared.orders import (
    Approval,
    ApprovedOrder,
    BrokerOrderStatus,
    Execution,
    LegSpec,
    Order,
    OrderLeg,
    OrderState,
    WhatIf,
)
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.signing import PUBLIC_KEY_FILE, load_verify_key, signature_valid
from deltadesk.shared.simulation import RiskWhatIf, Simulation
from deltadesk.shared.subjects import (
    EXEC_APPROVAL,
    EXEC_AUDIT,
    EXEC_FILL,
    EXEC_ORDER,
    EXEC_ORDERS_CANCEL,
    EXEC_ORDERS_CREATE,
    EXEC_ORDERS_GET,
    EXEC_ORDERS_LIST,
    EXEC_SIMULATE,
    EXEC_STATE,
    EXEC_STATE_SET,
    EXECUTION,
    RISK_LIMIT_BREACHED,
    RISK_WHATIF,
    Subject,
)

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)

MAX_PORTFOLIO_DELTA = "max_portfolio_delta"  # risk_matrix.yaml's name for the SPX-delta limit
BREACH_MAX_AGE = timedelta(minutes=5)  # an older breach (a new consumer reading history) changes nothing
# Executions are asked for from a day before transmission: a broker's clock (its execution times)
# may disagree with ours, and a fill missed because of it would never be counted.
EXECUTION_SLACK = timedelta(days=1)
SENT_HORIZON = timedelta(minutes=10)  # transmissions older than this matter to no control
CANCEL_WAIT_S = 2.0  # how long a cancel waits for the order's lock before answering "busy"
APPROVALS_DURABLE = "execution-approvals"
BREACHES_DURABLE = "execution-breaches"


class ApprovalTaken(Exception):
    """The record changed under the approval (another delivery or process claimed it first)."""


class Stopping(Exception):
    """Execution is stopping: an approval that arrives now is left for redelivery after restart."""


class ExecutionService:
    def __init__(
        self,
        bus: Bus,
        brokers: Mapping[str, Broker],
        store: OrderStore,
        nonces: NonceLedger,
        settings: ExecutionSettings,
    ) -> None:
        self.bus = bus
        self.clock: Clock = bus.clock
        self.brokers = dict(brokers)
        self.store = store
        self.nonces = nonces
        self.settings = settings
        self.limits = settings.limits()
        self._locks: defaultdict[UUID, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight = 0  # approvals being handled: `quiesce` waits for them
        self._idle = asyncio.Event()
        self._idle.set()
        self._key: Ed25519PublicKey | None = None
        self._problems: dict[str, str] = {}  # tracking problems logged, by order or account

    # ── start and stop ──────────────────────────────────────────────────────────────────────────
    async def recover(self) -> None:
        """Reload every record; publish what a crash left in an outbox. Working orders (including
        one with a transmit marker and no broker id) are the tracker's: looked up, never re-sent."""
        records = await self.store.load()
        working = [r for r in records if r.working]
        logger.info("order records loaded", extra={"orders": len(records), "working": len(working)})
        for record in records:
            if record.outbox:
                await self.flush(record)

    def begin_stop(self) -> None:
        """From now on: no new approval is taken, and the tracker ends after its current look."""
        self._stopping = True
        self._wake.set()

    async def quiesce(self, timeout: float) -> None:
        """Stop taking approvals and wait (a while) for transmissions in flight to get their answer."""
        self.begin_stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()

    # ── requests ────────────────────────────────────────────────────────────────────────────────
    async def create(self, request: CreateOrder) -> OrderView:
        spec = request.request
        broker = self._broker(spec.account)
        legs = []
        for number, leg in enumerate(spec.legs, start=1):
            legs.append(
                OrderLeg(
                    action=leg.action,
                    quantity=leg.quantity,
                    contract=await self._resolve(broker, number, leg),
                )
            )
        now = self.clock.now()
        try:
            order = Order(
                order_id=uuid4(),
                account=spec.account,
                broker=broker.name,
                legs=tuple(legs),
                order_type=spec.order_type,
                limit_price=spec.limit_price,
                tif=spec.tif,
                rationale=spec.rationale,
                suggestion_id=spec.suggestion_id,
                created_at=now,
            )
        except ValidationError as exc:
            raise InvalidOrder(f"the resolved order is not valid: {exc.errors()[0]['msg']}") from exc
        record = await self.store.create(draft(order, now=now, event_id=uuid4()))
        logger.info(
            "order drafted",
            extra={"order_id": str(order.order_id), "account": order.account, "user": request.user},
        )
        return view(await self.flush(record))

    async def simulate(self, request: SimulateOrder) -> Simulation:
        record = await self._record(request.order_id)
        broker = self._broker(record.account)
        async with self._locks[record.order_id]:
            record = await self._record(request.order_id)
            if record.state not in (OrderState.DRAFT, OrderState.SIMULATED):
                raise InvalidOrderState(
                    f"order {record.order_id} is {record.state.value}: "
                    "only a draft or simulated order can be simulated"
                )
            timeout = self.settings.exec_whatif_timeout_s
            try:
                async with asyncio.timeout(timeout):
                    whatif, risk = await self._whatifs(broker, record.order)
            except TimeoutError as exc:
                raise SimulationTimedOut(
                    f"the simulation took longer than {timeout:g} s; nothing was stored"
                ) from exc
            now = self.clock.now()
            simulation = build_simulation(
                record.order,
                whatif,
                risk,
                simulation_id=uuid4(),
                now=now,
                validity=timedelta(seconds=self.settings.exec_simulation_validity_s),
            )
            record = await self.store.update(
                record.order_id, lambda r: simulated(r, simulation, now=now, event_id=uuid4())
            )
            await self.flush(record)
        logger.info(
            "order simulated",
            extra={"order_id": str(record.order_id), "simulation_id": str(simulation.simulation_id)},
        )
        return simulation

    async def get(self, request: GetOrder) -> OrderView:
        return view(await self._record(request.order_id))

    async def list_orders(self, request: ListOrders) -> OrderList:
        records = [r for r in self.store.all() if request.account is None or r.account == request.account]
        records.sort(key=lambda r: (r.order.created_at, str(r.order_id)), reverse=True)
        return OrderList(orders=tuple(view(r) for r in records[: request.limit]))

    async def cancel(self, request: CancelOrder) -> OrderView:
        record = await self._record(request.order_id)
        lock = self._locks[record.order_id]
        try:  # a tracker's look takes a moment; a transmission in flight may take the broker's timeout
            async with asyncio.timeout(CANCEL_WAIT_S):
                await lock.acquire()
        except TimeoutError as exc:
            raise OrderBusy(f"order {record.order_id} is being transmitted; try again in a moment") from exc
        try:
            record = await self._record(request.order_id)
            now = self.clock.now()
            if record.state in (OrderState.DRAFT, OrderState.SIMULATED):
                reason = f"cancelled by {request.user} before it was sent"
                record = await self.store.update(
                    record.order_id, lambda r: discarded(r, reason, now=now, event_id=uuid4())
                )
            elif record.state in (OrderState.SUBMITTED, OrderState.PARTIAL) and record.broker_order_id:
                broker = self._broker(record.account)
                await self._call(broker.cancel(record.account, record.broker_order_id))
                self._wake.set()  # the tracker reports CANCELLED when the broker does
            elif record.state is OrderState.UNKNOWN:
                record = await self._cancel_unknown(record, request.user)
            elif record.state is OrderState.APPROVED:
                raise OrderBusy(
                    f"order {record.order_id} is being reconciled with its broker; try again shortly"
                )
            else:
                raise InvalidOrderState(f"order {record.order_id} is already {record.state.value}")
            logger.info("cancel requested", extra={"order_id": str(record.order_id), "user": request.user})
            return view(await self.flush(record))
        finally:
            lock.release()

    async def _cancel_unknown(self, record: OrderRecord, user: str) -> OrderRecord:
        """An UNKNOWN order: ask the broker once more. Found: cancel it there. Not found: the trader
        closes it here (they were told to verify in the broker platform)."""
        broker = self._broker(record.account)
        status = await self._call(broker.find_order(record.account, record.order.client_order_id))
        now = self.clock.now()
        if status is None:
            reason = f"not found at the broker; closed by {user}"
            return await self.store.update(
                record.order_id, lambda r: discarded(r, reason, now=now, event_id=uuid4())
            )
        record = await self.store.update(
            record.order_id, lambda r: tracked(r, status, (), now=now, new_id=uuid4) if r.working else r
        )
        if record.working and record.broker_order_id:
            await self._call(broker.cancel(record.account, record.broker_order_id))
            self._wake.set()
        return record

    async def set_state(self, request: SetTradingState) -> TradingStateView:
        event = await self._publish_state(request.state, request.reason, request.user)
        return TradingStateView(
            state=event.state, reason=event.reason, changed_by=event.changed_by, changed_at=event.occurred_at
        )

    # ── approvals ───────────────────────────────────────────────────────────────────────────────
    async def on_approval(self, event: ApprovalIssued) -> None:
        if self._stopping:
            raise Stopping("execution is stopping; the approval is left for redelivery")
        approval = event.approval
        now = self.clock.now()
        try:
            record = await self._record(approval.order_id)
        except OrderNotFound:
            denial = Denial("APPROVAL_MISMATCH", f"APPROVAL_MISMATCH: no order {approval.order_id}")
            await self._audit_without_record(event.account, approval.order_id, denial, now)
            return
        key = self._verify_key()
        if key is None:
            denial = Denial(
                "APPROVAL_KEY_UNAVAILABLE",
                f"APPROVAL_KEY_UNAVAILABLE: execution holds no approval public key "
                f"({self.settings.approval_keys / PUBLIC_KEY_FILE}); no approval is trusted",
            )
            await self._audit(record, denial, now)
            return
        if not signature_valid(approval, key):
            # an approval that does not verify says nothing about its order: audited, order untouched,
            # and its nonce is not consumed (a forger must not burn a real approval's nonce)
            denial = Denial(
                "SIGNATURE_INVALID", f"SIGNATURE_INVALID: approval {approval.approval_id} does not verify"
            )
            await self._audit(record, denial, now)
            return
        self._in_flight += 1
        self._idle.clear()
        try:
            async with self._locks[record.order_id]:
                await self._approve(approval, key)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _approve(self, approval: Approval, key: Ed25519PublicKey) -> None:
        now = self.clock.now()  # read under the lock: a simulation it waited for may have taken seconds
        record = await self._record(approval.order_id)
        use = await self.nonces.consume(approval.nonce, approval.approval_id)
        # The nonce is consumed by this approval once. Only when processing of this very approval
        # was cut short before anything was decided (the record is still simulated, nothing sent)
        # does its redelivery finish the job; any other second use is NONCE_REUSED.
        first_use = use.first or (
            use.holder == approval.approval_id
            and record.state is OrderState.SIMULATED
            and record.transmit is None
        )
        try:
            approved_order = verify_approval(
                approval,
                order=record.order,
                simulation=record.simulation,
                public_key=key,
                now=now,
                nonce_first_use=first_use,
            )
        except ApprovalRejected as exc:
            await self._deny(record, Denial(exc.code, f"{exc.code}: {exc}"), "approval", now)
            return
        if record.state is not OrderState.SIMULATED:
            reason = (
                f"order {record.order_id} is {record.state.value}; only a SIMULATED order can be approved"
            )
            await self._deny(
                record, Denial("APPROVAL_MISMATCH", f"APPROVAL_MISMATCH: {reason}"), "approval", now
            )
            return
        denial = await self._pre_trade(record, now)
        if denial is not None:
            await self._deny(record, denial, "pre_trade", now)
            return
        try:
            record = await self.store.update(record.order_id, partial(_claim, approval=approval, now=now))
        except ApprovalTaken as exc:
            logger.warning(
                "approval lost a race; nothing sent by it",
                extra={"order_id": str(record.order_id), "why": str(exc)},
            )
            return
        await self.flush(record)
        await self._transmit(record, approved_order)

    async def _pre_trade(self, record: OrderRecord, now: datetime) -> Denial | None:
        state = (await self._trading_state()).state
        broker = self.brokers.get(record.account)
        if broker is None:
            return Denial(
                "ACCOUNT_UNAVAILABLE", f"ACCOUNT_UNAVAILABLE: no broker serves account {record.account}"
            )
        quotes, market_error = {}, None
        if state is not TradingState.HALTED:
            try:
                listed = await self._call(broker.contract_quotes([leg.contract for leg in record.order.legs]))
                quotes = {q.contract.symbol: q for q in listed}
            except BrokerError as exc:
                market_error = f"{exc.code}: {exc}"
        sent = [s for s in transmissions(self.store.all()) if now - s.at < SENT_HORIZON]
        denial = check_order(
            record.order,
            limits=self.limits,
            trading_state=state,
            simulation=record.simulation,
            quotes=quotes,
            sent=sent,
            now=now,
            live_trading=self.settings.live_trading,
        )
        if denial is not None and denial.code == "MARKET_DATA_UNAVAILABLE" and market_error:
            denial = Denial(denial.code, f"{denial.reason} ({market_error})")
        return denial

    async def _transmit(self, record: OrderRecord, approved_order: ApprovedOrder) -> None:
        """Hand the approved order to its broker, once, and save what the broker answered."""
        broker = self._broker(record.account)
        timeout = self.settings.broker_timeout_s
        order_id = record.order_id
        outcome: Outcome
        try:
            async with asyncio.timeout(timeout):
                broker_order_id = await broker.place(approved_order)
        except BrokerRejected as exc:
            outcome = partial(_rejected, reason=str(exc) or "rejected by the broker")
        except BrokerUnavailable as exc:
            outcome = await self._unsent(record, broker, f"{exc.code}: {exc}")
        except (OrderStateUnknown, TimeoutError) as exc:
            detail = (
                f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else f"{exc.code}: {exc}"
            )
            outcome = partial(_lost, detail=detail)
        except Exception as exc:  # a bug or a malformed answer: the order may be at the broker all the same
            logger.exception("place failed unexpectedly", extra={"order_id": str(order_id)})
            outcome = partial(_lost, detail=f"unexpected error: {exc!r}")
        else:
            outcome = partial(_submitted, broker_order_id=broker_order_id)
        words = _confirmations(broker, record.order)
        record = await self.store.update(order_id, lambda r: outcome(confirmed(r, words), self.clock.now()))
        logger.info(
            "order transmitted",
            extra={
                "order_id": str(order_id),
                "state": record.state.value,
                "broker_order_id": record.broker_order_id,
                "confirmations": len(words),
            },
        )
        await self.flush(record)
        self._wake.set()

    async def _unsent(self, record: OrderRecord, broker: Broker, detail: str) -> Outcome:
        """The adapter says the order was not sent. Believed only once the broker, asked by client
        order id, does not know it either; if the broker cannot be asked, the order is UNKNOWN."""
        try:
            status = await self._call(broker.find_order(record.account, record.order.client_order_id))
        except BrokerError as exc:
            return partial(_lost, detail=f"{detail}; and the broker could not be asked: {exc}")
        if status is None:
            return partial(
                _not_sent, reason=f"the broker was unavailable and the order was not sent ({detail})"
            )
        return partial(_found, status=status)

    async def _deny(self, record: OrderRecord, denial: Denial, stage: str, now: datetime) -> None:
        logger.warning(
            "order denied", extra={"order_id": str(record.order_id), "stage": stage, "code": denial.code}
        )
        record = await self.store.update(
            record.order_id, lambda r: denied(r, denial, stage=stage, now=now, new_id=uuid4)
        )
        await self.flush(record)

    async def _audit(self, record: OrderRecord, denial: Denial, now: datetime) -> None:
        logger.warning("approval refused", extra={"order_id": str(record.order_id), "code": denial.code})
        record = await self.store.update(
            record.order_id, lambda r: audited(r, denial, stage="approval", now=now, event_id=uuid4())
        )
        await self.flush(record)

    async def _audit_without_record(
        self, account: str, order_id: UUID, denial: Denial, now: datetime
    ) -> None:
        logger.warning("approval refused", extra={"order_id": str(order_id), "code": denial.code})
        event = audit_event(account, order_id, denial, stage="approval", event_id=uuid4(), now=now)
        await self.bus.publish(EXEC_AUDIT, event, account=account)

    # ── trading state ───────────────────────────────────────────────────────────────────────────
    async def on_breach(self, event: LimitBreached) -> None:
        if not self.settings.exec_reducing_on_delta_breach or event.limit != MAX_PORTFOLIO_DELTA:
            return
        if self.clock.now() - event.occurred_at > BREACH_MAX_AGE:
            return
        current = await self._trading_state()
        if current.state is not TradingState.ACTIVE:
            return  # HALTED stays halted; REDUCING already
        reason = (
            f"{MAX_PORTFOLIO_DELTA} breached on {event.account}: "
            f"spx_delta={event.actual:.1f}, limit={event.threshold:g}"
        )
        await self._publish_state(TradingState.REDUCING, reason, "risk")

    async def _publish_state(self, state: TradingState, reason: str, user: str) -> TradingStateChanged:
        event = TradingStateChanged(
            event_id=uuid4(), occurred_at=self.clock.now(), state=state, reason=reason, changed_by=user
        )
        await self.bus.publish(EXEC_STATE, event)
        logger.warning("trading state changed", extra={"state": state.value, "reason": reason, "user": user})
        return event

    async def announce_state(self) -> None:
        """A desk that never changed its trading state says so: ACTIVE, so the page shows it."""
        try:
            await self.bus.kv.get(EXEC_STATE.render())
        except nats.js.errors.KeyNotFoundError:
            await self._publish_state(TradingState.ACTIVE, "the desk started; nothing halted it", EXECUTION)

    async def _trading_state(self) -> TradingStateChanged:
        """The trading state as stored: ACTIVE when never set; HALTED when unreadable (fail closed)."""
        now = self.clock.now()
        try:
            entry = await self.bus.kv.get(EXEC_STATE.render())
        except nats.js.errors.KeyNotFoundError:
            return TradingStateChanged(
                event_id=UUID(int=0),
                occurred_at=now,
                state=TradingState.ACTIVE,
                reason="never changed",
                changed_by="",
            )
        try:
            return TradingStateChanged.model_validate_json(entry.value or b"")
        except ValidationError:
            logger.error("trading state unreadable: treated as HALTED")
            return TradingStateChanged(
                event_id=UUID(int=0),
                occurred_at=now,
                state=TradingState.HALTED,
                reason="the stored trading state is unreadable",
                changed_by="",
            )

    # ── tracking ────────────────────────────────────────────────────────────────────────────────
    async def track_forever(self) -> None:
        """Until `begin_stop`: the loop ends by itself rather than by cancellation, which nats-py can
        swallow mid-publish (its flush catches CancelledError)."""
        interval = self.settings.exec_tracking_interval_s
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.track_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus is down (nats reconnects) or a bug: try again next tick
                logger.exception("tracking failed; retrying next tick")

    async def track_once(self) -> None:
        """One look at the broker for every order that is (or may be) at one. Statuses first, then
        executions, so an order reported final has every fill it had by then."""
        for record in self.store.all():
            if record.outbox and not self._locks[record.order_id].locked():
                await self.flush(record)
        by_account: defaultdict[str, list[OrderRecord]] = defaultdict(list)
        for record in self.store.all():
            if record.working and not self._locks[record.order_id].locked():
                by_account[record.account].append(record)
        for account, records in by_account.items():
            broker = self.brokers.get(account)
            if broker is None:
                logger.warning("working order of an account no broker serves", extra={"account": account})
                continue
            await self._track_account(account, broker, records)

    async def _track_account(self, account: str, broker: Broker, records: list[OrderRecord]) -> None:
        looked: list[tuple[OrderRecord, BrokerOrderStatus | None]] = []
        for record in records:
            try:
                if record.broker_order_id is None:
                    status = await self._call(broker.find_order(account, record.order.client_order_id))
                else:
                    status = await self._call(broker.status(account, record.broker_order_id))
            except BrokerError as exc:
                self._problem(str(record.order_id), "order status unavailable", f"{exc.code}: {exc}")
                continue
            self._problem(str(record.order_id), None)
            looked.append((record, status))
        if not looked:
            return
        since = min(r.transmit.at for r, _ in looked if r.transmit is not None) - EXECUTION_SLACK
        try:
            executions = await self._call(broker.executions(account, since))
        except BrokerError as exc:
            self._problem(account, "executions unavailable", f"{exc.code}: {exc}")
            return
        self._problem(account, None)
        for record, status in looked:
            lock = self._locks[record.order_id]
            if lock.locked():
                continue
            async with lock:
                now = self.clock.now()
                updated = await self.store.update(
                    record.order_id, partial(_track, status=status, executions=executions, now=now)
                )
                if updated.state is not record.state:
                    logger.info(
                        "order state changed",
                        extra={
                            "order_id": str(record.order_id),
                            "from": record.state.value,
                            "to": updated.state.value,
                        },
                    )
                await self.flush(updated)

    def _problem(self, key: str, what: str | None, reason: str = "") -> None:
        """Log a tracking problem when it starts or changes, and once when it clears: not every tick."""
        before = self._problems.get(key)
        if what is None:
            if before is not None:
                del self._problems[key]
                logger.info("tracking recovered", extra={"key": key})
            return
        if before != f"{what}: {reason}":
            self._problems[key] = f"{what}: {reason}"
            logger.warning(what, extra={"key": key, "reason": reason})

    # ── publishing the outbox ───────────────────────────────────────────────────────────────────
    async def flush(self, record: OrderRecord) -> OrderRecord:
        """Publish the record's pending events in order, then drop them from the stored record."""
        if not record.outbox:
            return record
        done: list[UUID] = []
        try:
            for pending in record.outbox:
                await self._publish(pending)
                done.append(pending.event.event_id)
        finally:
            if done:
                record = await self.store.update(record.order_id, lambda r: published(r, done))
        return record

    async def _publish(self, pending: PendingState | PendingFill | PendingDenial) -> None:
        if isinstance(pending, PendingState):
            event = pending.event
            await self.bus.publish(
                EXEC_ORDER, event, account=event.account, order_id=str(event.order.order_id)
            )
        elif isinstance(pending, PendingFill):
            fill = pending.event
            await self.bus.publish(EXEC_FILL, fill, account=fill.account, order_id=str(fill.order_id))
        else:
            await self.bus.publish(EXEC_AUDIT, pending.event, account=pending.event.account)

    # ── inside ──────────────────────────────────────────────────────────────────────────────────
    async def _record(self, order_id: UUID) -> OrderRecord:
        record = self.store.get(order_id)
        if record is None:
            record = await self.store.fetch(order_id)
        return record

    def _broker(self, account: str) -> Broker:
        broker = self.brokers.get(account)
        if broker is None:
            served = ", ".join(sorted(self.brokers)) or "none"
            raise UnknownAccount(f"no broker serves account {account} (served: {served})")
        return broker

    async def _resolve(self, broker: Broker, number: int, leg: LegSpec) -> Any:
        where = f"leg {number} ({describe(leg)})"
        try:
            return await self._call(broker.resolve(leg))
        except BrokerRejected as exc:
            raise LegUnresolvable(f"{where}: {exc}") from exc
        except BrokerUnavailable as exc:
            raise BrokerUnavailable(f"{where}: {exc}") from exc

    async def _whatifs(self, broker: Broker, order: Order) -> tuple[WhatIf, RiskWhatIf]:
        """The broker's margin and risk's Greeks, asked at the same time."""
        margin, greeks = await asyncio.gather(
            self._broker_whatif(broker, order), self._risk_whatif(broker, order), return_exceptions=True
        )
        for outcome in (margin, greeks):
            if isinstance(outcome, BaseException):
                raise outcome
        assert isinstance(margin, WhatIf)
        assert isinstance(greeks, RiskWhatIf)
        return margin, greeks

    async def _broker_whatif(self, broker: Broker, order: Order) -> WhatIf:
        try:
            return await broker.whatif(order)
        except BrokerRejected as exc:
            raise BrokerRejected(f"broker what-if: {exc}") from exc
        except BrokerUnavailable as exc:
            raise BrokerUnavailable(f"broker what-if: {exc}") from exc

    async def _risk_whatif(self, broker: Broker, order: Order) -> RiskWhatIf:
        try:
            quotes = await broker.contract_quotes([leg.contract for leg in order.legs])
        except BrokerUnavailable as exc:
            raise BrokerUnavailable(f"leg quotes: {exc}") from exc
        legs = leg_positions(order, quotes)
        request = ComputeRiskWhatIf(account=order.account, legs=legs)
        try:
            return await self.bus.request(
                RISK_WHATIF, request, RiskWhatIf, timeout=self.settings.exec_whatif_timeout_s
            )
        except PeerUnavailable as exc:
            raise RiskUnavailable(f"risk what-if: {exc}") from exc
        except DeskError as exc:
            code = getattr(exc, "remote_code", exc.code)
            raise RiskUnavailable(f"risk what-if: {code}: {exc}") from exc

    async def _call(self, call: Awaitable[Any]) -> Any:
        """A broker call with the broker timeout; a timeout is the broker being unavailable."""
        timeout = self.settings.broker_timeout_s
        try:
            async with asyncio.timeout(timeout):
                return await call
        except TimeoutError as exc:
            raise BrokerUnavailable(f"no answer within {timeout:g} s") from exc

    def _verify_key(self) -> Ed25519PublicKey | None:
        if self._key is None:
            path = self.settings.approval_keys / PUBLIC_KEY_FILE
            try:
                self._key = load_verify_key(path)
            except (OSError, ValueError) as exc:
                logger.error("approval public key unavailable", extra={"path": str(path), "error": str(exc)})
                return None
        return self._key


def _claim(record: OrderRecord, *, approval: Approval, now: datetime) -> OrderRecord:
    """SIMULATED → APPROVED with the transmit marker, only if nothing else got there first."""
    if record.state is not OrderState.SIMULATED or record.transmit is not None:
        raise ApprovalTaken(f"order is {record.state.value}")
    if record.simulation is None or record.simulation.simulation_id != approval.simulation_id:
        raise ApprovalTaken("the order was simulated again")
    return approved(record, approval, now=now, event_id=uuid4())


Outcome = Callable[[OrderRecord, datetime], OrderRecord]  # what a transmission's answer does to the record


def _submitted(record: OrderRecord, now: datetime, *, broker_order_id: str) -> OrderRecord:
    return submitted(record, broker_order_id, now=now, event_id=uuid4())


def _rejected(record: OrderRecord, now: datetime, *, reason: str) -> OrderRecord:
    return broker_rejected(record, reason, now=now, event_id=uuid4())


def _not_sent(record: OrderRecord, now: datetime, *, reason: str) -> OrderRecord:
    return not_sent(record, reason, now=now, event_id=uuid4())


def _lost(record: OrderRecord, now: datetime, *, detail: str) -> OrderRecord:
    return lost(record, now=now, event_id=uuid4(), detail=detail)


def _found(record: OrderRecord, now: datetime, *, status: BrokerOrderStatus) -> OrderRecord:
    return tracked(record, status, (), now=now, new_id=uuid4)


def _confirmations(broker: Broker, order: Order) -> tuple[str, ...]:
    """What the broker asked to confirm while placing; a failure to say is logged, never fatal."""
    try:
        return tuple(broker.confirmations(order.client_order_id))
    except Exception:
        logger.exception("broker confirmations unavailable", extra={"order_id": str(order.order_id)})
        return ()


def _track(
    record: OrderRecord, *, status: BrokerOrderStatus | None, executions: Sequence[Execution], now: datetime
) -> OrderRecord:
    return tracked(record, status, executions, now=now, new_id=uuid4) if record.working else record


def describe(leg: LegSpec) -> str:
    parts = [leg.action.value, str(leg.quantity), leg.underlying, leg.instrument.value]
    if leg.expiry is not None:
        parts.append(leg.expiry.isoformat())
    if leg.strike is not None:
        parts.append(format(leg.strike.normalize(), "f"))
    if leg.right is not None:
        parts.append(leg.right.value)
    return " ".join(parts)


# ── composition root ────────────────────────────────────────────────────────────────────────────
async def run(
    settings: ExecutionSettings,
    stop: asyncio.Event,
    *,
    brokers: Mapping[str, Broker] | None = None,
    clock: Clock | None = None,
) -> None:
    """Tests pass their own brokers (a fake behind the Broker port) and clock; otherwise the
    configured accounts are opened, and closed again on the way out."""
    bus = await Bus.connect(settings.require_nats_url(), EXECUTION, clock=clock)
    consumers: list[Consumer] = []
    opened: list[Broker] = []
    tracker: asyncio.Task[None] | None = None
    service: ExecutionService | None = None
    try:
        store = await OrderStore.open(bus.js)
        nonces = await NonceLedger.open(bus.js)
        if brokers is None:
            accounts = open_accounts(settings, bus)
            opened = [a.broker for a in accounts]
            brokers = {a.account: a.broker for a in accounts}
        service = ExecutionService(bus, brokers, store, nonces, settings)
        await service.recover()
        await service.announce_state()
        for route in ROUTES:
            handler = partial(route.handler, service)
            if route.durable is None:
                await bus.serve(route.subject, handler, queue=EXECUTION)
            else:
                ack_wait = settings.exec_approval_ack_wait_s if route.subject is EXEC_APPROVAL else 30.0
                consumers.append(
                    await bus.consume(route.subject, route.durable, handler, ack_wait_s=ack_wait)
                )
        tracker = asyncio.create_task(service.track_forever(), name="execution:tracker")
        logger.info(
            "execution serving",
            extra={"accounts": sorted(brokers), "live_trading": settings.live_trading},
        )
        await stop.wait()
        await service.quiesce(settings.broker_timeout_s + 1.0)
    finally:
        if service is not None:
            service.begin_stop()
        if tracker is not None:
            await _finish(tracker, "tracker")
        for consumer in consumers:
            consumer.task.cancel()
            await _finish(consumer.task, "consumer")
            with contextlib.suppress(nats.errors.Error):
                await consumer.subscription.unsubscribe()
        for broker in opened:
            with contextlib.suppress(Exception):
                await broker.close()
        with contextlib.suppress(nats.errors.Error):
            await bus.close()


async def _finish(task: asyncio.Task[None], what: str, timeout: float = 5.0) -> None:
    """Wait for a task to end, cancelling it when it does not; never wait forever (a cancellation can
    be swallowed inside nats-py; closing the bus then ends the task)."""
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        logger.error("task did not stop; the bus is closed under it", extra={"task": what})
    elif not task.cancelled() and task.exception() is not None:
        logger.error("task failed", extra={"task": what}, exc_info=task.exception())


SERVICE = ServiceSpec(name=EXECUTION, settings=ExecutionSettings, run=run)


@dataclass(frozen=True)
class Route(Generic[M]):
    """A subject and its handler: request/reply when `durable` is None, else a durable JetStream consumer."""

    subject: Subject[M]
    handler: Callable[[ExecutionService, M], Awaitable[Any]]
    durable: str | None = None


ROUTES: tuple[Route[Any], ...] = (
    Route(EXEC_ORDERS_CREATE, ExecutionService.create),
    Route(EXEC_SIMULATE, ExecutionService.simulate),
    Route(EXEC_ORDERS_GET, ExecutionService.get),
    Route(EXEC_ORDERS_LIST, ExecutionService.list_orders),
    Route(EXEC_ORDERS_CANCEL, ExecutionService.cancel),
    Route(EXEC_STATE_SET, ExecutionService.set_state),
    Route(EXEC_APPROVAL, ExecutionService.on_approval, durable=APPROVALS_DURABLE),
    Route(RISK_LIMIT_BREACHED, ExecutionService.on_breach, durable=BREACHES_DURABLE),
)
