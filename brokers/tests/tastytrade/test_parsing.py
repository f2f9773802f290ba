"""Each recorded response shape (fixtures/*.json) through the SDK's own model, then into the desk's."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tastytrade.account import Account, AccountBalance, CurrentPosition
from tastytrade.instruments import (
    Equity,
    Future,
    FutureOption,
    NestedFutureOptionChain,
    NestedOptionChain,
    Option,
)
from tastytrade.metrics import MarketMetricInfo
from tastytrade.order import PlacedOrder, PlacedOrderResponse, UnplacedOrder

from deltadesk.brokers.tastytrade.errors import ApiError, ApiMessage
from deltadesk.brokers.tastytrade.instruments import choose_expiry, future_option_expiries, option_expiries
from deltadesk.brokers.tastytrade.metrics import metrics_from
from deltadesk.brokers.tastytrade.orders import executions_of, order_status, whatif_of
from deltadesk.brokers.tastytrade.parsing import (
    PositionMarket,
    UnsupportedPosition,
    desk_balances,
    desk_position,
    holding_of,
    open_positions,
)
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, OrderState
from deltadesk.shared.positions import Greeks

FIXTURES = Path(__file__).parent / "fixtures"
ES_MULTIPLIERS = {"/ESZ2": Decimal(50)}


def data(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())["data"]


def positions() -> list[CurrentPosition]:
    return [CurrentPosition(**item) for item in data("positions.json")["items"]]


def test_a_closed_position_waiting_for_the_purge_is_left_out() -> None:
    assert [p.symbol for p in open_positions(positions())] == [
        "AAPL",
        "SPXW  221118P03600000",
        "/ESZ2",
        "./ESZ2 EW4X2 221125P3700",
    ]


def test_a_long_stock_position_is_positive_shares() -> None:
    aapl = open_positions(positions())[0]
    holding = holding_of(aapl, ES_MULTIPLIERS)
    position = desk_position(
        "5WT00000", aapl, holding, PositionMarket(mark=Decimal("283.10"), underlying_price=283.1)
    )
    assert (position.instrument, position.quantity, position.multiplier) == (InstrumentType.STK, 100, 1)
    assert position.average_cost == Decimal("288.7")
    assert position.greeks == Greeks(delta=1.0)


def test_a_short_spxw_put_is_negative_on_spx_with_the_streamers_greeks() -> None:
    put = open_positions(positions())[1]
    greeks = Greeks(delta=-0.12, gamma=0.0004, theta=-1.9, vega=2.4)
    market = PositionMarket(mark=Decimal("14.40"), greeks=greeks, iv=0.19, underlying_price=3871.2)
    position = desk_position("5WT00000", put, holding_of(put, ES_MULTIPLIERS), market)
    assert position.quantity == -2
    assert (position.underlying, position.multiplier) == ("SPX", 100)
    assert (position.right, position.strike, position.expiry) == (
        Right.PUT,
        Decimal(3600),
        date(2022, 11, 18),
    )
    assert position.description == "SPXW 2022-11-18 3600 P"
    assert position.greeks == greeks
    assert position.underlying_price == pytest.approx(3871.2)


def test_a_short_future_is_priced_by_itself_and_weighed_against_its_product() -> None:
    future = open_positions(positions())[2]
    position = desk_position("5WT00000", future, holding_of(future, ES_MULTIPLIERS), PositionMarket())
    assert (position.quantity, position.multiplier, position.underlying) == (-1, 50, "/ES")
    assert position.underlying_contract == "/ESZ2"
    assert position.expiry is None


def test_an_es_option_is_worth_the_futures_notional_multiplier_not_what_tastytrade_reports() -> None:
    fop = open_positions(positions())[3]
    fop_reporting_one = CurrentPosition(**{**fop.model_dump(by_alias=True), "multiplier": "1.0"})
    for raw in (fop, fop_reporting_one):
        position = desk_position("5WT00000", raw, holding_of(raw, ES_MULTIPLIERS), PositionMarket())
        assert position.multiplier == 50
    assert position.symbol == "/ESZ2 221125P3700"
    assert (position.underlying, position.underlying_contract) == ("/ES", "/ESZ2")
    assert position.contract_id == "./ESZ2 EW4X2 221125P3700"


def test_a_crypto_position_is_not_one_the_desk_carries() -> None:
    raw = open_positions(positions())[0].model_dump(by_alias=True)
    crypto = CurrentPosition(**{**raw, "symbol": "BTC/USD", "instrument-type": "Cryptocurrency"})
    with pytest.raises(UnsupportedPosition, match="BTC/USD"):
        holding_of(crypto, ES_MULTIPLIERS)


def test_a_position_without_streamer_data_has_no_greeks_and_no_underlying_price() -> None:
    put = open_positions(positions())[1]
    position = desk_position("5WT00000", put, holding_of(put, ES_MULTIPLIERS), PositionMarket())
    assert position.greeks is None
    assert position.underlying_price is None
    assert position.mark is None


def test_balances_read_net_liq_cash_maintenance_and_option_buying_power() -> None:
    balances = desk_balances("5WT00000", AccountBalance(**data("balances.json")))
    assert balances.net_liquidation == Decimal("41409.164")
    assert balances.cash == Decimal("44178.164")
    assert balances.maintenance_margin == Decimal("30900.0")
    assert balances.initial_margin == Decimal("30900.0")
    assert balances.buying_power == Decimal("13278.164")
    assert balances.as_of == datetime(2026, 3, 5, 21, 38, 23, 529000, tzinfo=UTC)


def test_market_metrics_carry_beta_and_fractional_iv() -> None:
    aapl, ko = (metrics_from(MarketMetricInfo(**item)) for item in data("market_metrics.json")["items"])
    assert aapl.beta == pytest.approx(1.2134)
    assert aapl.beta_as_of == datetime(2026, 2, 27, 10, 15, tzinfo=UTC)
    assert (aapl.iv_index, aapl.iv_rank, aapl.iv_percentile) == pytest.approx((0.3125, 0.2201, 0.521))
    assert ko.beta is None


def test_a_dry_run_is_a_margin_increase_and_a_commission() -> None:
    response = PlacedOrderResponse[UnplacedOrder](**data("dry_run.json"))
    whatif = whatif_of(response)
    assert whatif.initial_margin_change == Decimal("300.0")  # a Debit: the requirement rises
    assert whatif.buying_power_change == Decimal("-102.302")
    assert whatif.commission == Decimal("2.302")
    assert whatif.warnings == ()


def test_a_placed_orders_warnings_are_kept_in_tastytrades_words() -> None:
    response = PlacedOrderResponse[PlacedOrder](**data("placed_order.json"))
    assert response.order.id == 129359
    assert whatif_of(response).warnings == (  # type: ignore[arg-type]
        "tif_next_valid_sesssion: Your order will begin working during next valid session.",
    )


def test_a_half_filled_credit_spread_is_partial_with_its_average_credit() -> None:
    status = order_status(PlacedOrder(**data("order_partially_filled.json")))
    assert status.state is OrderState.PARTIAL
    assert (status.filled_quantity, status.remaining_quantity) == (1, 1)
    assert status.average_price == Decimal("-1.2")  # sold at 4.10, bought at 2.90: a 1.20 credit
    assert status.client_order_id == "dd-5f0c2a8e4b7d41c3a9e1f2d3"
    assert [(leg.action, leg.quantity, leg.ordered, leg.price) for leg in status.legs] == [
        (Action.SELL, 1, 2, Decimal("4.1")),
        (Action.BUY, 1, 2, Decimal("2.9")),
    ]


def test_each_fill_is_one_execution() -> None:
    order = PlacedOrder(**data("order_partially_filled.json"))
    executions = executions_of([order, order], since=datetime(2026, 3, 2, tzinfo=UTC))
    assert [(e.execution_id, e.symbol, e.action, e.quantity, e.price) for e in executions] == [
        ("PH_6102_1", "SPXW  260320P05800000", Action.SELL, 1, Decimal("4.1")),
        ("PH_6102_2", "SPXW  260320P05750000", Action.BUY, 1, Decimal("2.9")),
    ]
    assert executions_of([order], since=datetime(2026, 3, 3, tzinfo=UTC)) == []


def test_live_orders_map_to_submitted_and_cancelled() -> None:
    live, cancelled = (order_status(PlacedOrder(**item)) for item in data("live_orders.json")["items"])
    assert (live.state, live.remaining_quantity) == (OrderState.SUBMITTED, 1)
    assert (cancelled.state, cancelled.reason) == (OrderState.CANCELLED, "Cancelled")


def test_instruments_read_through_the_sdk() -> None:
    assert Equity(**data("equity.json")).is_etf
    assert Option(**data("equity_option.json")).streamer_symbol == ".SPY230731C393"
    future = Future(**data("future.json"))
    assert (future.notional_multiplier, future.streamer_symbol) == (Decimal(50), "/ESU23:XCME")
    fop = FutureOption(**data("future_option.json"))
    assert fop.multiplier == 1  # the trap: see test_an_es_option_is_worth_the_futures_notional_multiplier…


def test_the_spx_monthly_is_the_am_root_unless_spxw_is_asked_for() -> None:
    chains = [NestedOptionChain(**item) for item in data("option_chain_nested.json")["items"]]
    listed = option_expiries(chains, "SPX")
    assert choose_expiry(listed, "SPX", date(2026, 3, 20)).root == "SPX"
    assert choose_expiry(listed, "SPX", date(2026, 3, 20), "SPXW").root == "SPXW"
    assert choose_expiry(listed, "SPX", date(2026, 3, 13)).root == "SPXW"  # only SPXW lists it
    assert {item.root for item in option_expiries(chains, "SPXW")} == {"SPXW"}
    with pytest.raises(BrokerRejected, match="no options expire"):
        choose_expiry(listed, "SPX", date(2026, 3, 16))


def test_a_strike_is_found_with_its_symbols() -> None:
    chains = [NestedOptionChain(**item) for item in data("option_chain_nested.json")["items"]]
    spxw = choose_expiry(option_expiries(chains, "SPX"), "SPX", date(2026, 3, 20), "SPXW")
    assert spxw.symbols(spxw.strike(Decimal(5750)), Right.PUT) == (
        "SPXW  260320P05750000",
        ".SPXW260320P5750",
    )
    with pytest.raises(BrokerRejected, match="no strike 5775"):
        spxw.strike(Decimal(5775))


def test_a_futures_option_chain_lists_expiries_on_their_future() -> None:
    chain = NestedFutureOptionChain(**data("futures_option_chain_nested.json"))
    (listed,) = future_option_expiries(chain, "/ES")
    assert (listed.underlying, listed.root, listed.expiry) == ("/ESU3", "E3A", date(2023, 7, 17))
    assert [s.strike_price for s in listed.strikes] == [4825, 5600]  # sorted
    assert future_option_expiries(chain, "/ESZ3") == []


def test_the_account_the_adapter_holds_reads_through_the_sdk() -> None:
    account = Account(**data("account.json"))
    assert (account.account_number, account.margin_or_cash, account.is_closed) == (
        "5WT00001",
        "Margin",
        False,
    )


def test_the_quote_token_answer_names_the_streamer() -> None:
    tokens = data("api_quote_tokens.json")
    assert tokens["dxlink-url"].startswith("wss://")
    assert tokens["token"]


def test_a_preflight_failure_keeps_each_failed_check() -> None:
    body = json.loads((FIXTURES / "error_preflight.json").read_text())
    request = httpx2.Request("POST", "https://api.tastyworks.com/accounts/5WT00000/orders/dry-run")
    error = ApiError.from_response(httpx2.Response(422, json=body, request=request))
    assert error.messages == (
        ApiMessage("preflight_check_failure", "One or more preflight checks failed"),
        ApiMessage("cant_buy_for_credit", "You cannot buy for a credit."),
    )
