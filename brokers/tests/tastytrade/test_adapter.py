"""Every Broker method of the Tastytrade adapter, through the real SDK, against the fake's REST API and
DXLink streamer."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.api import Fault
from deltadesk.brokers.tastytrade.fakes.market import OptionTerms
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.shared.broker import Broker
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, ApprovedOrder, LegSpec, Order, OrderState

pytestmark = pytest.mark.integration
ACCOUNT = "5WT00001"


def leg(
    underlying: str, terms: OptionTerms, instrument: InstrumentType = InstrumentType.OPT, **extra: object
) -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=instrument,
        underlying=underlying,
        quantity=1,
        expiry=terms.expiry,
        strike=terms.strike,
        right=terms.right,
        **extra,  # type: ignore[arg-type]
    )


def test_the_adapter_is_a_broker(broker: TastytradeBroker) -> None:
    port: Broker = broker
    assert port.name == "tastytrade"


async def test_positions_are_signed_with_streamed_marks_greeks_and_underlying_prices(
    fake: FakeTastytrade, broker: TastytradeBroker, book: dict[str, OptionTerms]
) -> None:
    positions = {p.symbol: p for p in await broker.positions(ACCOUNT)}
    spxw = positions[book["spxw"].symbol]
    expected = fake.market.option_values(book["spxw"])
    assert (spxw.quantity, spxw.multiplier, spxw.underlying) == (-2, 100, "SPX")
    assert spxw.greeks is not None
    assert spxw.greeks.delta == pytest.approx(expected.delta, abs=1e-6)
    assert spxw.greeks.theta == pytest.approx(expected.theta, abs=1e-6)
    assert spxw.iv == pytest.approx(0.17)
    assert spxw.underlying_price == pytest.approx(6000.0)  # SPX: from its Trades
    assert spxw.mark == fake.market.mid(book["spxw"].symbol)
    assert spxw.average_cost == Decimal("12.40")
    aapl = positions["AAPL"]
    assert (aapl.instrument, aapl.quantity, aapl.underlying_price) == (
        InstrumentType.STK,
        100,
        pytest.approx(231.2),
    )
    assert positions[book["spy"].symbol].quantity == -5


async def test_balances_are_the_accounts(
    fake: FakeTastytrade, broker: TastytradeBroker, book: object
) -> None:
    balances = await broker.balances(ACCOUNT)
    assert balances.account == ACCOUNT
    assert balances.net_liquidation == fake.account.net_liquidation()
    assert balances.maintenance_margin == fake.account.requirement() > 0
    assert balances.buying_power == fake.account.buying_power()


async def test_quotes_of_indexes_stocks_and_futures_and_unknowns_left_out(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    front = next(f for f in fake.market.futures.values() if f.product == "ES" and f.active_month)
    quotes = {
        q.symbol: q for q in await broker.quotes(["SPX", "VIX", "AAPL", front.symbol, "NOSUCH", "/ZZZ6"])
    }
    assert set(quotes) == {"SPX", "VIX", "AAPL", front.symbol}
    assert (quotes["AAPL"].bid, quotes["AAPL"].ask, quotes["AAPL"].last) == (
        Decimal("231.19"),
        Decimal("231.21"),
        Decimal("231.20"),
    )
    assert quotes[front.symbol].price == Decimal("6012.25")
    assert quotes["VIX"].price == Decimal("16.50")


async def test_an_spxw_leg_resolves_to_its_occ_contract(
    broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    terms = pick("SPXW", Right.PUT, 5850)
    contract = await broker.resolve(leg("SPX", terms, trading_class="SPXW"))
    assert contract.symbol == contract.broker_id == terms.symbol
    assert (contract.underlying, contract.trading_class, contract.multiplier) == ("SPX", "SPXW", 100)
    assert (contract.expiry, contract.strike, contract.right) == (terms.expiry, Decimal(5850), Right.PUT)
    spxw_named = await broker.resolve(leg("SPXW", terms))
    assert spxw_named == contract


async def test_the_spx_monthly_resolves_to_the_am_root(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    monthly = min(fake.market.roots[0].expiries)  # the SPX root's third Friday, listed by SPXW too
    terms = next(t for t in fake.market.equity_options() if t.root == "SPX" and t.expiry == monthly)
    assert (await broker.resolve(leg("SPX", terms))).trading_class == "SPX"
    assert (await broker.resolve(leg("SPX", terms, trading_class="SPXW"))).trading_class == "SPXW"


async def test_a_strike_that_is_not_listed_is_rejected(
    broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    terms = pick("SPXW", Right.PUT, 5850)
    with pytest.raises(BrokerRejected, match="no strike 5851"):
        await broker.resolve(leg("SPX", replace(terms, strike=Decimal(5851))))


async def test_shares_resolve_with_their_kind(broker: TastytradeBroker) -> None:
    spy = await broker.resolve(
        LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="SPY", quantity=10)
    )
    assert (spy.symbol, spy.instrument, spy.multiplier) == ("SPY", InstrumentType.ETF, 1)


async def test_a_future_without_expiry_is_the_front_month(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    front, back = sorted(
        (f for f in fake.market.futures.values() if f.product == "MES"), key=lambda f: f.expiry
    )
    resolved = await broker.resolve(
        LegSpec(action=Action.SELL, instrument=InstrumentType.FUT, underlying="/MES", quantity=1)
    )
    assert (resolved.symbol, resolved.multiplier, resolved.underlying) == (front.symbol, 5, "/MES")
    assert await broker.front_month("/MES") == resolved
    later = await broker.resolve(
        LegSpec(
            action=Action.SELL,
            instrument=InstrumentType.FUT,
            underlying="/MES",
            quantity=1,
            expiry=back.expiry,
        )
    )
    assert later.symbol == back.symbol


async def test_expiries_of_index_options_and_of_futures_options(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    spx = await broker.expiries("SPX", InstrumentType.OPT)
    assert spx == sorted({t.expiry for t in fake.market.equity_options() if t.underlying == "SPX"})
    es = await broker.expiries("/ES", InstrumentType.FOP)
    assert es == sorted(s.expiry for s in fake.market.series if s.future.product == "ES")


async def test_a_chain_has_both_rights_per_strike_with_quotes_delta_and_iv(
    fake: FakeTastytrade, broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    terms = pick("SPXW", Right.PUT, 5900)
    chain = await broker.chain("SPX", terms.expiry, InstrumentType.OPT)
    assert chain.underlying_price == pytest.approx(6000.0)
    assert [row.strike for row in chain.rows] == sorted(row.strike for row in chain.rows)
    row = next(r for r in chain.rows if r.strike == 5900)
    assert row.call is not None
    assert row.put is not None
    assert row.put.contract.symbol == terms.symbol
    assert (row.put.bid, row.put.ask) == fake.market.option_quote(terms)
    assert row.put.greeks is not None
    assert row.put.greeks.delta == pytest.approx(fake.market.option_values(terms).delta, abs=1e-6)
    assert row.put.iv == pytest.approx(0.17)


async def test_a_futures_option_chain_is_worth_the_futures_multiplier(
    fake: FakeTastytrade, broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    terms = pick("ES", Right.CALL, 6000)
    chain = await broker.chain("/ES", terms.expiry, InstrumentType.FOP)
    assert (chain.underlying, chain.instrument) == ("/ES", InstrumentType.FOP)
    assert chain.underlying_price == pytest.approx(6012.25)
    call = next(r for r in chain.rows if r.strike == 6000).call
    assert call is not None
    assert call.contract.multiplier == 50
    assert call.contract.broker_id == terms.symbol
    assert call.underlying_price == pytest.approx(6012.25)


async def test_contract_quotes_come_in_the_order_asked(
    broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    put = await broker.resolve(leg("SPX", pick("SPXW", Right.PUT, 5850)))
    call = await broker.resolve(leg("SPX", pick("SPXW", Right.CALL, 6150)))
    future = await broker.front_month("/ES")
    quotes = await broker.contract_quotes([call, future, put])
    assert [q.contract for q in quotes] == [call, future, put]
    assert quotes[0].greeks is not None
    assert quotes[0].greeks.delta > 0
    assert quotes[1].greeks is None
    assert quotes[1].mid == Decimal("6012.25")
    assert quotes[2].underlying_price == pytest.approx(6000.0)


async def test_a_whatif_is_a_dry_run_with_margin_and_commission(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
) -> None:
    short = await broker.resolve(leg("SPX", pick("SPXW", Right.PUT, 5900)))
    long = await broker.resolve(leg("SPX", pick("SPXW", Right.PUT, 5850)))
    whatif = await broker.whatif(make_order(("SELL", 2, short), ("BUY", 2, long), limit="-1.20"))
    assert whatif.initial_margin_change == Decimal(2 * 50 * 100)  # the spread's width, 2 lots
    assert whatif.commission is not None
    assert whatif.commission > 0
    assert whatif.buying_power_change == -(whatif.initial_margin_change + whatif.commission)
    assert fake.account.orders == {}


async def test_an_order_is_placed_tracked_filled_found_and_cancelled(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    short = await broker.resolve(leg("SPX", pick("SPXW", Right.PUT, 5900)))
    long = await broker.resolve(leg("SPX", pick("SPXW", Right.PUT, 5850)))
    order = make_order(("SELL", 2, short), ("BUY", 2, long), limit="-1.20")
    started = datetime.now(UTC) - timedelta(seconds=1)
    order_id = await broker.place(approve(order))

    status = await broker.status(ACCOUNT, order_id)
    assert (status.state, status.client_order_id, status.remaining_quantity) == (
        OrderState.SUBMITTED,
        order.client_order_id,
        2,
    )
    fake.account.fill(int(order_id), datetime.now(UTC), combos=1)
    status = await broker.status(ACCOUNT, order_id)
    assert (status.state, status.filled_quantity, status.remaining_quantity) == (OrderState.PARTIAL, 1, 1)
    found = await broker.find_order(ACCOUNT, order.client_order_id)
    assert found is not None
    assert found.broker_order_id == order_id

    executions = await broker.executions(ACCOUNT, started)
    assert {(e.symbol, e.action, e.quantity) for e in executions} == {
        (short.symbol, Action.SELL, 1),
        (long.symbol, Action.BUY, 1),
    }
    assert {e.broker_order_id for e in executions} == {order_id}

    await broker.cancel(ACCOUNT, order_id)
    status = await broker.status(ACCOUNT, order_id)
    assert (status.state, status.filled_quantity) == (OrderState.CANCELLED, 1)
    with pytest.raises(BrokerRejected, match="cannot_update_order"):
        await broker.cancel(ACCOUNT, order_id)


async def test_an_order_the_broker_never_saw_is_not_found(broker: TastytradeBroker) -> None:
    assert await broker.find_order(ACCOUNT, "dd-000000000000000000000000") is None
    with pytest.raises(BrokerRejected, match="record_not_found"):
        await broker.status(ACCOUNT, "424242")
    with pytest.raises(BrokerRejected, match="not a Tastytrade order id"):
        await broker.status(ACCOUNT, "abc")


async def test_market_metrics_give_betas(broker: TastytradeBroker) -> None:
    metrics = {m.symbol: m for m in await broker.market_metrics(["aapl", "SPX", "NOSUCH"])}
    assert set(metrics) == {"AAPL", "SPX"}
    assert metrics["AAPL"].beta == pytest.approx(1.2134)
    assert metrics["SPX"].beta == 1.0


async def test_a_refused_login_is_unavailable(open_broker: Callable[..., TastytradeBroker]) -> None:
    broker = open_broker(tastytrade_refresh_token=SecretStr("revoked"))
    with pytest.raises(BrokerUnavailable, match="invalid_grant"):
        await broker.balances(ACCOUNT)


async def test_a_server_error_is_unavailable(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    fake.api.inject(Fault("GET", r"/accounts/.+/positions", status=503))
    with pytest.raises(BrokerUnavailable, match="HTTP 503"):
        await broker.positions(ACCOUNT)
    assert await broker.positions(ACCOUNT) == []  # the next poll works


async def test_every_request_identifies_the_desk_and_carries_the_token(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.balances(ACCOUNT)
    (login,) = fake.api.calls("POST", "/oauth/token")
    assert "authorization" not in login.headers
    request = fake.api.calls("GET", r"/accounts/.+/balances/USD")[0]
    assert request.headers["user-agent"].startswith("deltadesk/")
    assert request.headers["authorization"].startswith("Bearer access-")
    assert request.headers["accept-version"] == "20251101"
