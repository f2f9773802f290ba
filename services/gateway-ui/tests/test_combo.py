"""Natural and mid prices of a combo, per combo unit: + debit, − credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.domain.combo import PricedLeg, combo_prices, combo_quantity
from deltadesk.shared.orders import Action

BUY, SELL = Action.BUY, Action.SELL


def leg(action: Action, quantity: int, bid: str | None, ask: str | None) -> PricedLeg:
    return PricedLeg(
        action, quantity, None if bid is None else Decimal(bid), None if ask is None else Decimal(ask)
    )


def iron_condor(quantity: int = 1) -> list[PricedLeg]:
    return [
        leg(BUY, quantity, "7.90", "8.30"),  # long 5500 put
        leg(SELL, quantity, "12.20", "12.60"),  # short 5600 put
        leg(SELL, quantity, "9.60", "10.00"),  # short 6400 call
        leg(BUY, quantity, "5.00", "5.40"),  # long 6500 call
    ]


def test_a_short_iron_condor_is_a_credit_at_mid_and_a_smaller_credit_at_natural() -> None:
    prices = combo_prices(iron_condor())
    assert prices.ratios == (1, -1, -1, 1)
    assert prices.mid == Decimal("-8.90")  # 8.10 − 12.40 − 9.80 + 5.20
    assert prices.natural == Decimal("-8.10")  # 8.30 − 12.20 − 9.60 + 5.40: buys at ask, sells at bid
    assert prices.is_credit is True


def test_two_condors_price_as_one_combo_unit() -> None:
    prices = combo_prices(iron_condor(2))
    assert prices.combo_quantity == 2
    assert prices.ratios == (1, -1, -1, 1)
    assert prices.mid == combo_prices(iron_condor(1)).mid


def test_a_ratio_spread_keeps_its_ratio() -> None:
    prices = combo_prices([leg(BUY, 2, "1.00", "1.20"), leg(SELL, 4, "0.40", "0.50")])
    assert (prices.combo_quantity, prices.ratios) == (2, (1, -2))
    assert prices.natural == Decimal("0.40")  # 1.20 − 2 × 0.40
    assert prices.mid == Decimal("0.20")  # 1.10 − 2 × 0.45


def test_a_single_bought_leg_is_a_debit_at_its_ask() -> None:
    prices = combo_prices([leg(BUY, 3, "4.10", "4.30")])
    assert (prices.natural, prices.mid, prices.is_credit) == (Decimal("4.30"), Decimal("4.20"), False)


@pytest.mark.parametrize(
    ("bid", "ask", "natural"),
    [
        (None, "1.00", None),  # a sold leg crosses at its bid: without one there is no natural price
        ("1.00", None, Decimal("1.00")),  # 2.00 − 1.00; the mid needs both sides
        ("-1", "1.00", None),  # −1: a broker's "no quote"
        ("1.20", "1.00", Decimal("0.80")),  # crossed: still a bid to sell at, but no mid
    ],
)
def test_a_missing_or_unusable_quote_leaves_only_what_can_be_priced(
    bid: str | None, ask: str | None, natural: Decimal | None
) -> None:
    prices = combo_prices([leg(BUY, 1, "1.90", "2.00"), leg(SELL, 1, bid, ask)])
    assert prices.natural == natural
    assert prices.mid is None


def test_an_empty_or_non_positive_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="positive quantity"):
        combo_quantity([])
    with pytest.raises(ValueError, match="positive quantity"):
        combo_quantity([1, 0])


prices_st = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("500"), places=2)
legs_st = st.lists(
    st.builds(
        lambda action, qty, bid, spread: PricedLeg(action, qty, bid, bid + spread),
        st.sampled_from(Action),
        st.integers(1, 20),
        prices_st,
        st.decimals(min_value=Decimal("0"), max_value=Decimal("5"), places=2),
    ),
    min_size=1,
    max_size=4,
)


@given(legs_st)
def test_natural_never_beats_mid(legs: list[PricedLeg]) -> None:
    """Crossing the spread costs at least the mid: natural ≥ mid (a bigger debit, a smaller credit)."""
    prices = combo_prices(legs)
    assert prices.natural is not None
    assert prices.mid is not None
    assert prices.natural >= prices.mid


@given(legs_st)
def test_flipping_every_side_negates_the_mid(legs: list[PricedLeg]) -> None:
    flipped = [PricedLeg(BUY if x.action is SELL else SELL, x.quantity, x.bid, x.ask) for x in legs]
    assert combo_prices(flipped).mid == -combo_prices(legs).mid  # type: ignore[operator]
