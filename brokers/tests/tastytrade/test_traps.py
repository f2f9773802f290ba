"""The known Tastytrade traps, each shown against the fake through the real SDK:

- `place_order` dry-runs by default: only `place(ApprovedOrder)` sends `dry_run=False`, and only with
  live trading on;
- a submission is not idempotent: a failed or timed-out place is never retried, it is
  OrderStateUnknown and found again by its external identifier;
- /ES and /MES options are worth 50 and 5 a point, not the 1 the SDK reports;
- a rejected order raises (HTTP 422) instead of filling an `errors` field;
- SPX quotes may only come as Trades;
- the sandbox has no market data.
"""

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.api import Fault
from deltadesk.brokers.tastytrade.fakes.market import OptionTerms
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, OrderStateUnknown
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, ApprovedOrder, Contract, LegSpec, Order, OrderState

pytestmark = pytest.mark.integration
ACCOUNT = "5WT00001"
ORDERS = rf"/accounts/{ACCOUNT}/orders"
DRY_RUN = rf"/accounts/{ACCOUNT}/orders/dry-run"


async def spread(broker: TastytradeBroker, pick: Callable[..., OptionTerms]) -> tuple[Contract, Contract]:
    short, long = pick("SPXW", Right.PUT, 5900), pick("SPXW", Right.PUT, 5850)
    return (
        await broker.resolve(_leg(short)),
        await broker.resolve(_leg(long)),
    )


def _leg(terms: OptionTerms) -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.FOP if terms.on_future else InstrumentType.OPT,
        underlying="/ES" if terms.on_future else "SPX",
        quantity=1,
        expiry=terms.expiry,
        strike=terms.strike,
        right=terms.right,
        trading_class=terms.root,
    )


# ── the SDK's dry-run default ─────────────────────────────────────────────────────────────────────
async def test_a_whatif_only_ever_dry_runs(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
) -> None:
    short, long = await spread(broker, pick)
    await broker.whatif(make_order(("SELL", 1, short), ("BUY", 1, long)))
    assert len(fake.api.calls("POST", DRY_RUN)) == 1
    assert fake.api.calls("POST", ORDERS) == []
    assert fake.account.orders == {}


async def test_place_takes_nothing_but_an_approved_order(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
) -> None:
    short, long = await spread(broker, pick)
    order = make_order(("SELL", 1, short), ("BUY", 1, long))
    with pytest.raises(TypeError, match="ApprovedOrder"):
        await broker.place(order)  # type: ignore[arg-type]
    assert fake.api.calls("POST", ORDERS) == []


