"""The gateway session, against the fake gateway over HTTPS: authentication, pre-flights, keep-alive,
TLS, pacing and every failure mapped to the desk's errors."""

from __future__ import annotations

import asyncio

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import FakeGateway, GatewayState, Limits
from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES
from deltadesk.brokers.ibkr.session import is_local_host
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.testing import eventually

from .conftest import ACCOUNT, NOW, BrokerFactory, FixedClock, broker_settings, fast_tuning

pytestmark = pytest.mark.integration


async def test_the_first_call_checks_auth_then_queries_accounts(
    broker: IbkrBroker, state: GatewayState
) -> None:
    await broker.quotes(["SPX"])
    assert state.requests["POST /iserver/auth/status"] == 1
    assert state.requests["GET /iserver/accounts"] == 1
    assert state.refused == {}  # no 401, no 411 (every POST carried Content-Length), no 429


async def test_a_timed_out_brokerage_session_is_reauthenticated_after_a_401(
    make_broker: BrokerFactory, state: GatewayState
) -> None:
    broker = make_broker()
    await broker.balances(ACCOUNT)
    state.expire_session()  # IBKR's brokerage session timed out; the gateway is still logged in
    quotes = await broker.quotes(["AAPL"])
    assert [q.symbol for q in quotes] == ["AAPL"]
    assert state.refused[401] == 1
    assert state.reauthentications == 1
    assert state.requests["POST /iserver/auth/ssodh/init"] == 1
    assert state.requests["GET /iserver/accounts"] == 2  # queried again after the re-authentication


async def test_a_gateway_nobody_logged_into_is_unavailable_with_the_login_address(
    broker: IbkrBroker, state: GatewayState, gateway: FakeGateway
) -> None:
    state.log_out()
    with pytest.raises(BrokerUnavailable, match="nobody is logged in") as caught:
        await broker.positions(ACCOUNT)
    assert gateway.url.removesuffix("/v1/api") in str(caught.value)


async def test_a_competing_session_is_unavailable_and_never_taken_over(
    broker: IbkrBroker, state: GatewayState
) -> None:
    state.compete()
    with pytest.raises(BrokerUnavailable, match="competing"):
        await broker.quotes(["SPX"])
    assert state.requests["POST /iserver/auth/ssodh/init"] == 0
    assert state.requests["POST /iserver/reauthenticate"] == 0


async def test_reauthentication_that_does_not_take_is_unavailable(
    make_broker: BrokerFactory, state: GatewayState
) -> None:
    broker = make_broker(tuning=fast_tuning(reauth_checks=3))
    state.expire_session()
    state.faults.fail("POST /iserver/auth/ssodh/init", 410, body={"error": "gone"})
    state.faults.fail("POST /iserver/reauthenticate", 503)
    with pytest.raises(BrokerUnavailable):
        await broker.quotes(["SPX"])
    assert state.requests["POST /iserver/auth/status"] >= 1


@pytest.mark.parametrize("status", [400, 500, 503])
async def test_please_query_accounts_first_is_recovered_once_whatever_its_status(
    make_broker: BrokerFactory, state: GatewayState, status: int
) -> None:
    broker = make_broker()
    await broker.quotes(["SPX"])
    state.accounts_first_status = status
    state.session.accounts_queried = False  # the gateway forgot (a nightly reset)
    quotes = await broker.quotes(["AAPL"])
    assert [q.symbol for q in quotes] == ["AAPL"]
    assert state.requests["GET /iserver/accounts"] == 2


async def test_a_503_is_unavailable_with_ibkrs_words(broker: IbkrBroker, state: GatewayState) -> None:
    await broker.quotes(["SPX"])
    state.faults.fail("GET /portfolio/{account}/summary", 503)
    with pytest.raises(BrokerUnavailable, match=r"503.*Service Unavailable"):
        await broker.balances(ACCOUNT)


async def test_a_read_that_times_out_is_unavailable(make_broker: BrokerFactory, state: GatewayState) -> None:
    broker = make_broker(broker_timeout_s=0.3)
    await broker.quotes(["SPX"])
    state.faults.delay("GET /portfolio/{account}/summary", 0.6)
    with pytest.raises(BrokerUnavailable, match="did not answer"):
        await broker.balances(ACCOUNT)


