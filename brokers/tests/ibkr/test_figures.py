"""IBKR's display strings read into numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.brokers.ibkr.figures import parse_amount, parse_field, parse_price, parse_volatility


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,977.60 USD (10 Shares)", Decimal("1977.60")),
        ("1 USD", Decimal("1")),
        ("215,415,594", Decimal("215415594")),
        ("-1", Decimal("-1")),
        ("-1,234.5", Decimal("-1234.5")),
        ('590""', Decimal("590")),
        ("0.65 ... 1.30 USD", Decimal("1.30")),
        ("(1,234)", Decimal("-1234")),
        ("12.50 USD (EUR 11.20)", Decimal("12.50")),
        (652, Decimal("652")),
    ],
)
def test_whatif_amounts(text: object, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", [None, "", "N/A", "USD", "1 2", "1,2"])
def test_what_is_not_one_number_is_none(text: object) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("168.42", Decimal("168.42")),
        ("C168.42", Decimal("168.42")),
        ("H12.10", Decimal("12.10")),
        ("1,300", Decimal("1300")),
        ("1.2K", Decimal("1200.0")),
        ("3M", Decimal("3000000")),
    ],
)
def test_snapshot_fields(text: str, expected: Decimal) -> None:
    assert parse_field(text) == expected


def test_a_price_of_minus_one_is_no_quote() -> None:
    assert parse_price("-1") is None
    assert parse_price("0.05") == Decimal("0.05")


@pytest.mark.parametrize(
    ("text", "expected"), [("16.2%", 0.162), ("16.2", 0.162), ("0.162", 0.162), ("250%", 2.5), ("", None)]
)
def test_implied_volatility_is_a_fraction(text: str, expected: float | None) -> None:
    value = parse_volatility(text)
    assert value == pytest.approx(expected) if expected is not None else value is None


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False),
    st.sampled_from(["", " USD", " USD (3 Shares)", " EUR"]),
)
def test_any_formatted_amount_reads_back(value: Decimal, suffix: str) -> None:
    assert parse_amount(f"{value:,.2f}{suffix}") == value
