"""Which broker serves which account: the configured accounts, each with its adapter.

The paper broker serves `DELTADESK_PAPER_ACCOUNT_ID` (by default only when no real broker is
configured); IBKR serves `DELTADESK_IBKR_ACCOUNT_ID`; Tastytrade serves
`DELTADESK_TASTYTRADE_ACCOUNT_ID` when its credentials are set. Adapters are imported only for the
brokers in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from deltadesk.brokers.paper import PaperBroker
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.shared.broker import Broker
from deltadesk.shared.bus import Bus

# module:class of each real adapter; each takes (settings, **kwargs) and implements Broker
ADAPTERS = {
    "ibkr": "deltadesk.brokers.ibkr.adapter:IbkrBroker",
    "tastytrade": "deltadesk.brokers.tastytrade.adapter:TastytradeBroker",
}


@dataclass(frozen=True)
class BrokerAccount:
    account: str
    broker: Broker


def open_accounts(settings: BrokerSettings, bus: Bus, *, timeout: float | None = None) -> list[BrokerAccount]:
    """The accounts to serve. The paper adapter shares the caller's bus connection."""
    accounts: list[BrokerAccount] = []
    timeout = timeout or settings.broker_timeout_s
    if settings.paper_active:
        accounts.append(BrokerAccount(settings.paper_account_id, PaperBroker(bus, timeout=timeout)))
    if settings.ibkr_account_id:
        accounts.append(BrokerAccount(settings.ibkr_account_id, _adapter("ibkr", settings)))
    if settings.tastytrade_configured and settings.tastytrade_account_id:
        accounts.append(BrokerAccount(settings.tastytrade_account_id, _adapter("tastytrade", settings)))
    return accounts


def _adapter(name: str, settings: BrokerSettings, **kwargs: Any) -> Broker:
    module, cls = ADAPTERS[name].split(":")
    adapter: Broker = getattr(import_module(module), cls)(settings, **kwargs)
    return adapter
