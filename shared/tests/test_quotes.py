from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.shared.quotes import Quote

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def q(bid: str | None, ask: str | None, last: str | None) -> Quote:
    return Quote(
        symbol="SPY",
        bid=None if bid is None else Decimal(bid),
        ask=None if ask is None else Decimal(ask),
        last=None if last is None else Decimal(last),
        as_of=NOW,
    )


def test_price_is_the_mid_of_a_two_sided_market() -> None:
    assert q("600.00", "600.10", "599").price == Decimal("600.05")


@pytest.mark.parametrize(("bid", "ask"), [(None, "1"), ("1", None), ("0", "1"), ("2", "1")])
def test_price_falls_back_to_last_when_the_market_is_not_sane(bid: str | None, ask: str | None) -> None:
    assert q(bid, ask, "1.5").price == Decimal("1.5")


def test_no_price_at_all_is_none() -> None:
    assert q(None, None, None).price is None
    assert q(None, None, "0").price is None


def test_age_is_measured_against_the_given_now() -> None:
    assert q("1", "2", None).age_seconds(NOW + timedelta(seconds=75)) == 75.0


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Quote(symbol="X", as_of=datetime(2026, 1, 1))
