"""Pre-trade controls: each at, below and above its limit, and the order they run in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.execution.domain.controls import (
    Limits,
    Sent,
    check_collar,
    check_duplicate,
    check_legs,
    check_live_trading,
    check_notional,
    check_order,
    check_quantity,
    check_rate,
    check_trading_state,
    fingerprint,
)
from deltadesk.execution.testing import simulate_for_test
from deltadesk.shared.events import TradingState
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Contract,
    ContractQuote,
    Order,
    OrderLeg,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.portfolio import PortfolioGreeks

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LIMITS = Limits(
    max_legs=4,
    max_contracts=10,
    max_shares=500,
    max_notional=Decimal(1_000_000),
    collar_pct=Decimal("0.20"),
    collar_floor=Decimal("0.10"),
    duplicate_window=timedelta(seconds=10),
    max_orders_per_minute=3,
)


def spy_put(strike: int = 580) -> Contract:
    return Contract(
        symbol=f"SPY   261218P00{strike}000",
        underlying="SPY",
        instrument=InstrumentType.OPT,
        multiplier=Decimal(100),
        expiry=date(2026, 12, 18),
        strike=Decimal(strike),
        right=Right.PUT,
    )


SPY = Contract(symbol="SPY", underlying="SPY", instrument=InstrumentType.ETF, multiplier=Decimal(1))
ES = Contract(
    symbol="/ESZ6",
    underlying="/ES",
    instrument=InstrumentType.FUT,
    multiplier=Decimal(50),
    expiry=date(2026, 12, 18),
)


def order(
    *legs: tuple[Action, int, Contract],
    limit: str | None = "-2.40",
    account: str = "PAPER",
    broker: str = "paper",
) -> Order:
    return Order(
        order_id=uuid4(),
        account=account,
        broker=broker,
        legs=tuple(OrderLeg(action=a, quantity=q, contract=c) for a, q, c in legs)
        or (OrderLeg(action=Action.SELL, quantity=1, contract=spy_put()),),
        order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        limit_price=Decimal(limit) if limit is not None else None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


def quote(
    contract: Contract, bid: str | None, ask: str | None, underlying: float | None = 600.0
) -> ContractQuote:
    return ContractQuote(
        contract=contract,
        bid=Decimal(bid) if bid is not None else None,
        ask=Decimal(ask) if ask is not None else None,
        underlying_price=underlying,
        as_of=NOW,
    )


def quotes(*items: ContractQuote) -> dict[str, ContractQuote]:
    return {q.contract.symbol: q for q in items}


# ── trading state and the kill switch ───────────────────────────────────────────────────────────
def test_an_active_desk_passes_the_trading_state_check() -> None:
    assert check_trading_state(order(), TradingState.ACTIVE, None) is None


def test_the_kill_switch_denies_every_order() -> None:
    denial = check_trading_state(order(), TradingState.HALTED, None)
    assert denial is not None
    assert denial.code == "TRADING_HALTED"


def with_deltas(o: Order, pre: float, post: float):  # type: ignore[no-untyped-def]
    simulation = simulate_for_test(o, NOW)
    risk = simulation.risk.model_copy(
        update={
            "pre_trade": PortfolioGreeks(spx_delta=pre, gamma=0, theta=0, vega=0),
            "post_trade": PortfolioGreeks(spx_delta=post, gamma=0, theta=0, vega=0),
        }
    )
    return simulation.model_copy(update={"risk": risk})


@pytest.mark.parametrize(("pre", "post"), [(350.0, 300.0), (-350.0, -10.0), (350.0, -349.0)])
def test_reducing_lets_an_order_through_that_brings_spx_delta_towards_zero(pre: float, post: float) -> None:
    o = order()
    assert check_trading_state(o, TradingState.REDUCING, with_deltas(o, pre, post)) is None


@pytest.mark.parametrize(("pre", "post"), [(350.0, 350.0), (350.0, 351.0), (350.0, -351.0), (-10.0, -50.0)])
def test_reducing_denies_an_order_that_does_not_shrink_spx_delta(pre: float, post: float) -> None:
    o = order()
    denial = check_trading_state(o, TradingState.REDUCING, with_deltas(o, pre, post))
    assert denial is not None
    assert denial.code == "REDUCE_ONLY"
    assert f"pre_trade={abs(pre):.2f}" in denial.reason
    assert f"post_trade={abs(post):.2f}" in denial.reason


def test_reducing_without_a_simulation_denies() -> None:
    denial = check_trading_state(order(), TradingState.REDUCING, None)
    assert denial is not None
    assert denial.code == "REDUCE_ONLY"


# ── live trading ────────────────────────────────────────────────────────────────────────────────
def test_the_paper_broker_trades_without_live_trading() -> None:
    assert check_live_trading(order(broker="paper"), live_trading=False) is None


@pytest.mark.parametrize("broker", ["ibkr", "tastytrade"])
def test_a_real_broker_needs_live_trading_on(broker: str) -> None:
    denial = check_live_trading(order(broker=broker), live_trading=False)
    assert denial is not None
    assert denial.code == "LIVE_TRADING_DISABLED"
    assert check_live_trading(order(broker=broker), live_trading=True) is None


# ── size ────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("limit", "denied"), [(5, False), (4, False), (3, True)])
def test_max_legs_below_at_and_above(limit: int, denied: bool) -> None:
    condor = order(
        (Action.SELL, 1, spy_put(580)),
        (Action.BUY, 1, spy_put(575)),
        (Action.SELL, 1, spy_put(620)),
        (Action.BUY, 1, spy_put(625)),
    )
    denial = check_legs(condor, replace(LIMITS, max_legs=limit))
    assert (denial is not None) is denied
    if denial is not None:
        assert denial.code == "MAX_LEGS_EXCEEDED"
        assert denial.reason == "MAX_LEGS_EXCEEDED: max_legs=3, legs=4"


@pytest.mark.parametrize(("quantity", "denied"), [(9, False), (10, False), (11, True)])
def test_max_contracts_below_at_and_above(quantity: int, denied: bool) -> None:
    denial = check_quantity(order((Action.SELL, quantity, spy_put())), LIMITS)
    assert (denial is not None) is denied
    if denial is not None:
        assert denial.code == "QUANTITY_EXCEEDS_MAX"
        assert "max_contracts=10" in denial.reason
        assert "quantity=11" in denial.reason


@pytest.mark.parametrize(("quantity", "denied"), [(499, False), (500, False), (501, True)])
def test_max_shares_below_at_and_above(quantity: int, denied: bool) -> None:
    denial = check_quantity(order((Action.BUY, quantity, SPY), limit="600"), LIMITS)
    assert (denial is not None) is denied
    if denial is not None:
        assert "max_shares=500" in denial.reason


# ── notional ────────────────────────────────────────────────────────────────────────────────────
def test_notional_of_an_option_is_quantity_times_multiplier_times_underlying_price() -> None:
    # 2 × 100 × 600 = 120,000 for two SPY puts at SPY 600
    two_puts = order((Action.SELL, 2, spy_put()))
    market = quotes(quote(spy_put(), "2.30", "2.50", underlying=600.0))
    at = replace(LIMITS, max_notional=Decimal(120_000))
    below = replace(LIMITS, max_notional=Decimal("120000.01"))
    above = replace(LIMITS, max_notional=Decimal("119999.99"))
    assert check_notional(two_puts, market, at) is None
    assert check_notional(two_puts, market, below) is None
    denial = check_notional(two_puts, market, above)
    assert denial is not None
    assert denial.code == "NOTIONAL_EXCEEDS_MAX"
    assert denial.reason == "NOTIONAL_EXCEEDS_MAX: max_notional=119999.99, notional=120000.00"


def test_notional_of_a_future_uses_its_own_price_and_legs_add_gross() -> None:
    # /ES at 6000: 50 × 6000 = 300,000 each; a spread of long and short futures still counts twice
    spread = order(
        (Action.BUY, 1, ES), (Action.SELL, 1, ES.model_copy(update={"symbol": "/ESH7"})), limit="1"
    )
    market = quotes(
        quote(ES, "5999.75", "6000.25", underlying=None),
        quote(ES.model_copy(update={"symbol": "/ESH7"}), "5999.75", "6000.25", underlying=None),
    )
    limits = replace(LIMITS, max_notional=Decimal(599_999))
    denial = check_notional(spread, market, limits)
    assert denial is not None
    assert "notional=600000.00" in denial.reason


def test_notional_without_an_underlying_price_is_denied_naming_the_leg() -> None:
    denial = check_notional(order(), quotes(quote(spy_put(), "2.30", "2.50", underlying=None)), LIMITS)
    assert denial is not None
    assert denial.code == "MARKET_DATA_UNAVAILABLE"
    assert "leg 1" in denial.reason


# ── price collar ────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("limit", "denied"),
    [
        ("-2.40", False),  # at the mid
        ("-1.92", False),  # 20 % of 2.40 = 0.48 away: exactly at the collar
        ("-2.88", False),
        ("-1.91", True),  # just outside
        ("-2.89", True),
        ("2.40", True),  # a credit typed as a debit
    ],
)
def test_collar_of_a_short_put_around_its_mid(limit: str, denied: bool) -> None:
    market = quotes(quote(spy_put(), "2.30", "2.50"))
    denial = check_collar(order(limit=limit), market, LIMITS)
    assert (denial is not None) is denied
    if denial is not None:
        assert denial.code == "PRICE_OUTSIDE_COLLAR"
        assert "mid=-2.4" in denial.reason
        assert "max_distance=0.48" in denial.reason


@pytest.mark.parametrize(("limit", "denied"), [("0.15", False), ("0.10", False), ("0.16", True)])
def test_collar_of_a_cheap_option_uses_the_absolute_floor(limit: str, denied: bool) -> None:
    # mid 0.05: 20 % is a cent, so the 0.10 floor decides
    market = quotes(quote(spy_put(), "0.04", "0.06"))
    denial = check_collar(order((Action.BUY, 1, spy_put()), limit=limit), market, LIMITS)
    assert (denial is not None) is denied


def test_collar_of_a_vertical_uses_the_combo_mid() -> None:
    # sell 580 put (mid 2.40), buy 575 put (mid 1.40): combo mid = -2.40 + 1.40 = -1.00 (a credit)
    vertical = order((Action.SELL, 2, spy_put(580)), (Action.BUY, 2, spy_put(575)), limit="-1.00")
    market = quotes(quote(spy_put(580), "2.30", "2.50"), quote(spy_put(575), "1.30", "1.50"))
    assert check_collar(vertical, market, LIMITS) is None
    off = vertical.model_copy(update={"limit_price": Decimal("-1.25")})
    denial = check_collar(off, market, LIMITS)
    assert denial is not None
    assert "mid=-1" in denial.reason


def test_a_market_order_has_no_collar() -> None:
    assert check_collar(order(limit=None), {}, LIMITS) is None


def test_collar_without_a_market_is_denied_naming_the_leg() -> None:
    denial = check_collar(order(), quotes(quote(spy_put(), None, "2.50")), LIMITS)
    assert denial is not None
    assert denial.code == "MARKET_DATA_UNAVAILABLE"
    assert "leg 1" in denial.reason


# ── history: duplicates and rate ────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("seconds_ago", "denied"), [(9.9, True), (10.0, False), (10.1, False), (0.0, True)])
def test_the_same_order_within_the_duplicate_window(seconds_ago: float, denied: bool) -> None:
    first, second = order(), order()  # different ids, same everything else
    sent = [Sent("PAPER", fingerprint(first), NOW - timedelta(seconds=seconds_ago))]
    denial = check_duplicate(second, sent, NOW, LIMITS)
    assert (denial is not None) is denied
    if denial is not None:
        assert denial.code == "DUPLICATE_ORDER"


def test_a_different_price_or_account_is_not_a_duplicate() -> None:
    first = order()
    sent = [Sent("PAPER", fingerprint(first), NOW)]
    assert check_duplicate(order(limit="-2.45"), sent, NOW, LIMITS) is None
    assert check_duplicate(order(account="OTHER"), sent, NOW, LIMITS) is None
    assert fingerprint(first) == fingerprint(first.model_copy(update={"order_id": uuid4()}))


@pytest.mark.parametrize(("earlier", "denied"), [(2, False), (3, True), (4, True)])
def test_orders_per_minute_below_at_and_above(earlier: int, denied: bool) -> None:
    sent = [Sent("PAPER", f"other-{n}", NOW - timedelta(seconds=5 * n)) for n in range(earlier)]
    denial = check_rate(order(), sent, NOW, LIMITS)
    assert (denial is not None) is denied
    if denial is not None:
        assert denial.code == "RATE_LIMIT_EXCEEDED"
        assert f"orders in the last minute={earlier}" in denial.reason


def test_orders_older_than_a_minute_or_of_another_account_do_not_count() -> None:
    sent = [Sent("PAPER", "x", NOW - timedelta(seconds=60))] * 5 + [Sent("OTHER", "y", NOW)] * 5
    assert check_rate(order(), sent, NOW, LIMITS) is None


# ── all together ────────────────────────────────────────────────────────────────────────────────
def test_an_ordinary_order_passes_every_control() -> None:
    o = order()
    denial = check_order(
        o,
        limits=LIMITS,
        trading_state=TradingState.ACTIVE,
        simulation=simulate_for_test(o, NOW),
        quotes=quotes(quote(spy_put(), "2.30", "2.50")),
        sent=[],
        now=NOW,
        live_trading=False,
    )
    assert denial is None


def test_the_kill_switch_is_checked_before_anything_else() -> None:
    o = order((Action.SELL, 50, spy_put()), limit="9")
    denial = check_order(
        o,
        limits=LIMITS,
        trading_state=TradingState.HALTED,
        simulation=None,
        quotes={},
        sent=[],
        now=NOW,
        live_trading=False,
    )
    assert denial is not None
    assert denial.code == "TRADING_HALTED"
