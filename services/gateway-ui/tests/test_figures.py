from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.domain.figures import MISSING, age, clock_time, fixed, money, quantity, signed


def test_signed_delta_has_a_sign_one_decimal_and_grouping() -> None:
    assert signed(1234.56) == "+1,234.6"
    assert signed(-45.66) == "-45.7"
    assert signed(3.0) == "+3.0"


def test_a_delta_that_rounds_to_zero_shows_no_sign() -> None:
    assert signed(-0.04) == "0.0"
    assert signed(0.0) == "0.0"
    assert signed(-0.0) == "0.0"


def test_rounding_is_half_away_from_zero_on_the_shortest_decimal_like_the_browser() -> None:
    assert signed(0.25, 1) == "+0.3"
    assert signed(-0.25, 1) == "-0.3"
    assert fixed(2.5, 0) == "3"
    # Chromium's Intl gives these (checked in the browser test): the float's repr, not its binary value.
    assert signed(1.15, 1) == "+1.2"
    assert fixed(-1.005, 2) == "-1.01"


def test_missing_or_non_finite_values_show_a_dash() -> None:
    assert signed(None) == MISSING
    assert signed(float("nan")) == MISSING
    assert fixed(float("inf")) == MISSING
    assert money(None) == MISSING


def test_fixed_never_shows_negative_zero() -> None:
    assert fixed(-0.001, 2) == "0.00"
    assert fixed(-0.0, 2) == "0.00"


def test_money_puts_the_sign_before_the_dollar() -> None:
    assert money(Decimal("1284512.37")) == "$1,284,512"
    assert money(Decimal("-1234.5")) == "-$1,235"
    assert money(Decimal("12.345"), places=2) == "$12.35"


def test_quantity_is_shown_exactly_without_trailing_zeros() -> None:
    assert quantity(Decimal("-2")) == "-2"
    assert quantity(Decimal("100.000")) == "100"
    assert quantity(Decimal("0.50")) == "0.5"
    assert quantity(Decimal("-0")) == "0"


def test_clock_time_is_utc_whatever_the_zone_it_came_in() -> None:
    eastern = timezone(timedelta(hours=-4))
    assert clock_time(datetime(2026, 3, 18, 10, 30, 5, tzinfo=eastern)) == "14:30:05 UTC"
    assert clock_time(None) == MISSING


def test_age_reads_in_seconds_then_minutes_then_hours() -> None:
    assert age(12.9) == "12 s"
    assert age(150) == "2 min"
    assert age(3 * 3600 + 5) == "3 h"
    assert age(-3) == "0 s"
    assert age(None) == MISSING


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), st.integers(0, 4))
def test_signed_reads_back_as_the_value_rounded_half_away_from_zero(value: float, places: int) -> None:
    text = signed(value, places)
    expected = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert Decimal(text.replace(",", "")) == expected
    assert text.startswith("+") == (expected > 0)
    assert text.startswith("-") == (expected < 0)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_formats_without_error(value: float) -> None:
    for text in (signed(value), fixed(value), money(value)):
        assert text != MISSING
        if set(text.lstrip("+-$")) <= set("0.,"):  # it rounds to zero: no sign
            assert not text.startswith(("+", "-"))


def test_clock_time_accepts_any_aware_datetime() -> None:
    assert clock_time(datetime(2026, 1, 1, tzinfo=UTC)) == "00:00:00 UTC"
