"""What-if on the demo book: the margin each strategy adds or releases, equity, buying power and
commission, and the warnings a trader sees before placing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.account import Account, Holding, balances, mark_price
from deltadesk.paper_venue.domain.contracts import share
from deltadesk.paper_venue.domain.listing import NotListed
from deltadesk.paper_venue.domain.margin import MarginRates
from deltadesk.paper_venue.domain.quoting import quote_contract
from deltadesk.paper_venue.domain.resolution import resolve
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.paper_venue.domain.venue import Venue, held_symbols
from deltadesk.paper_venue.domain.whatif import what_if
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec, Order, OrderType, WhatIf

OrderFactory = Callable[..., Order]
RULES = VenueRules(margin=MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)}))
MONTHLY = date(2026, 12, 18)  # nothing of the demo book's SPX options expires then
P, C = Right.PUT, Right.CALL
BUY, SELL = Action.BUY, Action.SELL


def spx(action: Action, quantity: int, strike: int, right: Right, expiry: date = MONTHLY) -> LegSpec:
    return LegSpec(
        action=action,
        instrument=InstrumentType.OPT,
        underlying="SPX",
        quantity=quantity,
        expiry=expiry,
        strike=Decimal(strike),
        right=right,
    )


def equity_option(underlying: str, action: Action, quantity: int, strike: str, right: Right) -> LegSpec:
    return LegSpec(
        action=action,
        instrument=InstrumentType.OPT,
        underlying=underlying,
        quantity=quantity,
        expiry=date(2027, 1, 15),
        strike=Decimal(strike),
        right=right,
    )


def linear(action: Action, quantity: int, underlying: str, instrument: InstrumentType) -> LegSpec:
    return LegSpec(action=action, instrument=instrument, underlying=underlying, quantity=quantity)


def whatif(venue: Venue, order: Order, account: Account | None = None) -> WhatIf:
    return what_if(venue.market, account or venue.accounts[0], order, held_symbols(venue), RULES)


def mark(venue: Venue, leg: LegSpec) -> Decimal:
    return mark_price(venue.market, resolve(venue.market, leg))


def test_a_naked_spx_put_adds_its_naked_requirement(venue: Venue, order_of: OrderFactory) -> None:
    leg = spx(SELL, 1, 5500, P)
    result = whatif(venue, order_of(leg, order_type=OrderType.MARKET))
    # premium + 15% × 6000 − 500 out of the money, at least premium + 10% × 5500: the minimum wins.
    assert result.initial_margin_change == (mark(venue, leg) + 550) * 100
    assert result.maintenance_margin_change == result.initial_margin_change
    before = balances(venue.accounts[0], venue.market, RULES.margin, venue.market.now)
    assert result.initial_margin_before == before.initial_margin
    assert result.initial_margin_after == before.initial_margin + result.initial_margin_change  # type: ignore[operator]


def test_a_credit_vertical_adds_its_width(venue: Venue, order_of: OrderFactory) -> None:
    result = whatif(venue, order_of(spx(SELL, 2, 5500, P), spx(BUY, 2, 5450, P), limit="-3.00"))
    assert result.initial_margin_change == Decimal("10000.00")  # 50 × 100 × 2


def test_an_iron_condor_added_to_the_demo_book_needs_only_one_side(
    venue: Venue, order_of: OrderFactory
) -> None:
    condor = order_of(
        spx(BUY, 2, 5450, P),
        spx(SELL, 2, 5500, P),
        spx(SELL, 2, 6400, C),
        spx(BUY, 2, 6450, C),
        limit="-4.00",
    )
    assert whatif(venue, condor).initial_margin_change == Decimal("10000.00")  # one 50-wide side × 2


def test_a_debit_vertical_adds_its_net_debit_and_a_long_option_its_premium(
    venue: Venue, order_of: OrderFactory
) -> None:
    long_call = spx(BUY, 1, 6000, C)
    assert (
        whatif(venue, order_of(long_call, limit="200")).initial_margin_change == mark(venue, long_call) * 100
    )
    short_call = spx(SELL, 1, 6050, C)
    debit = (mark(venue, long_call) - mark(venue, short_call)) * 100
    assert whatif(venue, order_of(long_call, short_call, limit="50")).initial_margin_change == debit


def test_a_short_strangle_adds_the_larger_naked_side_plus_the_other_premium(
    venue: Venue, order_of: OrderFactory
) -> None:
    put, call = equity_option("KO", SELL, 1, "65", P), equity_option("KO", SELL, 1, "75", C)
    put_mark, call_mark = mark(venue, put), mark(venue, call)
    ko = Decimal("70")  # KO at the start
    put_naked = max(put_mark + ko / 5 - 5, put_mark + Decimal("6.5"))
    call_naked = max(call_mark + ko / 5 - 5, call_mark + Decimal(7))
    expected = (max(put_naked, call_naked) + (call_mark if put_naked >= call_naked else put_mark)) * 100
    assert whatif(venue, order_of(put, call, limit="-1")).initial_margin_change == expected.quantize(
        Decimal("0.01")
    )


def test_a_call_written_against_held_shares_needs_no_margin(venue: Venue, order_of: OrderFactory) -> None:
    shares_only = Account("PAPER", Decimal(100_000), (Holding(share("AAPL"), Decimal(100), Decimal(230)),))
    covered = order_of(equity_option("AAPL", SELL, 1, "250", C), limit="-1")
    assert whatif(venue, covered, shares_only).initial_margin_change == 0
    naked = order_of(equity_option("AAPL", SELL, 2, "250", C), limit="-1")
    assert whatif(venue, naked, shares_only).initial_margin_change > 0  # the second call is naked


def test_closing_the_short_es_releases_its_margin_and_a_new_mes_adds_its_own(
    venue: Venue, order_of: OrderFactory
) -> None:
    close_es = order_of(linear(BUY, 1, "/ES", InstrumentType.FUT), order_type=OrderType.MARKET)
    assert whatif(venue, close_es).initial_margin_change == Decimal(-22_000)
    more_mes = order_of(linear(BUY, 1, "/MES", InstrumentType.FUT), order_type=OrderType.MARKET)
    result = whatif(venue, more_mes)
    assert result.initial_margin_change == Decimal(2_200)
    assert result.commission == Decimal("0.62")


def test_buying_back_short_puts_releases_their_naked_requirement(
    venue: Venue, order_of: OrderFactory
) -> None:
    held = next(h for h in venue.accounts[0].holdings if h.contract.symbol.startswith("SPXW  261224P"))
    strike = held.contract.strike
    assert strike is not None
    leg = spx(BUY, 2, int(strike), P, date(2026, 12, 24))
    premium = mark(venue, leg)
    naked = max(premium + 900 - (6000 - strike), premium + strike / 10)
    assert whatif(venue, order_of(leg, limit="100")).initial_margin_change == -(naked * 200)


def test_equity_and_buying_power_after_count_the_spread_and_commission(
    venue: Venue, order_of: OrderFactory
) -> None:
    leg = spx(SELL, 1, 5500, P)
    contract = resolve(venue.market, leg)
    bid = quote_contract(venue.market, contract, venue.market.now).bid
    assert bid is not None
    result = whatif(venue, order_of(leg, order_type=OrderType.MARKET))
    before = balances(venue.accounts[0], venue.market, RULES.margin, venue.market.now)
    assert result.commission == Decimal("1.60")  # one SPX option: the 1.00 minimum + the 0.60 index fee
    expected_equity = (
        before.net_liquidation + (bid - mark_price(venue.market, contract)) * 100 - Decimal("1.60")
    )
    assert result.equity_with_loan_after == expected_equity
    assert (
        result.buying_power_change
        == (expected_equity - before.net_liquidation) - result.initial_margin_change
    )  # type: ignore[operator]
    assert result.warnings == ()


def test_an_order_the_venue_would_reject_says_so(venue: Venue, order_of: OrderFactory) -> None:
    result = whatif(venue, order_of(spx(SELL, 300, 5500, P), order_type=OrderType.MARKET))
    assert len(result.warnings) == 1
    assert "would reject this order: insufficient buying power" in result.warnings[0]


def test_a_limit_that_would_rest_says_so(venue: Venue, order_of: OrderFactory) -> None:
    result = whatif(venue, order_of(spx(SELL, 1, 5500, P), limit="-50"))
    assert len(result.warnings) == 1
    assert "not marketable" in result.warnings[0]


def test_a_what_if_of_an_unknown_contract_is_refused(venue: Venue, order_of: OrderFactory) -> None:
    order = order_of(spx(SELL, 1, 5500, P), order_type=OrderType.MARKET)
    bad_leg = order.legs[0].model_copy(
        update={"contract": order.legs[0].contract.model_copy(update={"multiplier": Decimal(10)})}
    )
    with pytest.raises(NotListed):
        whatif(venue, order.model_copy(update={"legs": (bad_leg,)}))
