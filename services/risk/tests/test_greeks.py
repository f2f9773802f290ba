from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.risk.domain.beta import DEFAULT_BETA, ECONOMIC_BETA
from deltadesk.risk.domain.greeks import Exposure, aggregate, exposure_of, weigh, weigh_portfolio
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, BetaSource, PortfolioGreeks
from deltadesk.shared.positions import Greeks, Position

SPX = 5000.0


def beta(value: float) -> Beta:
    return Beta(value=value, source=BetaSource.CONFIG, method="test")


def exposure(
    instrument: InstrumentType = InstrumentType.STK,
    *,
    quantity: str = "100",
    multiplier: str = "1",
    greeks: Greeks | None = None,
    price: float | None = 200.0,
    underlying: str = "AAPL",
    symbol: str | None = None,
) -> Exposure:
    return Exposure(
        symbol=symbol or underlying,
        description=symbol or underlying,
        underlying=underlying,
        instrument=instrument,
        quantity=Decimal(quantity),
        multiplier=Decimal(multiplier),
        greeks=greeks,
        underlying_price=price,
    )


# ── the formula, instrument by instrument (seed T012, T014) ─────────────────────────────────────
def test_stock_delta_is_shares_times_beta_times_price_over_spx() -> None:
    w = weigh(exposure(quantity="100", price=200.0), beta(1.2), SPX)
    assert w.spx_delta == pytest.approx(1 * 100 * 1 * 1.2 * 200.0 / SPX)  # 4.8
    assert (w.gamma, w.theta, w.vega) == (0.0, 0.0, 0.0)
    assert w.excluded_reason is None


def test_etf_delta_uses_the_same_formula() -> None:
    w = weigh(exposure(InstrumentType.ETF, quantity="-300", underlying="SPY", price=500.0), beta(1.0), SPX)
    assert w.spx_delta == pytest.approx(-300 * 500.0 / SPX)  # -30


def test_stock_delta_is_one_whatever_the_broker_sent() -> None:
    odd = exposure(quantity="100", price=200.0, greeks=Greeks(delta=0.5, gamma=0.1, theta=-1, vega=2))
    w = weigh(odd, beta(1.0), SPX)
    assert w.spx_delta == pytest.approx(4.0)
    assert (w.gamma, w.theta, w.vega) == (0.0, 0.0, 0.0)


def test_short_equity_put_adds_positive_spx_delta() -> None:
    put = exposure(
        InstrumentType.OPT,
        quantity="-2",
        multiplier="100",
        greeks=Greeks(delta=-0.30, gamma=0.02, theta=-0.15, vega=0.40),
        underlying="SPY",
        price=500.0,
    )
    w = weigh(put, beta(1.0), SPX)
    assert w.spx_delta == pytest.approx(-0.30 * -2 * 100 * 1.0 * 500.0 / SPX)  # 6.0
    assert w.gamma == pytest.approx(0.02 * -2 * 100)  # -4 shares per point: short gamma
    assert w.theta == pytest.approx(-0.15 * -2 * 100)  # +30 $/day: the seller earns decay
    assert w.vega == pytest.approx(0.40 * -2 * 100)  # -80 $/vol point: short vega


def test_equity_option_is_beta_weighted() -> None:
    call = exposure(
        InstrumentType.OPT,
        quantity="3",
        multiplier="100",
        greeks=Greeks(delta=0.5),
        underlying="NVDA",
        price=120.0,
    )
    w = weigh(call, beta(1.8), SPX)
    assert w.spx_delta == pytest.approx(0.5 * 3 * 100 * 1.8 * 120.0 / SPX)  # 6.48


def test_spx_option_delta_is_its_own_delta_times_multiplier() -> None:
    put = exposure(
        InstrumentType.OPT,
        quantity="-1",
        multiplier="100",
        greeks=Greeks(delta=-0.12),
        underlying="SPX",
        price=SPX,
    )
    w = weigh(put, ECONOMIC_BETA, SPX)
    assert w.spx_delta == pytest.approx(12.0)


def test_es_future_is_fifty_times_the_index() -> None:
    future = exposure(InstrumentType.FUT, quantity="1", multiplier="50", underlying="/ES", price=5010.0)
    w = weigh(future, ECONOMIC_BETA, SPX)
    assert w.spx_delta == pytest.approx(50 * 5010.0 / SPX)  # 50.1: the basis shows, as it should


def test_mes_future_is_five_times_the_index() -> None:
    future = exposure(InstrumentType.FUT, quantity="-3", multiplier="5", underlying="/MES", price=5000.0)
    assert weigh(future, ECONOMIC_BETA, SPX).spx_delta == pytest.approx(-15.0)


