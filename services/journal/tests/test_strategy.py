from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.journal.domain.strategy import Strategy, StrategyLeg, recognise, strategy_tag
from deltadesk.journal.testing import future, leg, make_order, option, share
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
JAN = date(2026, 12, 18)
FEB = date(2027, 1, 15)
P, C = Right.PUT, Right.CALL
OPT, FOP, STK, FUT = InstrumentType.OPT, InstrumentType.FOP, InstrumentType.STK, InstrumentType.FUT


def o(quantity: int, right: Right, strike: int, expiry: date = JAN, underlying: str = "SPX") -> StrategyLeg:
    return StrategyLeg(underlying, OPT, quantity, right, Decimal(strike), expiry)


def stock(quantity: int, underlying: str = "AAPL") -> StrategyLeg:
    return StrategyLeg(underlying, STK, quantity)


def fut(quantity: int, expiry: date = JAN) -> StrategyLeg:
    return StrategyLeg("/ES", FUT, quantity, expiry=expiry)


CASES: list[tuple[str, list[StrategyLeg], Strategy]] = [
    ("short put", [o(-1, P, 5800)], Strategy.SHORT_PUT),
    ("short call", [o(-2, C, 6200)], Strategy.SHORT_CALL),
    ("long put", [o(1, P, 5800)], Strategy.LONG_PUT),
    ("long call", [o(3, C, 6200)], Strategy.LONG_CALL),
    ("stock", [stock(100)], Strategy.STOCK),
    ("short stock", [stock(-100)], Strategy.STOCK),
    ("future", [fut(-1)], Strategy.FUTURE),
    ("futures calendar", [fut(-1, JAN), fut(1, FEB)], Strategy.CALENDAR),
    ("bull put spread", [o(-1, P, 5800), o(1, P, 5750)], Strategy.PUT_CREDIT_SPREAD),
    ("bear put spread", [o(1, P, 5800), o(-1, P, 5750)], Strategy.PUT_DEBIT_SPREAD),
    ("bear call spread", [o(-1, C, 6200), o(1, C, 6250)], Strategy.CALL_CREDIT_SPREAD),
    ("bull call spread", [o(1, C, 6200), o(-1, C, 6250)], Strategy.CALL_DEBIT_SPREAD),
    ("ratio spread", [o(1, P, 5800), o(-2, P, 5700)], Strategy.RATIO_SPREAD),
    ("short strangle", [o(-1, P, 5700), o(-1, C, 6300)], Strategy.SHORT_STRANGLE),
    ("long strangle", [o(1, P, 5700), o(1, C, 6300)], Strategy.LONG_STRANGLE),
    ("short straddle", [o(-1, P, 6000), o(-1, C, 6000)], Strategy.SHORT_STRADDLE),
    ("long straddle", [o(1, P, 6000), o(1, C, 6000)], Strategy.LONG_STRADDLE),
    ("risk reversal", [o(-1, P, 5800), o(1, C, 6200)], Strategy.RISK_REVERSAL),
    ("synthetic", [o(-1, P, 6000), o(1, C, 6000)], Strategy.SYNTHETIC),
    ("calendar", [o(-1, P, 5800, JAN), o(1, P, 5800, FEB)], Strategy.CALENDAR),
    ("diagonal", [o(-1, C, 6200, JAN), o(1, C, 6250, FEB)], Strategy.DIAGONAL),
    ("covered call", [stock(100), o(-1, C, 240, underlying="AAPL")], Strategy.COVERED_CALL),
    (
        "covered call on a future",
        [fut(1), StrategyLeg("/ES", FOP, -1, C, Decimal(6200), JAN)],
        Strategy.COVERED_CALL,
    ),
    ("protective put", [stock(100), o(1, P, 220, underlying="AAPL")], Strategy.PROTECTIVE_PUT),
    ("covered put", [stock(-100), o(-1, P, 220, underlying="AAPL")], Strategy.COVERED_PUT),
    (
        "collar",
        [stock(100), o(-1, C, 240, underlying="AAPL"), o(1, P, 220, underlying="AAPL")],
        Strategy.COLLAR,
    ),
    ("jade lizard", [o(-1, P, 5800), o(-1, C, 6200), o(1, C, 6250)], Strategy.JADE_LIZARD),
    ("butterfly", [o(1, C, 5950), o(-2, C, 6000), o(1, C, 6050)], Strategy.BUTTERFLY),
    ("short butterfly", [o(-1, P, 5950), o(2, P, 6000), o(-1, P, 6050)], Strategy.SHORT_BUTTERFLY),
    ("broken-wing butterfly", [o(1, P, 5900), o(-2, P, 6000), o(1, P, 6050)], Strategy.BROKEN_WING_BUTTERFLY),
    (
        "butterfly with its body as two legs",
        [o(1, C, 5950), o(-1, C, 6000), o(-1, C, 6000), o(1, C, 6050)],
        Strategy.BUTTERFLY,
    ),
    ("condor", [o(1, C, 5900), o(-1, C, 5950), o(-1, C, 6050), o(1, C, 6100)], Strategy.CONDOR),
    ("short condor", [o(-1, P, 5900), o(1, P, 5950), o(1, P, 6050), o(-1, P, 6100)], Strategy.SHORT_CONDOR),
    (
        "iron condor",
        [o(1, P, 5650), o(-1, P, 5700), o(-1, C, 6300), o(1, C, 6350)],
        Strategy.IRON_CONDOR,
    ),
    (
        "reverse iron condor",
        [o(-1, P, 5650), o(1, P, 5700), o(1, C, 6300), o(-1, C, 6350)],
        Strategy.REVERSE_IRON_CONDOR,
    ),
    (
        "iron butterfly",
        [o(1, P, 5950), o(-1, P, 6000), o(-1, C, 6000), o(1, C, 6050)],
        Strategy.IRON_BUTTERFLY,
    ),
    (
        "reverse iron butterfly",
        [o(-1, P, 5950), o(1, P, 6000), o(1, C, 6000), o(-1, C, 6050)],
        Strategy.REVERSE_IRON_BUTTERFLY,
    ),
]

