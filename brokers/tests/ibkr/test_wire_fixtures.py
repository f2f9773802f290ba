"""Every documented response shape the adapter parses, read the way the adapter reads it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from deltadesk.brokers.ibkr.contracts import ContractFacts, front_month, listing, option_facts
from deltadesk.brokers.ibkr.marketdata import read_snapshot
from deltadesk.brokers.ibkr.orders import (
    Accepted,
    Questions,
    Refused,
    build_execution,
    read_place_answer,
    status_from_live_order,
    status_from_order_status,
)
from deltadesk.brokers.ibkr.portfolio import build_balances, build_position, is_held
from deltadesk.brokers.ibkr.whatif import build_whatif
from deltadesk.brokers.ibkr.wire import (
    FUTURES,
    PORTFOLIO_ACCOUNTS,
    POSITIONS,
    SEARCH,
    SECDEF_INFO,
    SNAPSHOT,
    TRADES,
    AuthStatus,
    BrokerageAccounts,
    CancelAnswer,
    ContractInfo,
    LiveOrders,
    OrderStatusWire,
    Strikes,
    Tickle,
    WhatIfResponse,
)
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, OrderState

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_auth_status_logged_in_is_healthy() -> None:
    assert AuthStatus.model_validate(load("auth_status.json")).healthy


def test_auth_status_logged_out_is_not_connected() -> None:
    status = AuthStatus.model_validate(load("auth_status_logged_out.json"))
    assert (status.authenticated, status.connected, status.competing) == (False, False, False)


def test_tickle_carries_the_brokerage_auth_status() -> None:
    tickle = Tickle.model_validate(load("tickle.json"))
    assert tickle.iserver is not None
    assert tickle.iserver.auth_status is not None
    assert tickle.iserver.auth_status.healthy
    assert tickle.sso_expires == 460311


def test_brokerage_accounts_list_the_account() -> None:
    accounts = BrokerageAccounts.model_validate(load("iserver_accounts.json"))
    assert accounts.accounts == ["U1234567"]
    assert accounts.selected_account == "U1234567"


def test_portfolio_accounts_give_ids() -> None:
    assert [a.id for a in PORTFOLIO_ACCOUNTS.validate_python(load("portfolio_accounts.json"))] == ["U1234567"]


def test_positions_rows_parse_with_drifting_types() -> None:
    rows = POSITIONS.validate_python(load("positions.json"))
    option, stock, future, _expired = rows
    assert option.strike == Decimal("440")
    assert option.multiplier == Decimal("100")
    assert option.avg_price == Decimal("58.010401")  # per unit; avgCost includes the multiplier
    assert stock.strike == Decimal("0.0")
    assert stock.multiplier is None
    assert future.multiplier is None  # never trusted for futures: contract info gives it
    assert [is_held(r) for r in rows] == [True, True, True, False]  # a zero row is left out


def test_an_option_position_gets_greeks_and_the_underlying_price_from_snapshots() -> None:
    option = POSITIONS.validate_python(load("positions.json"))[0]
    snapshots = {s.conid: s for s in (read_snapshot(r) for r in load("snapshot.json")) if s is not None}
    spy = read_snapshot({"conid": 756733, "31": "470.10", "84": "470.05", "86": "470.15"})
    assert spy is not None
    snapshots[756733] = spy
    facts = ContractFacts(
        conid=option.conid,
        symbol="SPY   250117C00440000",
        underlying="SPY",
        instrument=InstrumentType.OPT,
        multiplier=Decimal(100),
        expiry=date(2025, 1, 17),
        strike=Decimal(440),
        right=Right.CALL,
        trading_class="SPY",
        underlying_conid=756733,
    )
    position = build_position("DU123456", option, facts, snapshots)
    assert position.greeks is not None
    assert position.greeks.delta == pytest.approx(0.9876)
    assert position.iv == pytest.approx(0.25)
    assert position.underlying_price == pytest.approx(470.10)  # the mid, never the strike (seed T005)
    assert position.average_cost == Decimal("58.010401")


def test_a_stock_position_is_its_own_underlying_with_multiplier_one() -> None:
    stock = POSITIONS.validate_python(load("positions.json"))[1]
    snapshot = read_snapshot(load("snapshot.json")[0])
    assert snapshot is not None
    facts = ContractFacts(
        stock.conid, "AAPL", "AAPL", InstrumentType.STK, Decimal(1), underlying_conid=stock.conid
    )
    position = build_position("U1234567", stock, facts, {stock.conid: snapshot})
    assert position.multiplier == 1
    assert position.underlying_price == pytest.approx(168.415)


def test_summary_gives_balances_and_tolerates_is_none() -> None:
    balances = build_balances("U1234567", load("portfolio_summary.json"), NOW)
    assert balances.net_liquidation == Decimal("215425593.0")
    assert balances.cash == Decimal("214938937.0")
    assert balances.maintenance_margin == Decimal("106332.0")
    assert balances.initial_margin == Decimal("116965.0")
    assert balances.buying_power == Decimal("676678372.0")
    assert balances.as_of == datetime.fromtimestamp(1702582422, tz=UTC)


def test_first_snapshot_rows_have_no_price() -> None:
    rows = SNAPSHOT.validate_python(load("snapshot_first.json"))
    snapshots = [read_snapshot(r) for r in rows]
    assert all(s is not None and not s.has_price for s in snapshots)


def test_snapshot_values_are_strings_with_prefixes_commas_and_no_quote_markers() -> None:
    stock, option, index = (read_snapshot(r) for r in load("snapshot.json"))
    assert stock is not None
    assert stock.bid == Decimal("168.41")
    assert stock.ask == Decimal("168.42")
    assert option is not None
    assert option.last == Decimal("95.70")
    assert option.greeks is not None
    assert option.greeks.vega == pytest.approx(0.0456)
    assert index is not None
    assert index.last == Decimal("5204.34")
    assert index.bid is None


def test_search_conid_is_a_string_on_the_wire() -> None:
    (entry,) = SEARCH.validate_python(load("secdef_search_spx.json"))
    assert entry.conid == 416904
    section = entry.section("OPT")
    assert section is not None
    assert section.months is not None
    assert section.months.startswith("JAN24")


def test_strikes_are_candidates() -> None:
    strikes = Strikes.model_validate(load("secdef_strikes.json"))
    assert Decimal("3975") in strikes.put


def test_secdef_info_tells_spx_from_spxw_by_class_and_date() -> None:
    rows = SECDEF_INFO.validate_python(load("secdef_info_spx.json"))
    monthly = listing(rows, expiry=date(2025, 1, 17), symbol="SPX", trading_class=None)
    weekly = listing(rows, expiry=date(2025, 1, 17), symbol="SPX", trading_class="SPXW")
    assert [r.conid for r in monthly] == [654371995]
    assert [r.conid for r in weekly] == [654371996]
    facts = option_facts(weekly[0], underlying="SPX", underlying_conid=416904, instrument=InstrumentType.OPT)
    assert facts.symbol == "SPXW  250117P03975000"
    assert facts.multiplier == Decimal(100)


def test_futures_option_info_leaves_event_contracts_out() -> None:
    rows = SECDEF_INFO.validate_python(load("secdef_info_fop.json"))
    chosen = listing(rows, expiry=date(2024, 12, 31), symbol="ES", trading_class=None)
    assert [r.trading_class for r in chosen] == ["EW"]
    facts = option_facts(
        chosen[0], underlying="/ES", underlying_conid=495512557, instrument=InstrumentType.FOP, future="/ESZ4"
    )
    assert facts.symbol == "/ESZ4 241231C4975"
    assert facts.multiplier == Decimal(50)


def test_futures_front_month_is_the_soonest_unexpired() -> None:
    table = FUTURES.validate_python(load("trsrv_futures.json"))
    assert front_month(table["ES"], date(2024, 12, 1)).conid == 495512557  # type: ignore[union-attr]
    assert front_month(table["ES"], date(2024, 12, 21)).conid == 495512563  # type: ignore[union-attr]
    assert front_month(table["MES"], date(2024, 1, 2)) is None


def test_contract_info_gives_a_futures_multiplier_and_local_symbol() -> None:
    info = ContractInfo.model_validate(load("contract_info_future.json"))
    assert (info.local_symbol, info.multiplier, info.underlying_con_id) == ("ESZ4", Decimal(50), 11004968)


def test_place_answers_accepted_reply_and_rejected() -> None:
    assert read_place_answer(load("place_accepted.json")) == Accepted("1234567890", "Submitted")
    question = read_place_answer(load("place_reply.json"))
    assert isinstance(question, Questions)
    assert question.reply_id == "07a13a5a-4a48-44a5-bb25-5ab37b79186c"
    assert question.texts()[0].startswith('o163: The following order "BUY 5 AAPL NASDAQ.NMS @ 150.0" price')
    rejected = read_place_answer(load("place_rejected.json"))
    assert isinstance(rejected, Refused)
    assert rejected.reason.startswith("We cannot accept an order")
    assert not rejected.duplicate


def test_duplicate_client_order_id_is_recognised() -> None:
    answer = read_place_answer(load("place_duplicate.json"))
    assert isinstance(answer, Refused)
    assert answer.duplicate


def test_whatif_strings_become_decimals() -> None:
    whatif = build_whatif(WhatIfResponse.model_validate(load("whatif.json")))
    assert whatif.initial_margin_before == Decimal("116965")
    assert whatif.initial_margin_change == Decimal("652")
    assert whatif.initial_margin_after == Decimal("117617")
    assert whatif.maintenance_margin_change == Decimal("590")  # IBKR's documented junk: 590""
    assert whatif.equity_with_loan_after == Decimal("215415593")
    assert whatif.commission == Decimal("1")
    assert whatif.warnings[0].startswith("21/You are trying to submit an order without having market data")


def test_whatif_error_is_a_rejection() -> None:
    with pytest.raises(BrokerRejected, match="Insufficient"):
        build_whatif(WhatIfResponse.model_validate({"error": "Insufficient funds"}))


def test_live_orders_give_statuses_including_a_partly_filled_combo() -> None:
    orders = LiveOrders.model_validate(load("live_orders.json")).orders
    resting = status_from_live_order(orders[0], symbols={}, now=NOW)
    assert resting.state is OrderState.SUBMITTED
    assert resting.client_order_id == "Order123"
    combo = status_from_live_order(orders[1], symbols={756733: "SPY", 756734: "QQQ"}, now=NOW)
    assert combo.state is OrderState.PARTIAL
    assert combo.average_price == Decimal("-1.30")  # a credit combo stays negative
    assert [(leg.symbol, leg.action, leg.quantity, leg.ordered) for leg in combo.legs] == [
        ("SPY", Action.BUY, Decimal("1.0"), Decimal("2.0")),
        ("QQQ", Action.SELL, Decimal("1.0"), Decimal("2.0")),
    ]


def test_order_status_of_a_filled_sell_is_a_credit() -> None:
    status = status_from_order_status(
        OrderStatusWire.model_validate(load("order_status.json")), symbols={}, now=NOW
    )
    assert status.state is OrderState.FILLED
    assert status.filled_quantity == Decimal("5.0")
    assert status.average_price == Decimal("-192.26")
    assert status.legs[0].action is Action.SELL


def test_trades_become_executions_and_expirations_are_left_out() -> None:
    fill, expiry = TRADES.validate_python(load("trades.json"))
    execution = build_execution(fill, symbol="AAPL", broker_order_id="1799796559")
    assert execution is not None
    assert (execution.action, execution.quantity, execution.price, execution.commission) == (
        Action.SELL,
        Decimal("5.0"),
        Decimal("192.26"),
        Decimal("1.01"),
    )
    assert execution.executed_at == datetime(2023, 12, 11, 18, 0, 49, tzinfo=UTC)
    assert execution.client_order_id == "Order123"
    assert build_execution(expiry, symbol="MES", broker_order_id="1") is None


def test_cancel_answers() -> None:
    assert CancelAnswer.model_validate(load("cancel.json")).msg == "Request was submitted"
    assert CancelAnswer.model_validate(load("cancel_unknown.json")).error == "OrderID 1 doesn't exist"
