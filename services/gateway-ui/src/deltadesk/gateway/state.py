"""The desk as the gateway last heard it: the latest risk and broker status of each account.

Updates come from the bus handlers (and from KV at start); each one is fanned out to every open
stream client's mailbox. An update older than the one held (a KV value read after a live message
overtook it) is ignored, so the page never steps back in time.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from deltadesk.gateway.domain.accounts import TOTAL, order_accounts
from deltadesk.gateway.errors import NoRiskYet, UnknownAccount
from deltadesk.gateway.mailbox import Mailbox, Update
from deltadesk.shared.events import BrokerStatusChanged, RiskUpdated

U = TypeVar("U", RiskUpdated, BrokerStatusChanged)

MAILBOX_CAPACITY = 256  # keys per client: two kinds × the accounts of one desk, with a wide margin


class DeskState:
    def __init__(self, mailbox_capacity: int = MAILBOX_CAPACITY) -> None:
        self._risks: dict[str, RiskUpdated] = {}
        self._statuses: dict[str, BrokerStatusChanged] = {}
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

    def _apply(self, store: dict[str, U], event: U) -> bool:
        held = store.get(event.account)
        if held is not None and (held.event_id == event.event_id or event.occurred_at < held.occurred_at):
            return False
        store[event.account] = event
        for mailbox in self._mailboxes:
            mailbox.put(event)
        return True

    # ── what the page reads ─────────────────────────────────────────────────────────────────────
    @property
    def risks(self) -> Mapping[str, RiskUpdated]:
        return MappingProxyType(self._risks)

    @property
    def statuses(self) -> Mapping[str, BrokerStatusChanged]:
        return MappingProxyType(self._statuses)

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