async def test_with_live_trading_off_an_approved_order_is_refused_before_anything_is_sent(
    fake: FakeTastytrade,
    open_broker: Callable[..., TastytradeBroker],
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    broker = open_broker(live_trading=False)
    short, long = await spread(broker, pick)
    approved = approve(make_order(("SELL", 1, short), ("BUY", 1, long)))
    sent_before = len(fake.api.requests)
    with pytest.raises(BrokerRejected, match="live trading is disabled"):
        await broker.place(approved)
    assert fake.api.requests[sent_before:] == []
    assert fake.account.orders == {}


async def test_an_approved_order_is_sent_live_once(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    short, long = await spread(broker, pick)
    order = make_order(("SELL", 1, short), ("BUY", 1, long))
    order_id = await broker.place(approve(order))
    (sent,) = fake.api.calls("POST", ORDERS)
    assert fake.api.calls("POST", DRY_RUN) == []
    assert b'"external-identifier":"' + order.client_order_id.encode() + b'"' in sent.body
    assert list(fake.account.orders) == [int(order_id)]


# ── placement is not idempotent ───────────────────────────────────────────────────────────────────
async def test_a_timed_out_submission_is_unknown_never_retried_and_found_by_its_external_id(
    fake: FakeTastytrade,
    open_broker: Callable[..., TastytradeBroker],
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    broker = open_broker(live_trading=True, broker_timeout_s=0.5)
    short, long = await spread(broker, pick)
    order = make_order(("SELL", 1, short), ("BUY", 1, long))
    fake.api.inject(Fault("POST", ORDERS, delay_s=1.5))  # Tastytrade takes the order, the answer is late
    with pytest.raises(OrderStateUnknown, match="not retried"):
        await broker.place(approve(order))
    assert len(fake.api.calls("POST", ORDERS)) == 1
    found = await broker.find_order(ACCOUNT, order.client_order_id)
    assert found is not None
    assert (found.state, found.client_order_id) == (OrderState.SUBMITTED, order.client_order_id)
    assert len(fake.api.calls("POST", ORDERS)) == 1


async def test_a_gateway_error_on_submission_is_unknown_not_rejected(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    short, long = await spread(broker, pick)
    fake.api.inject(Fault("POST", ORDERS, status=502))
    with pytest.raises(OrderStateUnknown, match="HTTP 502"):
        await broker.place(approve(make_order(("SELL", 1, short), ("BUY", 1, long))))
    assert len(fake.api.calls("POST", ORDERS)) == 1


async def test_an_unreachable_broker_sent_nothing_so_it_is_unavailable(
    fake: FakeTastytrade,
    open_broker: Callable[..., TastytradeBroker],
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    reachable = open_broker(live_trading=True)
    short, long = await spread(reachable, pick)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    broker = open_broker(live_trading=True, tastytrade_api_url=f"http://127.0.0.1:{port}")
    with pytest.raises(BrokerUnavailable):
        await broker.place(approve(make_order(("SELL", 1, short), ("BUY", 1, long))))


# ── /ES and /MES options ──────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("product", "multiplier"), [("ES", 50), ("MES", 5)])
async def test_options_on_index_futures_are_worth_the_futures_multiplier(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    product: str,
    multiplier: int,
) -> None:
    terms = pick(product, Right.PUT, 5900)
    assert fake.market.future_option_json(terms)["multiplier"] == "1.0"  # what the API says
    contract = await broker.resolve(_leg(terms).model_copy(update={"underlying": f"/{product}"}))
    assert contract.multiplier == multiplier
    assert contract.broker_id == terms.symbol
    assert contract.underlying == f"/{product}"

    fake.account.hold(terms.symbol, -1, "30.00", datetime.now(UTC))
    assert fake.account.position_json(fake.account.positions[terms.symbol])["multiplier"] == "1.0"
    (position,) = await broker.positions(ACCOUNT)
    assert position.multiplier == multiplier
    assert position.underlying_price == pytest.approx(float(fake.market.price(terms.underlying)))


# ── rejections raise ──────────────────────────────────────────────────────────────────────────────
async def test_a_preflight_failure_raises_with_the_apis_messages(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
    approve: Callable[[Order], ApprovedOrder],
) -> None:
    short, long = await spread(broker, pick)
    buy_for_credit = make_order(("BUY", 1, short), ("BUY", 1, long), limit="-0.50")
    with pytest.raises(BrokerRejected, match="cant_buy_for_credit: You cannot buy for a credit"):
        await broker.whatif(buy_for_credit)
    with pytest.raises(BrokerRejected, match="cant_buy_for_credit"):
        await broker.place(approve(buy_for_credit))
    assert fake.account.orders == {}


async def test_an_order_beyond_buying_power_is_rejected_by_the_margin_check(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    pick: Callable[..., OptionTerms],
    make_order: Callable[..., Order],
) -> None:
    fake.account.cash = Decimal("5000")
    short, _ = await spread(broker, pick)
    with pytest.raises(BrokerRejected, match="margin_check_failed"):
        await broker.whatif(make_order(("SELL", 10, short), limit="-8.00"))


# ── SPX trades ────────────────────────────────────────────────────────────────────────────────────
async def test_spx_is_priced_from_its_trades_when_its_quotes_are_empty(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    assert fake.market.events("Quote", "SPX")["bidPrice"] == "NaN"  # the index has no two-sided market
    (spx,) = await broker.quotes(["SPX"])
    assert (spx.bid, spx.ask, spx.last, spx.price) == (None, None, Decimal("6000.00"), Decimal("6000.00"))


# ── the sandbox ───────────────────────────────────────────────────────────────────────────────────
async def test_the_sandbox_says_it_has_no_market_data_and_never_zeros(
    fake: FakeTastytrade,
    open_broker: Callable[..., TastytradeBroker],
    book: dict[str, OptionTerms],
) -> None:
    broker = open_broker(tastytrade_sandbox=True)
    for call in (
        broker.quotes(["SPX"]),
        broker.chain("SPX", book["spxw"].expiry, InstrumentType.OPT),
        broker.contract_quotes([await broker.front_month("/ES")]),
    ):
        with pytest.raises(BrokerUnavailable, match=r"sandbox .* has no market data"):
            await call
    positions = {p.symbol: p for p in await broker.positions(ACCOUNT)}
    spxw = positions[book["spxw"].symbol]
    assert (spxw.greeks, spxw.underlying_price, spxw.mark) == (None, None, None)
    assert fake.api.calls("GET", "/api-quote-tokens") == []
    assert fake.dxlink.connections_total == 0
    assert all("accept-version" not in r.headers for r in fake.api.requests)  # the cert API refuses it
