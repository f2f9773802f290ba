from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.risk.domain.assessment import (
    AccountView,
    assess,
    beta_keys,
    combine,
    latest_quotes,
    underlying_price,
)
from deltadesk.risk.domain.limits import Limits
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX, BreachScope, RiskMatrix
from deltadesk.shared.portfolio import Beta, BetaSource, RiskStatus
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MATRIX = DEFAULT_MATRIX.model_copy(update={"limits": Limits(max_portfolio_delta=50)})
BETAS = {"AAPL": Beta(value=1.25, source=BetaSource.TASTYTRADE, method="Tastytrade market metrics")}


def quote(symbol: str, price: str, *, age_s: float = 1.0) -> Quote:
    return Quote(symbol=symbol, last=Decimal(price), as_of=NOW - timedelta(seconds=age_s))


def position(**fields: object) -> Position:
    base: dict[str, object] = {
        "account": "U1",
        "symbol": "AAPL",
        "underlying": "AAPL",
        "instrument": "STK",
        "quantity": "100",
        "multiplier": "1",
    }
    return Position.model_validate({**base, **fields})


def view(positions: tuple[Position, ...], quotes: list[Quote], account: str = "U1") -> AccountView:
    return AccountView(
        account=account,
        positions=positions,
        positions_as_of=NOW,
        quotes=latest_quotes(quotes),
        net_liquidation=Decimal("100000"),
        accounts=(account,),
    )


def run(v: AccountView, matrix: RiskMatrix = MATRIX, previous=()):  # type: ignore[no-untyped-def]
    return assess(
        v, betas=BETAS, matrix=matrix, previous_breaches=previous, now=NOW, spx_max_age_s=60, new_id=uuid4
    )


def test_an_account_is_weighed_with_its_feeds_spx_vix_and_underlying_prices() -> None:
    result = run(view((position(),), [quote("SPX", "5000"), quote("VIX", "17.5"), quote("AAPL", "200")]))
    update = result.update
    assert update.status is RiskStatus.OK
    assert update.spx_price == 5000.0
    assert update.vix == 17.5
    assert update.regime == "normal"
    assert update.net_liquidation == Decimal("100000")
    assert update.greeks is not None
    assert update.greeks.spx_delta == pytest.approx(100 * 1.25 * 200 / 5000)  # 5
    assert update.positions[0].beta.source is BetaSource.TASTYTRADE
    assert update.breaches == ()


def test_the_quote_of_the_contract_that_prices_a_position_wins_over_the_reported_price() -> None:
    fop = position(
        symbol="./ESZ6 E3AZ6 261218P5800",
        underlying="/ES",
        underlying_contract="/ESZ6",
        instrument="FOP",
        quantity="-1",
        multiplier="50",
        right="P",
        strike="5800",
        expiry="2026-12-18",
        greeks={"delta": -0.2},
        underlying_price=5900.0,
    )
    assert underlying_price(fop, latest_quotes([quote("/ESZ6", "6010"), quote("/ES", "1")])) == 6010.0
    assert underlying_price(fop, {}) == 5900.0


def test_without_an_spx_quote_risk_halts_with_the_reason() -> None:
    update = run(view((position(),), [quote("AAPL", "200")])).update
    assert update.status is RiskStatus.HALTED
    assert update.halt_reason == "SPX price unavailable"
    assert update.greeks is None
    assert update.positions == ()


def test_a_stale_spx_quote_halts_risk_with_its_age() -> None:
    update = run(view((position(),), [quote("SPX", "5000", age_s=75.4), quote("AAPL", "200")])).update
    assert update.status is RiskStatus.HALTED
    assert update.halt_reason == "SPX price stale: 75 s old"


def test_spx_exactly_at_the_max_age_is_still_fresh() -> None:
    update = run(view((position(),), [quote("SPX", "5000", age_s=60)])).update
    assert update.status is RiskStatus.OK


def test_a_missing_vix_leaves_the_regime_unknown_with_a_warning() -> None:
    update = run(view((position(),), [quote("SPX", "5000"), quote("AAPL", "200")])).update
    assert update.regime is None
    assert "VIX price unavailable: regime unknown, base limits apply" in update.warnings


def test_the_regime_picks_its_limits() -> None:
    matrix = MATRIX.model_copy(update={"regime_limits": {"crisis": Limits(max_portfolio_delta=2)}})
    quotes = [quote("SPX", "5000"), quote("AAPL", "200")]
    calm = run(view((position(),), [*quotes, quote("VIX", "14")]), matrix)
    panic = run(view((position(),), [*quotes, quote("VIX", "41")]), matrix)
    assert calm.breached == ()
    (event,) = panic.breached
    assert (event.limit, event.threshold, event.regime) == ("max_portfolio_delta", 2, "crisis")
    assert panic.update.breaches[0].limit == "max_portfolio_delta"


def test_a_breach_while_halted_is_carried_without_events() -> None:
    breached = run(view((position(quantity="2000"),), [quote("SPX", "5000"), quote("AAPL", "200")]))
    assert len(breached.breached) == 1
    halted = run(view((position(),), [quote("AAPL", "200")]), previous=breached.update.breaches)
    assert halted.update.breaches == breached.update.breaches
    assert (halted.breached, halted.cleared) == ((), ())


def test_limits_are_not_checked_outside_the_breach_scope() -> None:
    v = view((position(quantity="2000"),), [quote("SPX", "5000"), quote("AAPL", "200")])
    only_total = MATRIX.model_copy(update={"breach_scope": BreachScope.TOTAL})
    assert run(v, only_total).breached == ()
    assert len(run(combine([v]), only_total).breached) == 1


def test_total_combines_positions_newest_quotes_and_net_liquidation() -> None:
    u1 = view((position(),), [quote("SPX", "5000", age_s=5), quote("AAPL", "200")], "U1")
    u2 = view((position(account="U2", quantity="-40"),), [quote("SPX", "5010", age_s=1)], "U2")
    missing = AccountView("U3", (), None, {}, None, ("U3",))
    total = combine([u1, u2, missing])
    assert total.account == "total"
    assert total.accounts == ("U1", "U2", "U3")
    assert len(total.positions) == 2
    assert total.quotes["SPX"].last == Decimal("5010")
    assert total.net_liquidation == Decimal("200000")
    assert total.warnings == ("net liquidation leaves out U3: no balances yet",)
    update = run(total).update
    assert update.greeks is not None
    assert update.greeks.spx_delta == pytest.approx(60 * 1.25 * 200 / 5010)


def test_only_non_economic_underlyings_need_a_beta_source() -> None:
    es = position(symbol="/ESZ6", underlying="/ES", instrument="FUT", multiplier="50")
    assert beta_keys([position(), es, position(symbol="KO", underlying="KO")]) == {"AAPL", "KO"}
