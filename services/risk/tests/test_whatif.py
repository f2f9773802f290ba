"""Post-trade Greeks: the portfolio, the order alone, and both, weighed like positions."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.risk.domain.assessment import AccountView, latest_quotes
from deltadesk.risk.domain.limits import Limits
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX
from deltadesk.risk.domain.whatif import what_if
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.portfolio import Beta, BetaSource
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MATRIX = DEFAULT_MATRIX.model_copy(update={"limits": Limits(max_portfolio_delta=20, min_theta=0)})
BETAS = {"AAPL": Beta(value=1.2, source=BetaSource.CONFIG, method="manual")}


def quote(symbol: str, price: str, age_s: float = 1.0) -> Quote:
    return Quote(symbol=symbol, last=Decimal(price), as_of=NOW - timedelta(seconds=age_s))


def book_view(*quotes: Quote) -> AccountView:
    shares = Position(
        account="U1",
        symbol="AAPL",
        underlying="AAPL",
        instrument="STK",
        quantity=Decimal(200),
        multiplier=Decimal(1),
    )
    return AccountView(
        "U1",
        (shares,),
        NOW,
        latest_quotes(quotes or (quote("SPX", "6000"), quote("VIX", "16"), quote("AAPL", "250"))),
        Decimal(1),
        ("U1",),
    )


def short_spx_put(quantity: str = "-2") -> Position:
    return Position.model_validate(
        {
            "account": "U1",
            "symbol": "SPXW  261218P05600000",
            "underlying": "SPX",
            "instrument": "OPT",
            "quantity": quantity,
            "multiplier": "100",
            "right": "P",
            "strike": "5600",
            "expiry": date(2026, 12, 18),
            "greeks": {"delta": -0.15, "gamma": 0.001, "theta": -2.0, "vega": 5.0},
            "underlying_price": 6000.0,
        }
    )


def test_post_trade_is_the_portfolio_plus_the_order() -> None:
    result = what_if(book_view(), [short_spx_put()], betas=BETAS, matrix=MATRIX, now=NOW, spx_max_age_s=60)
    assert result.pre_trade.spx_delta == pytest.approx(200 * 1.2 * 250 / 6000)  # 10.0
    assert result.order.spx_delta == pytest.approx(-0.15 * -2 * 100)  # +30: short puts add delta
    assert result.post_trade.spx_delta == pytest.approx(result.pre_trade.spx_delta + result.order.spx_delta)
    assert result.order.theta == pytest.approx(-2.0 * -2 * 100)
    assert result.spx_price == 6000.0
    assert result.regime == "normal"


def test_every_limit_is_checked_on_the_post_trade_greeks() -> None:
    result = what_if(book_view(), [short_spx_put()], betas=BETAS, matrix=MATRIX, now=NOW, spx_max_age_s=60)
    checks = {c.limit: c for c in result.checks}
    assert checks["max_portfolio_delta"].breached  # 40 > 20
    assert checks["max_portfolio_delta"].actual == pytest.approx(40.0)
    assert not checks["min_theta"].breached
    assert [c.limit for c in result.breaches] == ["max_portfolio_delta"]


def test_an_order_that_reduces_delta_does_not_breach_the_delta_limit() -> None:
    result = what_if(book_view(), [short_spx_put("1")], betas=BETAS, matrix=MATRIX, now=NOW, spx_max_age_s=60)
    assert result.post_trade.spx_delta == pytest.approx(10.0 - 15.0)
    assert [c.limit for c in result.breaches] == ["min_theta"]  # a long put pays theta: -200 $/day


def test_no_fresh_spx_price_means_no_post_trade_numbers() -> None:
    stale = book_view(quote("SPX", "6000", age_s=120), quote("AAPL", "250"))
    with pytest.raises(InvalidMarketData, match="SPX price stale"):
        what_if(stale, [short_spx_put()], betas=BETAS, matrix=MATRIX, now=NOW, spx_max_age_s=60)
    missing = book_view(quote("AAPL", "250"))
    with pytest.raises(InvalidMarketData, match="SPX price unavailable"):
        what_if(missing, [short_spx_put()], betas=BETAS, matrix=MATRIX, now=NOW, spx_max_age_s=60)
