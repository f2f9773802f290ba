"""The read side (market-data's): positions with Greeks, balances, quotes, contracts and chains,
against the fake gateway over HTTPS."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from deltadesk.brokers.ibkr.adapter import IbkrBroker
from deltadesk.brokers.ibkr.fake import GatewayState
from deltadesk.brokers.ibkr.fake.books import monthly, seed_book, seed_demo
from deltadesk.brokers.ibkr.fake.market import Listed
from deltadesk.shared.broker import Broker
from deltadesk.shared.errors import BrokerRejected
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec

from .conftest import ACCOUNT, BrokerFactory, fast_tuning

pytestmark = pytest.mark.integration


def option_leg(
    underlying: str, expiry: date, strike: str, right: Right, trading_class: str | None = None
) -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.OPT,
        underlying=underlying,
        quantity=1,
        expiry=expiry,
        strike=Decimal(strike),
        right=right,
        trading_class=trading_class,
    )


def spxw_put(state: GatewayState, strike: str = "5800") -> Listed:
    return state.market.find_option("SPX", "OPT", monthly(state), "P", Decimal(strike), "SPXW")


def test_the_adapter_is_the_desks_broker_port(broker: IbkrBroker) -> None:
    port: Broker = broker  # mypy checks the whole protocol here
    assert port.name == "ibkr"


# ── positions ───────────────────────────────────────────────────────────────────────────────────────
async def test_positions_carry_symbols_multipliers_greeks_and_underlying_prices(
    broker: IbkrBroker, state: GatewayState
) -> None:
    seed_demo(state)
    positions = {p.contract_id: p for p in await broker.positions(ACCOUNT)}
    assert len(positions) == len(state.holdings[ACCOUNT])
    by_kind = {p.instrument: p for p in positions.values()}

    put = next(p for p in positions.values() if p.symbol.startswith("SPXW "))
    assert put.underlying == "SPX"
    assert put.multiplier == 100
    assert put.greeks is not None
    assert put.greeks.delta < 0
    assert put.iv is not None
    assert put.iv < 1
    assert put.underlying_price == pytest.approx(
        float(state.market.underlyings["SPX"].price)
    )  # never the strike

    shares = next(p for p in positions.values() if p.symbol == "AAPL")
    assert shares.multiplier == 1  # IBKR sends 0 for shares (seed T006)
    assert shares.underlying_price == pytest.approx(float(state.market.underlyings["AAPL"].price))

    future = by_kind[InstrumentType.FUT]
    front = state.market.futures("ES")[0]
    assert future.symbol == f"/{front.local_symbol}"
    assert (future.underlying, future.underlying_contract) == ("/ES", future.symbol)
    assert future.multiplier == 50  # from contract info: the row's multiplier is null

    fop = by_kind[InstrumentType.FOP]
    assert fop.multiplier == 50
    assert fop.underlying == "/ES"
    assert fop.underlying_contract == future.symbol
    assert fop.symbol.startswith(future.symbol + " ")
    assert fop.underlying_price == pytest.approx(float(state.market.future_prices[front.conid]))
    assert fop.greeks is not None


async def test_positions_come_from_every_page_with_one_batched_snapshot_round(
    broker: IbkrBroker, state: GatewayState
) -> None:
    seed_book(state, 230)
    positions = await broker.positions(ACCOUNT)
    assert len(positions) == 230
    assert state.requests["POST /portfolio/{account}/positions/invalidate"] == 1  # page 0
    assert state.requests["GET /portfolio/{account}/positions/{page}"] == 2  # pages 1 and 2
    conids = len({p.contract_id for p in positions}) + 5  # and the option underlyings
    per_round = math.ceil(conids / 100)
    assert state.requests["GET /iserver/marketdata/snapshot"] == 2 * per_round  # pre-flight, then data
    assert all(p.greeks is not None for p in positions)

    state.requests.clear()
    await broker.positions(ACCOUNT)  # the streams are open now: one round
    assert state.requests["GET /iserver/marketdata/snapshot"] == per_round


async def test_first_empty_snapshots_and_slow_greeks_are_asked_again(
    broker: IbkrBroker, state: GatewayState
) -> None:
    state.hold(spxw_put(state).conid, -1, "10")
    state.greeks_lag_polls = 2
    (put,) = await broker.positions(ACCOUNT)
    assert put.greeks is not None
    assert state.requests["GET /iserver/marketdata/snapshot"] == 4  # empty, price only, price only, Greeks


async def test_greeks_that_never_come_leave_the_position_without_greeks_after_bounded_tries(
    make_broker: BrokerFactory, state: GatewayState
) -> None:
    broker = make_broker(tuning=fast_tuning(snapshot_attempts=4))
    state.hold(spxw_put(state).conid, -1, "10")
    state.greeks_lag_polls = 1000
    (put,) = await broker.positions(ACCOUNT)
    assert put.greeks is None  # risk says so; nothing is invented
    assert put.underlying_price == pytest.approx(6000.0)
    assert state.requests["GET /iserver/marketdata/snapshot"] == 4


async def test_balances_from_the_account_summary(broker: IbkrBroker, state: GatewayState) -> None:
    seed_demo(state)
    balances = await broker.balances(ACCOUNT)
    summary = state.summary(ACCOUNT)
    assert balances.net_liquidation == Decimal(str(summary["netliquidation"]["amount"]))
    assert balances.cash == Decimal("250000.0")
    assert balances.maintenance_margin > 0
    assert balances.initial_margin is not None
    assert balances.initial_margin > balances.maintenance_margin


async def test_another_account_is_refused(broker: IbkrBroker) -> None:
    with pytest.raises(BrokerRejected, match="serves account"):
        await broker.positions("U9999999")


# ── quotes and contracts ────────────────────────────────────────────────────────────────────────────
async def test_quotes_of_indexes_shares_and_futures_leave_unknown_symbols_out(
    broker: IbkrBroker, state: GatewayState
) -> None:
    front = "/" + state.market.futures("MES")[0].local_symbol
    quotes = {q.symbol: q for q in await broker.quotes(["SPX", "VIX", "AAPL", front, "NOPE", "/ZZZ9"])}
    assert set(quotes) == {"SPX", "VIX", "AAPL", front}
    assert quotes["SPX"].last == Decimal("6000.00")
    assert quotes["SPX"].bid is None  # an index has no market, only a value
    assert quotes["VIX"].last == Decimal("16.20")
    assert quotes["AAPL"].bid == Decimal("230.09")
    assert quotes[front].price == state.market.future_prices[state.market.futures("MES")[0].conid]


@pytest.mark.parametrize(
    ("root", "multiplier"), [("ES", 50), ("/MES", 5), ("NQ", 20), ("RTY", 50), ("CL", 1000), ("GC", 100)]
)
async def test_the_front_month_of_any_root(
    broker: IbkrBroker, state: GatewayState, root: str, multiplier: int
) -> None:
    contract = await broker.front_month(root)
    front = state.market.futures(root.removeprefix("/"))[0]
    assert contract.broker_id == str(front.conid)
    assert contract.symbol == "/" + front.local_symbol
    assert contract.multiplier == multiplier
    assert contract.instrument is InstrumentType.FUT


async def test_crude_is_named_by_its_contract_month_not_its_expiry_month(broker: IbkrBroker) -> None:
    contract = await broker.front_month("CL")
    assert contract.expiry is not None
    month = date(contract.expiry.year + contract.expiry.month // 12, contract.expiry.month % 12 + 1, 1)
    assert (
        contract.symbol == f"/CL{'FGHJKMNQUVXZ'[month.month - 1]}{month.year % 10}"
    )  # CL expires a month early


async def test_a_future_by_expiry_and_a_share(broker: IbkrBroker, state: GatewayState) -> None:
    second = state.market.futures("ES")[1]
    assert second.expiry is not None
    leg = LegSpec(
        action=Action.BUY, instrument=InstrumentType.FUT, underlying="/ES", quantity=1, expiry=second.expiry
    )
    assert (await broker.resolve(leg)).broker_id == str(second.conid)
    share = await broker.resolve(
        LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="AAPL", quantity=1)
    )
    assert (share.broker_id, share.multiplier, share.symbol) == ("265598", Decimal(1), "AAPL")


async def test_spx_and_spxw_on_the_same_date_are_told_apart(broker: IbkrBroker, state: GatewayState) -> None:
    expiry = monthly(state)
    monthly_put = await broker.resolve(option_leg("SPX", expiry, "5800", Right.PUT))
    weekly_put = await broker.resolve(option_leg("SPX", expiry, "5800", Right.PUT, trading_class="SPXW"))
    named_weekly = await broker.resolve(option_leg("SPXW", expiry, "5800", Right.PUT))
    assert monthly_put.trading_class == "SPX"
    assert monthly_put.symbol.startswith("SPX   ")
    assert weekly_put.trading_class == "SPXW"
    assert weekly_put.symbol.startswith("SPXW  ")
    assert weekly_put.broker_id != monthly_put.broker_id
    assert named_weekly.broker_id == weekly_put.broker_id
    assert monthly_put.broker_id == str(
        state.market.find_option("SPX", "OPT", expiry, "P", Decimal(5800), "SPX").conid
    )


async def test_a_weekly_only_listed_as_spxw_needs_no_class(broker: IbkrBroker, state: GatewayState) -> None:
    weekly = next(d for d in state.market.option_expiries("SPX", "SPXW", "daily") if d != monthly(state, 0))
    contract = await broker.resolve(option_leg("SPX", weekly, "6000", Right.CALL))
    assert contract.trading_class == "SPXW"
    assert contract.expiry == weekly


async def test_a_strike_that_is_not_listed_is_refused(broker: IbkrBroker, state: GatewayState) -> None:
    with pytest.raises(BrokerRejected, match="lists no"):
        await broker.resolve(option_leg("SPY", monthly(state), "598.5", Right.PUT))


async def test_a_futures_option_is_found_by_index_conid_and_exchange(
    broker: IbkrBroker, state: GatewayState
) -> None:
    trading_class, expiry, future = state.market.fop_expiries("ES")[0]
    leg = LegSpec(
        action=Action.SELL,
        instrument=InstrumentType.FOP,
        underlying="/ES",
        quantity=1,
        expiry=expiry,
        strike=Decimal(5800),
        right=Right.PUT,
    )
    contract = await broker.resolve(leg)
    assert contract.instrument is InstrumentType.FOP
    assert contract.multiplier == 50
    assert contract.underlying_contract == "/" + future.local_symbol
    assert contract.trading_class == trading_class
    assert contract.symbol == f"/{future.local_symbol} {expiry:%y%m%d}P5800"


async def test_contracts_are_cached(broker: IbkrBroker, state: GatewayState) -> None:
    leg = option_leg("SPY", monthly(state), "590", Right.PUT)
    await broker.resolve(leg)
    before = sum(state.requests.values())
    await broker.resolve(leg)
    await broker.front_month("ES")
    await broker.front_month("ES")
    assert sum(state.requests.values()) - before == 2  # futures list and contract info, once each


async def test_strikes_are_asked_again_after_a_new_brokerage_session_searches_again(
    broker: IbkrBroker, state: GatewayState
) -> None:
    expiry = monthly(state)
    await broker.resolve(option_leg("SPY", expiry, "590", Right.PUT))
    state.expire_session()  # the next request is refused, the session re-opened: IBKR forgets the search
    contract = await broker.resolve(option_leg("SPY", expiry, "591", Right.PUT))
    assert contract.strike == Decimal(591)
    assert state.requests["GET /iserver/secdef/search"] == 2


# ── expiries, chains, contract quotes ──────────────────────────────────────────────────────────────
async def test_expiries_hold_the_weeklies_and_the_monthlies(broker: IbkrBroker, state: GatewayState) -> None:
    found = await broker.expiries("SPX", InstrumentType.OPT)
    assert monthly(state) in found
    assert found == sorted(found)
    assert state.market.option_expiries("SPX", "SPXW", "daily")[0] in found
    assert all(d >= state.market.today for d in found)


async def test_futures_option_expiries(broker: IbkrBroker, state: GatewayState) -> None:
    found = await broker.expiries("/ES", InstrumentType.FOP)
    assert {day for _, day, _ in state.market.fop_expiries("ES")} <= set(found)


async def test_a_chain_has_both_rights_with_markets_greeks_and_the_underlying(
    broker: IbkrBroker, state: GatewayState
) -> None:
    chain = await broker.chain("SPY", monthly(state), InstrumentType.OPT)
    assert chain.underlying == "SPY"
    assert chain.underlying_price == pytest.approx(598.5)
    assert len(chain.rows) == fast_tuning().chain_strikes
    strikes = [row.strike for row in chain.rows]
    assert strikes == sorted(strikes)
    assert min(strikes) < Decimal("598.5") < max(strikes)
    for row in chain.rows:
        assert row.call is not None
        assert row.put is not None
        assert row.put.greeks is not None
        assert row.put.greeks.delta < 0 < row.call.greeks.delta  # type: ignore[union-attr]
        assert row.call.bid is not None
        assert row.call.iv is not None
    assert state.requests["GET /iserver/secdef/info"] <= fast_tuning().chain_strikes


async def test_a_futures_option_chain(broker: IbkrBroker, state: GatewayState) -> None:
    _, expiry, future = state.market.fop_expiries("MES")[0]
    chain = await broker.chain("/MES", expiry, InstrumentType.FOP)
    assert chain.underlying == "/MES"
    assert chain.underlying_price == pytest.approx(float(state.market.future_prices[future.conid]))
    assert chain.rows
    assert chain.rows[0].put is not None
    assert chain.rows[0].put.contract.multiplier == 5


async def test_contract_quotes_in_the_order_given(broker: IbkrBroker, state: GatewayState) -> None:
    expiry = monthly(state)
    put = await broker.resolve(option_leg("SPX", expiry, "5800", Right.PUT, "SPXW"))
    shares = await broker.resolve(
        LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="KO", quantity=1)
    )
    quotes = await broker.contract_quotes([shares, put])
    assert [q.contract for q in quotes] == [shares, put]
    assert quotes[0].greeks is None
    assert quotes[1].greeks is not None
    assert quotes[1].underlying_price == pytest.approx(6000.0)
    assert quotes[1].mid is not None
