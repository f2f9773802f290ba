"""Several accounts at once — paper, IBKR (fake gateway) and Tastytrade (fake API) — each configured
by environment-style settings: positions carry their account, risk publishes each and the total."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.fake.books import seed_demo
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.market_data.service import run as run_market_data
from deltadesk.market_data.settings import MarketDataSettings
from deltadesk.paper_venue.service import run as run_venue
from deltadesk.paper_venue.settings import PaperVenueSettings
from deltadesk.risk.service import run as run_risk
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.bus import Bus
from deltadesk.shared.portfolio import RiskStatus
from deltadesk.shared.subjects import MD_POSITIONS, RISK_UPDATED
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "config"
IBKR, TASTY, PAPER = "DU1234567", "5WT00001", "PAPER"


@pytest.fixture
async def three_brokers(nats_url: str, tmp_path: Path) -> AsyncIterator[Bus]:
    state = GatewayState(
        IBKR,
        today=datetime.now(UTC).date(),
        limits=Limits(global_per_s=500, slow_interval_s=0.05, tickle_interval_s=0.0),
    )
    seed_demo(state)
    async with FakeGateway(state) as gateway, FakeTastytrade(account_number=TASTY) as tasty:
        tasty.hold_demo_book()
        accounts = tasty.settings().model_dump(
            include={
                "tastytrade_account_id",
                "tastytrade_provider_secret",
                "tastytrade_refresh_token",
                "tastytrade_api_url",
            }
        )
        common = {"nats_url": nats_url, "data_dir": tmp_path, "config_dir": CONFIG}
        brokers = {
            **accounts,
            "paper_enabled": True,
            "ibkr_account_id": IBKR,
            "ibkr_gateway_url": gateway.url,
            "ibkr_requests_per_second": 10,
        }
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(run_venue(PaperVenueSettings(**common, paper_seed=2), stop)),
            asyncio.create_task(
                run_market_data(
                    MarketDataSettings(
                        _env_file=None,
                        **common,
                        **brokers,
                        md_positions_interval_s=1.0,
                        md_request_timeout_s=15,
                    ),
                    stop,
                )
            ),
            asyncio.create_task(
                run_risk(RiskSettings(_env_file=None, **common, beta_sources=("config",)), stop)
            ),
        ]
        reader = await Bus.connect(nats_url, "gateway")
        try:
            yield reader
        finally:
            await reader.close()
            stop.set()
            done, pending = await asyncio.wait(tasks, timeout=30)
            assert not pending, "a service did not stop"
            for task in done:
                assert task.exception() is None, task.exception()


async def test_every_account_is_served_and_the_total_sums_them(three_brokers: Bus) -> None:
    for account in (PAPER, IBKR, TASTY):
        reported = await eventually(
            lambda a=account: three_brokers.latest(MD_POSITIONS, account=a),
            timeout=60,
            what=f"positions of {account}",
        )
        assert reported.positions
        assert {p.account for p in reported.positions} == {account}

    async def total_of_three() -> object:
        update = await three_brokers.latest(RISK_UPDATED, account="total")
        ok = (
            update is not None
            and update.status is RiskStatus.OK
            and set(update.accounts) == {PAPER, IBKR, TASTY}
        )
        return update if ok else None

    total = await eventually(total_of_three, timeout=60, what="a total over three accounts")
    assert {p.account for p in total.positions} == {PAPER, IBKR, TASTY}

    async def all_ok() -> list[object] | None:
        found = [await three_brokers.latest(RISK_UPDATED, account=a) for a in (PAPER, IBKR, TASTY)]
        return found if all(u is not None and u.status is RiskStatus.OK for u in found) else None

    try:
        per_account = await eventually(all_ok, timeout=30, what="every account computing")
    except AssertionError:
        states = {a: await three_brokers.latest(RISK_UPDATED, account=a) for a in (PAPER, IBKR, TASTY)}
        raise AssertionError(
            {a: (u.status, u.halt_reason) if u else None for a, u in states.items()}
        ) from None
    # the total is every position once: its theta is the sum of the accounts' (theta does not move with SPX)
    assert total.greeks is not None
    assert len(total.positions) == sum(len(u.positions) for u in per_account if u is not None)
