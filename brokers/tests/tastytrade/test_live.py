"""Read-only checks against the real Tastytrade API. Skipped unless credentials are given, never in CI:

    DELTADESK_TEST_TASTYTRADE_ACCOUNT_ID, DELTADESK_TEST_TASTYTRADE_PROVIDER_SECRET,
    DELTADESK_TEST_TASTYTRADE_REFRESH_TOKEN, and DELTADESK_TEST_TASTYTRADE_SANDBOX=true for the
    certification environment.

Nothing here places an order: the what-if is a dry run, and live trading stays off.
"""

import os
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from deltadesk.brokers.settings import BrokerSettings
from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType

PREFIX = "DELTADESK_TEST_TASTYTRADE_"
CREDENTIALS = {
    name: os.environ.get(PREFIX + name) for name in ("ACCOUNT_ID", "PROVIDER_SECRET", "REFRESH_TOKEN")
}
SANDBOX = os.environ.get(PREFIX + "SANDBOX", "").lower() in ("1", "true", "yes")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not all(CREDENTIALS.values()) or bool(os.environ.get("CI")),
        reason=f"needs {PREFIX}ACCOUNT_ID, _PROVIDER_SECRET and _REFRESH_TOKEN (never run in CI)",
    ),
]


@pytest.fixture
async def live() -> AsyncIterator[TastytradeBroker]:
    settings = BrokerSettings(
        _env_file=None,
        tastytrade_account_id=CREDENTIALS["ACCOUNT_ID"],
        tastytrade_provider_secret=SecretStr(CREDENTIALS["PROVIDER_SECRET"] or ""),
        tastytrade_refresh_token=SecretStr(CREDENTIALS["REFRESH_TOKEN"] or ""),
        tastytrade_sandbox=SANDBOX,
        live_trading=False,
    )
    broker = TastytradeBroker(settings)
    try:
        yield broker
    finally:
        await broker.close()


async def test_the_real_account_reads(live: TastytradeBroker) -> None:
    account = CREDENTIALS["ACCOUNT_ID"] or ""
    balances = await live.balances(account)
    assert balances.account == account
    for position in await live.positions(account):
        assert position.account == account
        assert position.multiplier > 0


async def test_real_market_data_or_the_sandboxs_refusal(live: TastytradeBroker) -> None:
    if SANDBOX:
        with pytest.raises(BrokerUnavailable, match="sandbox"):
            await live.quotes(["SPX"])
        return
    quotes = {q.symbol: q for q in await live.quotes(["SPX", "SPY"])}
    assert quotes["SPX"].price is not None
    assert quotes["SPX"].price > 0
    expiries = await live.expiries("SPX", InstrumentType.OPT)
    assert expiries == sorted(expiries)
    (spy,) = await live.market_metrics(["SPY"])
    assert spy.beta is not None
