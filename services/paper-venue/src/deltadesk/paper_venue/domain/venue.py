"""The paper venue's whole state: one simulated market and the paper accounts it marks, advanced
together so an account never sees a contract the market has already expired."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from deltadesk.paper_venue.domain.account import Account, Settlement, settle_expired
from deltadesk.paper_venue.domain.market import MarketState, step
from deltadesk.shared.errors import DomainError


class UnknownAccount(DomainError):
    code = "unknown_account"


@dataclass(frozen=True, slots=True)
class Venue:
    market: MarketState
    accounts: tuple[Account, ...]


def find_account(venue: Venue, account_id: str) -> Account:
    for account in venue.accounts:
        if account.account_id == account_id:
            return account
    held = ", ".join(a.account_id for a in venue.accounts) or "none"
    raise UnknownAccount(f"the paper venue has no account {account_id!r} (it holds: {held})")


def advance(venue: Venue, dt_seconds: float, rng: random.Random) -> tuple[Venue, tuple[Settlement, ...]]:
    """Step the market, then settle whatever expired in every account."""
    market = step(venue.market, dt_seconds, rng)
    accounts = []
    settlements: list[Settlement] = []
    for account in venue.accounts:
        settled_account, settled = settle_expired(account, market)
        accounts.append(settled_account)
        settlements.extend(settled)
    return replace(venue, market=market, accounts=tuple(accounts)), tuple(settlements)
