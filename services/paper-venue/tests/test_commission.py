"""The commission model: per contract for options and futures, per share with a minimum and a cap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.commission import CommissionRates, commission
from deltadesk.paper_venue.domain.contracts import Contract, future, future_option, listed_option, share
from deltadesk.shared.instruments import InstrumentType, Right

RATES = CommissionRates()
EXPIRY = date(2026, 12, 18)
ES = future("/ES", "/ESZ6", Decimal(50), EXPIRY)
MES = future("/MES", "/MESZ6", Decimal(5), EXPIRY)


@pytest.mark.parametrize(
    ("contract", "quantity", "price", "expected"),
    [
        (listed_option("AAPL", "AAPL", EXPIRY, Right.CALL, Decimal(240)), -3, "2.10", "1.95"),
        (listed_option("SPY", "SPY", EXPIRY, Right.PUT, Decimal(580)), 10, "1.00", "6.50"),
        (listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5600)), -2, "12.40", "2.50"),
        (listed_option("SPX", "SPX", EXPIRY, Right.PUT, Decimal(5600)), 1, "12.40", "1.60"),  # 1.00 + 0.60
        (listed_option("AAPL", "AAPL", EXPIRY, Right.CALL, Decimal(240)), 1, "2.10", "1.00"),  # the minimum
        (ES, -1, "6010.25", "2.25"),
        (MES, 2, "6010.25", "1.24"),
        (future_option(ES, EXPIRY, Right.PUT, Decimal(5700)), -1, "20.25", "2.25"),
    ],
)
def test_options_and_futures_pay_per_contract(
    contract: Contract, quantity: int, price: str, expected: str
) -> None:
    assert commission(contract, Decimal(quantity), Decimal(price), RATES) == Decimal(expected)


def test_shares_pay_half_a_cent_a_share_with_a_dollar_minimum() -> None:
    aapl = share("AAPL")
    assert commission(aapl, Decimal(1000), Decimal("230"), RATES) == Decimal("5.00")
    assert commission(aapl, Decimal(-100), Decimal("230"), RATES) == Decimal("1.00")  # 0.50 → minimum
    assert commission(aapl, Decimal(333), Decimal("230"), RATES) == Decimal("1.67")  # 1.665 half-up


def test_a_tiny_share_trade_pays_at_most_one_percent_of_its_value() -> None:
    penny = share("KO", InstrumentType.STK)
    assert commission(penny, Decimal(10), Decimal("5"), RATES) == Decimal("0.50")


def test_an_unlisted_futures_root_pays_the_default_rate() -> None:
    nq = future("/NQ", "/NQZ6", Decimal(20), EXPIRY)
    assert commission(nq, Decimal(3), Decimal("21000"), RATES) == Decimal("6.75")


def test_rates_are_configurable_and_nothing_costs_nothing() -> None:
    cheap = CommissionRates(
        option_per_contract=Decimal("0.25"), option_minimum=Decimal(0), index_option_fee=Decimal(0)
    )
    spx = listed_option("SPXW", "SPX", EXPIRY, Right.PUT, Decimal(5600))
    assert commission(spx, Decimal(4), Decimal("1"), cheap) == Decimal("1.00")
    assert commission(spx, Decimal(0), Decimal("1"), RATES) == 0