def test_future_option_uses_the_futures_multiplier() -> None:
    fop = exposure(
        InstrumentType.FOP,
        quantity="-2",
        multiplier="50",
        greeks=Greeks(delta=-0.2, gamma=0.001, theta=-2.5, vega=8.0),
        underlying="/ES",
        price=5000.0,
    )
    w = weigh(fop, ECONOMIC_BETA, SPX)
    assert w.spx_delta == pytest.approx(-0.2 * -2 * 50)  # +20
    assert w.theta == pytest.approx(250.0)
    assert w.vega == pytest.approx(-800.0)


def _position(**fields: object) -> Position:
    base: dict[str, object] = {"account": "U1", "symbol": "KO", "underlying": "KO", "instrument": "STK"}
    return Position.model_validate({**base, **fields})


def test_a_stock_reported_with_multiplier_zero_counts_as_one() -> None:
    position = _position(quantity="100", multiplier="0", underlying_price=60.0)
    w = weigh(exposure_of(position, 60.0), beta(0.6), SPX)
    assert w.multiplier == 1
    assert w.spx_delta == pytest.approx(100 * 0.6 * 60.0 / SPX)


def test_exposure_of_a_position_keeps_its_label_greeks_and_mark() -> None:
    position = _position(
        symbol="AAPL  261218P00200000",
        underlying="AAPL",
        instrument="OPT",
        quantity="-1",
        multiplier="100",
        right="P",
        strike="200",
        expiry=date(2026, 12, 18),
        greeks={"delta": -0.25},
        mark="3.10",
    )
    e = exposure_of(position, 210.0)
    assert e.description == "AAPL 2026-12-18 200 P"
    assert e.greeks == Greeks(delta=-0.25)
    assert e.mark == Decimal("3.10")
    assert e.underlying_price == 210.0


def test_an_unavailable_beta_is_carried_to_the_position() -> None:
    w = weigh(exposure(), DEFAULT_BETA, SPX)
    assert w.beta.unavailable
    assert w.spx_delta == pytest.approx(100 * 200.0 / SPX)


# ── what cannot be weighted (seed T005: never the strike) ───────────────────────────────────────
def test_an_option_without_greeks_is_excluded_with_a_reason() -> None:
    option = exposure(InstrumentType.OPT, multiplier="100", greeks=None)
    w = weigh(option, beta(1.0), SPX)
    assert w.excluded_reason == "no Greeks from the broker"
    assert (w.spx_delta, w.gamma, w.theta, w.vega) == (0.0, 0.0, 0.0, 0.0)


def test_a_position_without_an_underlying_price_is_excluded_not_priced_at_its_strike() -> None:
    option = exposure(InstrumentType.OPT, multiplier="100", greeks=Greeks(delta=-0.3, theta=-0.1), price=None)
    w = weigh(option, beta(1.0), SPX)
    assert w.excluded_reason == "no underlying price"
    assert (w.spx_delta, w.gamma, w.theta, w.vega) == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("spx", [0.0, -1.0, float("nan")])
def test_a_spx_price_that_is_not_positive_is_invalid_market_data(spx: float) -> None:
    with pytest.raises(InvalidMarketData, match="SPX"):
        weigh(exposure(), beta(1.0), spx)
    with pytest.raises(InvalidMarketData, match="SPX"):
        weigh_portfolio([exposure()], {}, spx)


def test_portfolio_warns_about_exclusions_and_unavailable_betas_once_per_underlying() -> None:
    stock = exposure(underlying="ZZZ", quantity="10")
    more = exposure(underlying="ZZZ", quantity="5")
    no_greeks = exposure(
        InstrumentType.OPT, multiplier="100", underlying="AAPL", symbol="AAPL P", greeks=None
    )
    result = weigh_portfolio([stock, more, no_greeks], {"AAPL": beta(1.2)}, SPX)
    assert result.warnings == (
        "AAPL P excluded from risk: no Greeks from the broker",
        "ZZZ: no beta source answered, 1.0 used",
    )
    assert result.greeks.spx_delta == pytest.approx(15 * 200.0 / SPX)