async def test_a_429_is_unavailable_and_the_adapter_then_sends_nothing(
    make_broker: BrokerFactory, state: GatewayState
) -> None:
    state.limits.global_per_s = 3  # a gateway stricter than the adapter's pacing
    broker = make_broker()

    async def refresh_until_refused() -> None:
        for _ in range(5):
            await broker.quotes(["SPX", "VIX", "AAPL"])

    with pytest.raises(BrokerUnavailable, match="429"):
        await refresh_until_refused()
    sent = sum(state.requests.values())
    state.release_penalty()
    with pytest.raises(BrokerUnavailable, match="rate limit"):
        await broker.quotes(["SPX"])
    assert sum(state.requests.values()) == sent  # no retry storm: nothing left the adapter


async def test_the_adapter_paced_by_ibkrs_own_limits_never_earns_a_429() -> None:
    strict = GatewayState(ACCOUNT, today=NOW.date(), limits=Limits(), wall=lambda: NOW)  # IBKR's 10/s
    async with FakeGateway(strict) as gateway:
        tuning = IbkrTuning(snapshot_retry_s=0.01, endpoint_rates=dict(ENDPOINT_RATES))
        broker = IbkrBroker(
            broker_settings(gateway.url, ibkr_requests_per_second=6.0), tuning=tuning, clock=FixedClock()
        )
        try:
            await asyncio.gather(
                *(broker.quotes([symbol]) for symbol in ("SPX", "VIX", "AAPL", "MSFT", "KO"))
            )
        finally:
            await broker.close()
    assert sum(strict.requests.values()) >= 12
    assert strict.refused[429] == 0


async def test_slow_endpoints_wait_their_turn_instead_of_earning_a_429(
    broker: IbkrBroker, state: GatewayState
) -> None:
    for _ in range(3):
        await broker.find_order(ACCOUNT, "dd-unknown")
    assert state.requests["GET /iserver/account/orders"] >= 4  # the pre-flight, then one per call
    assert state.refused[429] == 0


async def test_keep_alive_tickles_and_notices_a_lost_session(
    make_broker: BrokerFactory, state: GatewayState
) -> None:
    broker = make_broker(ibkr_tickle_interval_s=0.05)
    await broker.quotes(["SPX"])
    await eventually(lambda: state.requests["POST /tickle"] >= 2, timeout=5, what="tickles")
    state.expire_session()
    tickles = state.requests["POST /tickle"]
    await eventually(
        lambda: state.requests["POST /tickle"] > tickles, timeout=5, what="a tickle after expiry"
    )
    await broker.quotes(["AAPL"])
    assert state.reauthentications == 1
    assert state.refused[401] == 0  # the tickle noticed first: no request was refused


async def test_the_self_signed_certificate_is_accepted_for_localhost(
    make_broker: BrokerFactory, gateway: FakeGateway
) -> None:
    broker = make_broker(url=gateway.url_for("localhost"))
    assert [q.symbol for q in await broker.quotes(["SPX"])] == ["SPX"]


async def test_the_self_signed_certificate_is_refused_for_a_host_that_is_not_local(
    make_broker: BrokerFactory,
) -> None:
    elsewhere = GatewayState(ACCOUNT, today=NOW.date(), wall=lambda: NOW)
    async with FakeGateway(elsewhere, host="127.0.0.2") as gateway:  # not one of the local names
        broker = make_broker(url=gateway.url)
        with pytest.raises(BrokerUnavailable, match="TLS certificate not trusted"):
            await broker.quotes(["SPX"])
    assert sum(elsewhere.requests.values()) == 0  # refused at the handshake: no request was read


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("https://localhost:5000/v1/api", True),
        ("https://127.0.0.1:5000/v1/api", True),
        ("https://[::1]:5000/v1/api", True),
        ("https://gateway.example.com:5000/v1/api", False),
        ("https://127.0.0.2:5000/v1/api", False),
        ("https://10.0.0.5:5000/v1/api", False),
    ],
)
def test_only_this_machine_is_local(url: str, local: bool) -> None:
    assert is_local_host(url) is local
