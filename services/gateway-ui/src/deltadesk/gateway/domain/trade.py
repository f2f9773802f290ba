"""What the order builder offers: the accounts an order can go to, each with its broker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deltadesk.gateway.domain.accounts import TOTAL

PAPER = "paper"


def trade_accounts(brokers: Mapping[str, str], known: Sequence[str]) -> tuple[str, ...]:
    """Accounts with a broker first (market-data reported their connection), then any other account
    risk named; never `total`, which is a sum, not an account."""
    with_broker = sorted(brokers)
    others = sorted(set(known) - set(with_broker) - {TOTAL})
    return (*with_broker, *others)


def is_paper(broker: str | None) -> bool:
    return broker == PAPER
