"""A wire-faithful fake of the IBKR Client Portal gateway, for tests and for `deltadesk fake-ibkr`.

state = GatewayState("DU1234567")          # accounts, contracts, market, orders, faults
async with FakeGateway(state) as gateway:  # HTTPS on a free port, self-signed like the real one
    ...                                    # point IbkrBroker at gateway.url; drive `state`
"""

from deltadesk.brokers.ibkr.fake.records import DEFAULT_ACCOUNT, Faults, Limits
from deltadesk.brokers.ibkr.fake.server import FakeGateway
from deltadesk.brokers.ibkr.fake.state import GatewayState

__all__ = ["DEFAULT_ACCOUNT", "FakeGateway", "Faults", "GatewayState", "Limits"]
