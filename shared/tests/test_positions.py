from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.positions import LINEAR_GREEKS, Greeks, Position


def stock(**overrides: object) -> Position:
    data: dict[str, object] = {
        "account": "U1",
        "symbol": "AAPL",
        "underlying": "AAPL",
        "instrument": "STK",
        "quantity": "100",
        "multiplier": "1",
    }
    data.update(overrides)
    return Position.model_validate(data)


def spx_put(**overrides: object) -> Position:
    data: dict[str, object] = {
        "account": "U1",
        "symbol": "SPXW  261218P05600000",
        "underlying": "SPX",
        "instrument": "OPT",
        "quantity": "-2",
        "multiplier": "100",
        "right": "P",
        "strike": "5600",
        "expiry": "2026-12-18",
        "greeks": {"delta": -0.15, "gamma": 0.001, "theta": -1.2, "vega": 5.0},
        "underlying_price": 6000.0,
    }
    data.update(overrides)
    return Position.model_validate(data)


@pytest.mark.parametrize("multiplier", [0, "0", None, -1])
@pytest.mark.parametrize("instrument", ["STK", "ETF"])
def test_a_missing_or_zero_share_multiplier_becomes_one(instrument: str, multiplier: object) -> None:
    assert stock(instrument=instrument, multiplier=multiplier).multiplier == Decimal(1)


@pytest.mark.parametrize("multiplier", [0, None])
def test_an_option_without_a_multiplier_is_refused(multiplier: object) -> None:
    with pytest.raises(ValidationError, match="multiplier"):
        spx_put(multiplier=multiplier)


def test_shares_and_futures_have_delta_one() -> None:
    assert stock().greeks == LINEAR_GREEKS
    future = stock(symbol="/ESZ6", underlying="/ES", instrument="FUT", multiplier="50")
    assert future.greeks == Greeks(delta=1.0)


def test_an_option_needs_right_strike_and_expiry() -> None:
    with pytest.raises(ValidationError, match="needs right, strike and expiry"):
        spx_put(strike=None)


def test_a_stock_cannot_carry_option_fields() -> None:
    with pytest.raises(ValidationError, match="cannot have right"):
        stock(right="C")


def test_underlying_price_is_never_the_strike_but_none_when_unknown() -> None:
    assert spx_put(underlying_price=None).underlying_price is None


@pytest.mark.parametrize("price", [0.0, -1.0, float("nan"), float("inf")])
def test_a_nonsense_underlying_price_is_refused(price: float) -> None:
    with pytest.raises(ValidationError, match="underlying_price"):
        spx_put(underlying_price=price)


def test_non_finite_greeks_are_refused() -> None:
    with pytest.raises(ValidationError, match="finite"):
        Greeks(delta=float("nan"))


def test_positions_are_frozen_and_strict() -> None:
    position = spx_put()
    with pytest.raises(ValidationError):
        position.quantity = Decimal(1)  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        spx_put(colour="red")


def test_description_names_the_contract() -> None:
    assert spx_put().description == "SPXW 2026-12-18 5600 P"
    assert stock().description == "AAPL"
    assert spx_put().expiry == date(2026, 12, 18)
    assert spx_put().instrument is InstrumentType.OPT


def test_a_position_round_trips_through_json_with_exact_money() -> None:
    position = spx_put(average_cost="12.35", mark="10.1")
    again = Position.model_validate_json(position.model_dump_json())
    assert again == position
    assert again.average_cost == Decimal("12.35")
