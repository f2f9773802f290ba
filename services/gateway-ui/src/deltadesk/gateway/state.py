"""The desk as the gateway last heard it: the latest risk, broker status and snapshot-logger run of
each account, every order with its state (the blotter), and the trading state.

Updates come from the bus handlers (and from KV, or execution's order list, at start); each one is
fanned out to every open stream client's mailbox. An update older than the one held (a KV value read
after a live message overtook it) is ignored, so the page never steps back in time.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar
from uuid import UUID

from deltadesk.gateway.domain.accounts import TOTAL, order_accounts
from deltadesk.gateway.domain.blotter import OrderEntry, entry_from_event, merge_entry
from deltadesk.gateway.errors import NoRiskYet, UnknownAccount
from deltadesk.gateway.mailbox import Mailbox, Update
from deltadesk.shared.events import (
    BrokerStatusChanged,
    OrderStateChanged,
    RiskUpdated,
    SnapshotTaken,
    TradingStateChanged,
)

U = TypeVar("U", RiskUpdated, BrokerStatusChanged, SnapshotTaken)

MAILBOX_CAPACITY = 1024  # keys per client: the accounts of one desk and the blotter's orders, with margin
MAX_ORDERS = 500  # the blotter keeps the newest; older ones stay in execution and the journal


class DeskState:
    def __init__(self, mailbox_capacity: int = MAILBOX_CAPACITY) -> None:
        self._risks: dict[str, RiskUpdated] = {}
        self._statuses: dict[str, BrokerStatusChanged] = {}
        self._snapshots: dict[str, SnapshotTaken] = {}
        self._orders: dict[UUID, OrderEntry] = {}
        self._trading: TradingStateChanged | None = None
        self._mailboxes: set[Mailbox] = set()
        self._mailbox_capacity = mailbox_capacity
        self._closed = False

    # ── what the bus said ───────────────────────────────────────────────────────────────────────
    def apply_risk(self, event: RiskUpdated) -> bool:
        """Keep `event` as its account's risk unless a newer one is held; True when it was kept."""
        return self._apply(self._risks, event)

    def apply_status(self, event: BrokerStatusChanged) -> bool:
        """Keep `event` as its account's broker status unless a newer one is held."""
        return self._apply(self._statuses, event)

    def apply_snapshot(self, event: SnapshotTaken) -> bool:
        """Keep `event` as its account's last snapshot-logger run unless a newer one is held."""
        return self._apply(self._snapshots, event)

    def apply_order(self, entry: OrderEntry) -> bool:
        """Merge what was learnt of an order (a reply or an event) into the blotter."""
        merged = merge_entry(self._orders.get(entry.order_id), entry)
        if merged is None:
            return False
        self._orders[merged.order_id] = merged
        if len(self._orders) > MAX_ORDERS:
            oldest = min(self._orders.values(), key=lambda e: e.updated_at)
            del self._orders[oldest.order_id]
        self._fan_out(merged)
        return True

    def apply_order_event(self, event: OrderStateChanged) -> bool:
        return self.apply_order(entry_from_event(event))

    def apply_trading(self, event: TradingStateChanged) -> bool:
        held = self._trading
        if held is not None and (held.event_id == event.event_id or event.occurred_at < held.occurred_at):
            return False
        self._trading = event
        self._fan_out(event)
        return True

    def _apply(self, store: dict[str, U], event: U) -> bool:
        held = store.get(event.account)
        if held is not None and (held.event_id == event.event_id or event.occurred_at < held.occurred_at):
            return False
        store[event.account] = event
        self._fan_out(event)
        return True

    def _fan_out(self, update: Update) -> None:
        for mailbox in self._mailboxes:
            mailbox.put(update)

    # ── what the page reads ─────────────────────────────────────────────────────────────────────
    @property
    def risks(self) -> Mapping[str, RiskUpdated]:
        return MappingProxyType(self._risks)

    @property
    def statuses(self) -> Mapping[str, BrokerStatusChanged]:
        return MappingProxyType(self._statuses)

    @property
    def snapshots(self) -> Mapping[str, SnapshotTaken]:
        return MappingProxyType(self._snapshots)

    @property
    def trading(self) -> TradingStateChanged | None:
        return self._trading

    def orders(self, account: str | None = None) -> tuple[OrderEntry, ...]:
        """The blotter, newest first; one account's orders when `account` is given."""
        entries = (e for e in self._orders.values() if account is None or e.account == account)
        return tuple(sorted(entries, key=lambda e: (e.order.created_at, e.updated_at), reverse=True))

    def order(self, order_id: UUID) -> OrderEntry | None:
        return self._orders.get(order_id)

    def brokers(self) -> dict[str, str]:
        """Each account's broker (`paper`, `ibkr`, …), as market-data reported it."""
        return {account: status.broker for account, status in sorted(self._statuses.items())}

    def accounts(self) -> tuple[str, ...]:
        """`total` and every account any message named, in the selector's order."""
        seen = set(self._risks) | set(self._statuses)
        total = self._risks.get(TOTAL)
        if total is not None:
            seen.update(total.accounts)
        return order_accounts(seen)

    def risk_for(self, account: str) -> RiskUpdated:
        risk = self._risks.get(account)
        if risk is not None:
            return risk
        known = self.accounts()
        if account in known:
            raise NoRiskYet(f"risk has not published Greeks for {account} yet")
        raise UnknownAccount(f"no account {account!r} is known; known accounts: {', '.join(known)}")

    # ── stream clients ──────────────────────────────────────────────────────────────────────────
    @property
    def clients(self) -> int:
        return len(self._mailboxes)

    @property
    def closed(self) -> bool:
        return self._closed

    def open_mailbox(self) -> Mailbox:
        """A mailbox already holding the current state, then every update as it comes.

        Once the state is closed (the gateway is stopping) the mailbox comes back closed.
        """
        mailbox = Mailbox(self._mailbox_capacity)
        if self._closed:
            mailbox.close()
            return mailbox
        current: list[Update] = [self._statuses[a] for a in sorted(self._statuses)]
        current += [self._risks[a] for a in order_accounts(self._risks) if a in self._risks]
        current += [self._snapshots[a] for a in sorted(self._snapshots)]
        if self._trading is not None:
            current.append(self._trading)
        current += reversed(self.orders())  # oldest first: the page puts each newer one on top
        for update in current:
            mailbox.put(update)
        self._mailboxes.add(mailbox)
        return mailbox

    def close_mailbox(self, mailbox: Mailbox) -> None:
        self._mailboxes.discard(mailbox)
        mailbox.close()

    def close(self) -> None:
        """End every stream now and refuse new ones: the gateway is stopping."""
        self._closed = True
        for mailbox in self._mailboxes:
            mailbox.close()
        self._mailboxes.clear()
