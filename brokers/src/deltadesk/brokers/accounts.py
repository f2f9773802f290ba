"""Which broker serves which account: the desk's configured accounts, each with its adapter.

Today the paper broker is the only one; the real adapters join here, each configured by environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from deltadesk.brokers.paper import PaperBroker
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus
from deltadesk.shared.settings import DeskSettings


@dataclass(frozen=True)
class BrokerAccount:
    account: str
    broker: Broker


def open_accounts(settings: DeskSettings, bus: Bus, *, timeout: float = 5.0) -> list[BrokerAccount]:
    """The accounts to serve, with adapters that share the caller's bus connection."""
    return [BrokerAccount(settings.paper_account_id, PaperBroker(bus, timeout=timeout))]
