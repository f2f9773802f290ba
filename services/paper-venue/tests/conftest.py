"""Shared fixtures of the paper venue's tests: the demo market at a fixed simulated start."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.demo import demo_market_config
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.market import MarketState, open_market

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York


@pytest.fixture
def market() -> MarketState:
    return open_market(demo_market_config(START), START)


@pytest.fixture
def rates() -> MarginRates:
    return MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)})
