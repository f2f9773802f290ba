"""Strategy-based margin, strategy by strategy, with numbers worked by hand in each test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deltadesk.paper_venue.domain.contracts import occ_symbol
from deltadesk.paper_venue.domain.margin import (
    MarginRates,
    MarginRequirement,
    MarginUnavailable,
    StrategyKind,
    StrategyLeg,
    margin_requirement,
)
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.positions import Position

EXPIRY = date(2026, 12, 18)
LATER = date(2027, 1, 15)
RATES = MarginRates(futures={"/ES": Decimal(22_000), "/MES": Decimal(2_200)})
P, C = Right.PUT, Right.CALL


def option(
    right: Right,
    strike: str | int,
    quantity: int,
    mark: str,
    *,
    underlying: str = "XYZ",
    price: float = 100.0,
    expiry: date = EXPIRY,
) -> Position:
    return Position(
        account="PAPER",
        symbol=occ_symbol(underlying, expiry, right, Decimal(strike)),
        underlying=underlying,
        instrument=InstrumentType.OPT,
        quantity=Decimal(quantity),
        multiplier=Decimal(100),
        right=right,
        strike=Decimal(strike),
        expiry=expiry,
        mark=Decimal(mark),
        underlying_price=price,
    )


def shares(symbol: str, quantity: int, price: str) -> Position:
    return Position(
        account="PAPER",
        symbol=symbol,
        underlying=symbol,
        instrument=InstrumentType.STK,
        quantity=Decimal(quantity),
        multiplier=Decimal(1),
        mark=Decimal(price),
        underlying_price=float(price),
    )


def es_future(root: str, quantity: int, multiplier: int) -> Position:
    return Position(
        account="PAPER",
        symbol=f"{root}Z6",
        underlying=root,
        instrument=InstrumentType.FUT,
        quantity=Decimal(quantity),
        multiplier=Decimal(multiplier),
        mark=Decimal(6000),
        underlying_price=6000.0,
        underlying_contract=f"{root}Z6",
    )


def es_option(right: Right, strike: int, quantity: int, mark: str, future_price: float = 6000.0) -> Position:
    return Position(
        account="PAPER",
        symbol=f"/ESZ6 261211{right.value}{strike}",
        underlying="/ES",
        instrument=InstrumentType.FOP,
        quantity=Decimal(quantity),
        multiplier=Decimal(50),
        right=right,
        strike=Decimal(strike),
        expiry=date(2026, 12, 11),
        mark=Decimal(mark),
        underlying_price=future_price,
        underlying_contract="/ESZ6",
    )


def requirement(*positions: Position) -> MarginRequirement:
    return margin_requirement(list(positions), RATES)


def kinds(result: MarginRequirement) -> list[StrategyKind]:
    return [s.kind for s in result.strategies]


# ── naked shorts ────────────────────────────────────────────────────────────────────────────────
def test_a_naked_equity_put_needs_premium_plus_20_percent_less_the_otm_amount() -> None:
    # 2 + 20% × 100 − (100 − 95) = 17 (more than the minimum 2 + 10% × 95 = 11.5); × 100 = 1,700.
    result = requirement(option(P, 95, -1, "2"))
    assert kinds(result) == [StrategyKind.NAKED_PUT]
    assert result.initial == result.maintenance == Decimal("1700.00")


def test_a_far_out_of_the_money_put_needs_the_10_percent_of_strike_minimum() -> None:
    # 0.10 + 20 − 30 < 0, so the minimum applies: 0.10 + 10% × 70 = 7.10; × 100 × 2 = 1,420.
    assert requirement(option(P, 70, -2, "0.10")).initial == Decimal("1420.00")


def test_a_far_out_of_the_money_call_needs_the_10_percent_of_underlying_minimum() -> None:
    # 0.50 + 20 − 20 = 0.50, below the minimum 0.50 + 10% × 100 = 10.50; × 100 = 1,050.
    result = requirement(option(C, 120, -1, "0.50"))
    assert kinds(result) == [StrategyKind.NAKED_CALL]
    assert result.initial == Decimal("1050.00")


def test_an_in_the_money_call_has_no_otm_amount_to_subtract() -> None:
    # 11 + 20% × 100 = 31; × 100 = 3,100.
    assert requirement(option(C, 90, -1, "11")).initial == Decimal("3100.00")


def test_a_naked_spx_put_uses_the_broad_based_index_15_percent() -> None:
    # 20 + 15% × 6000 − 300 = 620 (minimum 20 + 570 = 590); × 100 × 2 = 124,000.
    put = option(P, 5700, -2, "20", underlying="SPX", price=6000.0)
    assert requirement(put).initial == Decimal("124000.00")


def test_spy_is_margined_as_a_broad_based_index_etf() -> None:
    # 3 + 15% × 600 − 20 = 73 (minimum 3 + 58 = 61); × 100 = 7,300.
    assert requirement(option(P, 580, -1, "3", underlying="SPY", price=600.0)).initial == Decimal("7300.00")


# ── straddles and strangles ─────────────────────────────────────────────────────────────────────
def test_a_short_strangle_needs_the_larger_naked_side_plus_the_other_premium() -> None:
    # Put: 2 + 46 − 20 = 28. Call: 1.5 + 46 − 20 = 27.5. So 28 + 1.5 = 29.5; × 100 = 2,950.
    put = option(P, 210, -1, "2", underlying="AAPL", price=230.0)
    call = option(C, 250, -1, "1.5", underlying="AAPL", price=230.0)
    result = requirement(put, call)
    assert kinds(result) == [StrategyKind.STRANGLE]
    assert result.initial == Decimal("2950.00")


def test_a_short_straddle_is_named_so() -> None:
    # Put: 4 + 20 = 24. Call: 5 + 20 = 25. So 25 + 4 = 29; × 100 × 2 = 5,800.
    result = requirement(option(P, 100, -2, "4"), option(C, 100, -2, "5"))
    assert kinds(result) == [StrategyKind.STRADDLE]
    assert result.initial == Decimal("5800.00")


def test_a_strangle_pairs_only_the_matching_quantity() -> None:
    # 1 strangle (as above with 100/95/105 strikes) + 1 naked put left over.
    # Put 95 @2: 2 + 20 − 5 = 17. Call 105 @1: 1 + 20 − 5 = 16. Strangle 17 + 1 = 18 → 1,800; naked put 1,700.
    result = requirement(option(P, 95, -2, "2"), option(C, 105, -1, "1"))
    assert kinds(result) == [StrategyKind.STRANGLE, StrategyKind.NAKED_PUT]
    assert result.initial == Decimal("3500.00")


# ── verticals and iron condors ──────────────────────────────────────────────────────────────────
def test_a_put_credit_vertical_needs_its_width() -> None:
    # Width 95 − 90 = 5 (less than the short's naked 17); × 100 × 2 = 1,000.
    result = requirement(option(P, 95, -2, "2"), option(P, 90, 2, "1"))
    assert kinds(result) == [StrategyKind.CREDIT_SPREAD]
    assert result.initial == Decimal("1000.00")
    assert result.strategies[0].legs == (
        StrategyLeg(symbol="XYZ   261218P00090000", quantity=Decimal(2)),
        StrategyLeg(symbol="XYZ   261218P00095000", quantity=Decimal(-2)),
    )


def test_a_very_wide_vertical_needs_no_more_than_its_naked_short() -> None:
    # Width 40, but the short 60 put alone needs 0.05 + 10% × 60 = 6.05; × 100 = 605.
    assert requirement(option(P, 60, -1, "0.05"), option(P, 20, 1, "0.01")).initial == Decimal("605.00")


def test_a_call_debit_vertical_needs_its_net_debit() -> None:
    # Long 100 call @5, short 105 call @2: net debit 3; × 100 = 300.
    result = requirement(option(C, 100, 1, "5"), option(C, 105, -1, "2"))
    assert kinds(result) == [StrategyKind.DEBIT_SPREAD]
    assert result.initial == Decimal("300.00")


def test_a_short_pairs_with_the_long_that_protects_it_most_cheaply() -> None:
    # Short 95 put; longs at 90 and 80. The 90 makes a 5-wide vertical (500); the 80 is paid in full
    # (0.5 × 100 = 50).
    result = requirement(option(P, 95, -1, "2"), option(P, 90, 1, "1"), option(P, 80, 1, "0.5"))
    assert kinds(result) == [StrategyKind.CREDIT_SPREAD, StrategyKind.LONG_OPTION]
    assert result.initial == Decimal("550.00")


def test_an_iron_condor_needs_only_its_wider_side() -> None:
    # Put side 95/90 (5 wide), call side 110/120 (10 wide): 10 × 100 = 1,000.
    condor = (
        option(P, 90, 1, "0.5"),
        option(P, 95, -1, "1"),
        option(C, 110, -1, "1"),
        option(C, 120, 1, "0.2"),
    )
    result = requirement(*condor)
    assert kinds(result) == [StrategyKind.IRON_CONDOR]
    assert result.initial == Decimal("1000.00")
    assert [leg.quantity for leg in result.strategies[0].legs] == [1, -1, -1, 1]


def test_an_unbalanced_condor_leaves_a_plain_vertical() -> None:
    # 2 put verticals (5 wide) and 1 call vertical (10 wide): a condor (1,000) and a put vertical (500).
    result = requirement(
        option(P, 90, 2, "0.5"), option(P, 95, -2, "1"), option(C, 110, -1, "1"), option(C, 120, 1, "0.2")
    )
    assert kinds(result) == [StrategyKind.IRON_CONDOR, StrategyKind.CREDIT_SPREAD]
    assert result.initial == Decimal("1500.00")


def test_verticals_do_not_pair_across_expiries() -> None:
    # Short 95 put in December, long 90 put in January: a naked put (1,700) and a long put (100).
    result = requirement(option(P, 95, -1, "2"), option(P, 90, 1, "1", expiry=LATER))
    assert kinds(result) == [StrategyKind.NAKED_PUT, StrategyKind.LONG_OPTION]
    assert result.initial == Decimal("1800.00")


# ── covered calls, longs, shares ────────────────────────────────────────────────────────────────
def test_a_covered_call_margins_only_the_shares() -> None:
    # 200 × 230 = 46,000: 50% initial = 23,000, 25% maintenance = 11,500; the calls need nothing.
    result = requirement(
        shares("AAPL", 200, "230"), option(C, 240, -2, "2.25", underlying="AAPL", price=230.0)
    )
    assert kinds(result) == [StrategyKind.COVERED_CALL]
    assert (result.initial, result.maintenance) == (Decimal("23000.00"), Decimal("11500.00"))


def test_calls_beyond_the_shares_are_naked_and_spare_shares_are_stock() -> None:
    # 150 shares at 100 cover one call (100 shares: 5,000 / 2,500); the second call is naked
    # (1 + 20 − 5 = 16 → 1,600); 50 spare shares are stock (2,500 / 1,250).
    result = requirement(shares("XYZ", 150, "100"), option(C, 105, -2, "1"))
    assert kinds(result) == [StrategyKind.COVERED_CALL, StrategyKind.NAKED_CALL, StrategyKind.LONG_STOCK]
    assert result.initial == Decimal("9100.00")
    assert result.maintenance == Decimal("5350.00")


def test_short_shares_cover_a_short_put() -> None:
    # −100 × 100: 50% initial 5,000, 30% maintenance 3,000; the put needs nothing.
    result = requirement(shares("XYZ", -100, "100"), option(P, 95, -1, "2"))
    assert kinds(result) == [StrategyKind.COVERED_PUT]
    assert (result.initial, result.maintenance) == (Decimal("5000.00"), Decimal("3000.00"))


def test_a_long_option_is_paid_in_full() -> None:
    # 3.50 × 100 × 2 = 700.
    result = requirement(option(P, 90, 2, "3.50"))
    assert kinds(result) == [StrategyKind.LONG_OPTION]
    assert result.initial == Decimal("700.00")


@pytest.mark.parametrize(
    ("quantity", "kind", "initial", "maintenance"),
    [
        (100, StrategyKind.LONG_STOCK, "2500.00", "1250.00"),
        (-100, StrategyKind.SHORT_STOCK, "2500.00", "1500.00"),
    ],
)
def test_stock_is_margined_at_reg_t_rates(
    quantity: int, kind: StrategyKind, initial: str, maintenance: str
) -> None:
    result = requirement(shares("XYZ", quantity, "50"))
    assert kinds(result) == [kind]
    assert (result.initial, result.maintenance) == (Decimal(initial), Decimal(maintenance))


# ── futures and their options ───────────────────────────────────────────────────────────────────
def test_futures_need_their_configured_margin_per_contract() -> None:
    # 1 /ES × 22,000 + 2 /MES × 2,200 = 26,400, short or long alike.
    result = requirement(es_future("/ES", -1, 50), es_future("/MES", 2, 5))
    assert kinds(result) == [StrategyKind.FUTURE, StrategyKind.FUTURE]
    assert result.initial == result.maintenance == Decimal("26400.00")


def test_a_future_with_no_configured_margin_cannot_be_margined() -> None:
    with pytest.raises(MarginUnavailable, match="/NQ"):
        requirement(es_future("/NQ", 1, 20))


def test_a_short_es_put_needs_premium_plus_intrinsic_after_a_scan_range_move() -> None:
    # Scan: 22,000 / 50 = 440 points, so the future falls to 5,560; intrinsic 5,700 − 5,560 = 140.
    # 20 + 140 = 160; × 50 = 8,000.
    result = requirement(es_option(P, 5700, -1, "20"))
    assert kinds(result) == [StrategyKind.NAKED_PUT]
    assert result.initial == Decimal("8000.00")


def test_a_short_es_call_is_stressed_upwards() -> None:
    # The future rises to 6,440: intrinsic 140; 15 + 140 = 155; × 50 = 7,750.
    assert requirement(es_option(C, 6300, -1, "15")).initial == Decimal("7750.00")


def test_es_option_verticals_use_the_futures_multiplier() -> None:
    # Width 50 × 50 = 2,500.
    assert requirement(es_option(P, 5700, -1, "20"), es_option(P, 5650, 1, "14")).initial == Decimal(
        "2500.00"
    )


# ── the book as a whole ─────────────────────────────────────────────────────────────────────────
BOOK = (
    option(P, 5585, 2, "26.72", underlying="SPX", price=6000.0, expiry=LATER),
    option(P, 5635, -2, "31.66", underlying="SPX", price=6000.0, expiry=LATER),
    option(C, 6315, -2, "20.65", underlying="SPX", price=6000.0, expiry=LATER),
    option(C, 6365, 2, "13.57", underlying="SPX", price=6000.0, expiry=LATER),
    option(P, 5695, -2, "25.85", underlying="SPX", price=6000.0),
    shares("AAPL", 200, "230"),
    option(C, 240, -2, "2.25", underlying="AAPL", price=230.0),
    option(P, 165, -3, "4.24", underlying="NVDA", price=185.0),
    es_future("/ES", -1, 50),
    es_option(P, 5725, -1, "23.22"),
)


@settings(max_examples=50)
@given(st.permutations(BOOK))
def test_the_order_of_the_positions_does_not_matter(book: list[Position]) -> None:
    assert margin_requirement(book, RATES) == margin_requirement(list(BOOK), RATES)


def test_the_totals_are_the_sums_of_the_strategies() -> None:
    result = margin_requirement(list(BOOK), RATES)
    assert result.initial == sum(s.initial for s in result.strategies)
    assert result.maintenance == sum(s.maintenance for s in result.strategies)
    assert all(s.initial >= 0 and s.maintenance >= 0 for s in result.strategies)
    assert StrategyKind.IRON_CONDOR in kinds(result)
    assert StrategyKind.COVERED_CALL in kinds(result)


def test_lines_of_the_same_contract_are_added_up_and_a_flat_one_is_dropped() -> None:
    split = requirement(option(P, 95, -1, "2"), option(P, 95, -1, "2"))
    assert split == requirement(option(P, 95, -2, "2"))
    assert requirement(option(P, 95, -1, "2"), option(P, 95, 1, "2")).strategies == ()


def test_an_option_with_no_mark_cannot_be_margined() -> None:
    unpriced = option(P, 95, -1, "2").model_copy(update={"mark": None})
    with pytest.raises(MarginUnavailable, match="no mark"):
        requirement(unpriced)


def test_an_empty_book_needs_nothing() -> None:
    assert requirement() == MarginRequirement(initial=Decimal(0), maintenance=Decimal(0), strategies=())