AMBIGUOUS: list[tuple[str, list[StrategyLeg]]] = [
    ("no legs", []),
    ("legs that cancel out", [o(-1, P, 5800), o(1, P, 5800)]),
    ("two underlyings", [o(-1, P, 5800), o(-1, P, 550, underlying="SPY")]),
    ("shares and futures", [stock(100, "/ES"), fut(1)]),
    ("calendar of unequal sizes", [o(-1, P, 5800, JAN), o(2, P, 5800, FEB)]),
    ("strangle across expiries", [o(-1, P, 5700, JAN), o(-1, C, 6300, FEB)]),
    ("strangle of unequal sizes", [o(-1, P, 5700), o(-2, C, 6300)]),
    ("two short puts", [o(-1, P, 5700), o(-1, P, 5800)]),
    ("iron condor with overlapping spreads", [o(1, P, 5650), o(-1, P, 6100), o(-1, C, 6000), o(1, C, 6350)]),
    ("iron condor across expiries", [o(1, P, 5650, FEB), o(-1, P, 5700), o(-1, C, 6300), o(1, C, 6350)]),
    ("iron condor of unequal sizes", [o(2, P, 5650), o(-2, P, 5700), o(-1, C, 6300), o(1, C, 6350)]),
    ("butterfly of wrong ratios", [o(1, C, 5950), o(-3, C, 6000), o(1, C, 6050)]),
    ("stock and a short put", [stock(100), o(-1, P, 220, underlying="AAPL")]),
    ("five option legs", [o(1, P, 5600), o(-1, P, 5700), o(-1, C, 6300), o(1, C, 6400), o(1, C, 6500)]),
    ("stock and a long call", [stock(100), o(1, C, 240, underlying="AAPL")]),
]


@pytest.mark.parametrize(("legs", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_strategy_is_recognised_from_its_legs(legs: list[StrategyLeg], expected: Strategy) -> None:
    assert recognise(legs) is expected


@pytest.mark.parametrize("legs", [c[1] for c in AMBIGUOUS], ids=[c[0] for c in AMBIGUOUS])
def test_a_shape_that_fits_no_strategy_is_custom_not_a_guess(legs: list[StrategyLeg]) -> None:
    assert recognise(legs) is Strategy.CUSTOM


def test_every_strategy_but_custom_has_a_case() -> None:
    assert {c[2] for c in CASES} == set(Strategy) - {Strategy.CUSTOM}


def test_stock_in_two_lines_merges_into_one_covered_call() -> None:
    legs = [stock(60), stock(40), o(-1, C, 240, underlying="AAPL")]
    assert recognise(legs) is Strategy.COVERED_CALL


def test_an_iron_condor_of_two_is_still_an_iron_condor() -> None:
    legs = [o(2, P, 5650), o(-2, P, 5700), o(-2, C, 6300), o(2, C, 6350)]
    assert recognise(legs) is Strategy.IRON_CONDOR


def test_the_traders_own_tag_wins_over_recognition() -> None:
    order = make_order(leg(Action.SELL, 1, option("SPX", P, 5800, root="SPXW")), created_at=NOW)
    assert strategy_tag(order, "  wheel, round 3 ") == "wheel, round 3"
    assert strategy_tag(order, "   ") == "short put"
    assert strategy_tag(order, None) == "short put"


def test_an_order_of_contracts_is_recognised_like_its_legs() -> None:
    order = make_order(
        leg(Action.BUY, 1, option("SPX", P, 5650, root="SPXW")),
        leg(Action.SELL, 1, option("SPX", P, 5700, root="SPXW")),
        leg(Action.SELL, 1, option("SPX", C, 6300, root="SPXW")),
        leg(Action.BUY, 1, option("SPX", C, 6350, root="SPXW")),
        created_at=NOW,
    )
    assert strategy_tag(order, None) == "iron condor"


def test_futures_and_shares_from_orders() -> None:
    assert strategy_tag(make_order(leg(Action.SELL, 1, future("/ES")), created_at=NOW), None) == "future"
    assert strategy_tag(make_order(leg(Action.BUY, 100, share("KO")), created_at=NOW), None) == "stock"


strikes = st.sampled_from([Decimal(k) for k in range(5600, 6450, 50)])
legs_strategy = st.lists(
    st.builds(
        StrategyLeg,
        underlying=st.sampled_from(["SPX", "SPY"]),
        instrument=st.just(OPT),
        quantity=st.integers(-3, 3).filter(bool),
        right=st.sampled_from([P, C]),
        strike=strikes,
        expiry=st.sampled_from([JAN, FEB]),
    ),
    min_size=1,
    max_size=4,
)


@given(legs_strategy, st.integers(1, 7))
def test_scaling_every_leg_keeps_the_strategy(legs: list[StrategyLeg], factor: int) -> None:
    scaled = [
        StrategyLeg(x.underlying, x.instrument, x.quantity * factor, x.right, x.strike, x.expiry)
        for x in legs
    ]
    assert recognise(scaled) is recognise(legs)


@given(legs_strategy, st.randoms(use_true_random=False))
def test_the_order_of_legs_does_not_matter(legs: list[StrategyLeg], rng: object) -> None:
    shuffled = list(legs)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert recognise(shuffled) is recognise(legs)