def test_portfolio_uses_economic_betas_and_breaks_down_by_underlying() -> None:
    spy = exposure(InstrumentType.ETF, underlying="SPY", quantity="100", price=500.0)
    es = exposure(InstrumentType.FUT, underlying="/ESZ6", quantity="1", multiplier="50", price=5000.0)
    spx_put = exposure(
        InstrumentType.OPT,
        underlying="SPX",
        quantity="-1",
        multiplier="100",
        greeks=Greeks(delta=-0.1),
        price=5000.0,
    )
    result = weigh_portfolio([spy, es, spx_put], {"SPY": beta(1.0), "/ES": beta(9.0)}, SPX)
    es_weighted = result.positions[1]
    assert es_weighted.beta == ECONOMIC_BETA  # economic wins over any source (seed T002)
    assert result.greeks.spx_delta == pytest.approx(10.0 + 50.0 + 10.0)
    assert [(u.underlying, u.positions, u.spx_delta) for u in result.greeks.by_underlying] == [
        ("/ES", 1, pytest.approx(50.0)),
        ("SPX", 1, pytest.approx(10.0)),
        ("SPY", 1, pytest.approx(10.0)),
    ]


# ── invariants ───────────────────────────────────────────────────────────────────────────────────
UNDERLYINGS = {"AAPL": 1.2, "SPY": 1.0, "KO": 0.6, "/ES": 1.0, "TSLA": 2.1}
quantities = st.integers(min_value=-50, max_value=50).filter(bool).map(Decimal)
finite = {"allow_nan": False, "allow_infinity": False}
option_greeks = st.builds(
    Greeks,
    delta=st.floats(min_value=-1, max_value=1, **finite),
    gamma=st.floats(min_value=0, max_value=0.1, **finite),
    theta=st.floats(min_value=-5, max_value=0, **finite),
    vega=st.floats(min_value=0, max_value=10, **finite),
)


@st.composite
def exposures(draw: st.DrawFn) -> Exposure:
    underlying = draw(st.sampled_from(sorted(UNDERLYINGS)))
    instrument = draw(st.sampled_from(list(InstrumentType)))
    return Exposure(
        symbol=underlying,
        description=underlying,
        underlying=underlying,
        instrument=instrument,
        quantity=draw(quantities),
        multiplier=Decimal(draw(st.sampled_from([1, 5, 50, 100]))),
        greeks=draw(option_greeks) if instrument.is_option else None,
        underlying_price=draw(st.floats(min_value=1, max_value=6000, **finite)),
    )


BETAS = {k: beta(v) for k, v in UNDERLYINGS.items()}
books = st.lists(exposures(), max_size=12)


def totals(greeks: PortfolioGreeks) -> tuple[float, float, float, float]:
    return (greeks.spx_delta, greeks.gamma, greeks.theta, greeks.vega)


@given(books, st.randoms(use_true_random=False))
def test_order_of_positions_does_not_matter(book: list[Exposure], rng: object) -> None:
    shuffled = list(book)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert weigh_portfolio(shuffled, BETAS, SPX).greeks == weigh_portfolio(book, BETAS, SPX).greeks


@given(books, books)
def test_aggregation_is_additive(a: list[Exposure], b: list[Exposure]) -> None:
    parts = [
        x + y
        for x, y in zip(
            totals(weigh_portfolio(a, BETAS, SPX).greeks),
            totals(weigh_portfolio(b, BETAS, SPX).greeks),
            strict=True,
        )
    ]
    assert totals(weigh_portfolio(a + b, BETAS, SPX).greeks) == pytest.approx(parts, abs=1e-6)


@given(books, st.data())
def test_splitting_a_position_in_two_does_not_change_totals(
    book: list[Exposure], data: st.DataObject
) -> None:
    if not book:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(book) - 1))
    whole = book[index]
    part = data.draw(st.integers(min_value=-60, max_value=60).map(Decimal))
    split = [
        *book[:index],
        whole._replace(quantity=part),
        whole._replace(quantity=whole.quantity - part),
        *book[index + 1 :],
    ]
    assert totals(weigh_portfolio(split, BETAS, SPX).greeks) == pytest.approx(
        totals(weigh_portfolio(book, BETAS, SPX).greeks), abs=1e-6
    )


@given(books)
def test_negating_every_quantity_negates_every_greek(book: list[Exposure]) -> None:
    negated = [e._replace(quantity=-e.quantity) for e in book]
    expected = [-x for x in totals(weigh_portfolio(book, BETAS, SPX).greeks)]
    assert totals(weigh_portfolio(negated, BETAS, SPX).greeks) == pytest.approx(expected, abs=1e-9)


@given(books)
def test_portfolio_totals_are_the_sum_of_its_underlyings(book: list[Exposure]) -> None:
    greeks = weigh_portfolio(book, BETAS, SPX).greeks
    assert greeks.spx_delta == pytest.approx(sum(u.spx_delta for u in greeks.by_underlying), abs=1e-6)
    assert sum(u.positions for u in greeks.by_underlying) == len(book)


def test_aggregate_of_nothing_is_zero() -> None:
    assert aggregate([]) == PortfolioGreeks(spx_delta=0.0, gamma=0.0, theta=0.0, vega=0.0)
