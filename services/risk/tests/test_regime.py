import math

import pytest
from pydantic import ValidationError

from deltadesk.risk.domain.regime import RegimeBand, VixRegimes, classify_vix
from deltadesk.shared.errors import InvalidMarketData

REGIMES = VixRegimes(
    bands=(
        RegimeBand(name="low", below=15),
        RegimeBand(name="normal", below=20),
        RegimeBand(name="elevated", below=30),
        RegimeBand(name="crisis"),
    )
)


@pytest.mark.parametrize(
    ("vix", "regime"),
    [
        (9.0, "low"),
        (14.99, "low"),
        (15.0, "normal"),  # a bound belongs to the regime above it: low < 15 ≤ normal
        (19.99, "normal"),
        (20.0, "elevated"),
        (29.99, "elevated"),
        (30.0, "crisis"),
        (82.7, "crisis"),
    ],
)
def test_vix_is_classified_by_its_band_with_lower_bounds_inclusive(vix: float, regime: str) -> None:
    assert classify_vix(vix, REGIMES) == regime


@pytest.mark.parametrize("vix", [0.0, -1.0, math.nan, math.inf])
def test_a_vix_that_cannot_be_a_level_is_invalid(vix: float) -> None:
    with pytest.raises(InvalidMarketData, match="VIX"):
        classify_vix(vix, REGIMES)


def test_bands_must_ascend() -> None:
    with pytest.raises(ValidationError, match="ascend"):
        VixRegimes(
            bands=(RegimeBand(name="a", below=20), RegimeBand(name="b", below=15), RegimeBand(name="c"))
        )


def test_only_the_last_band_is_open_ended() -> None:
    with pytest.raises(ValidationError, match="last"):
        VixRegimes(bands=(RegimeBand(name="a"), RegimeBand(name="b", below=15)))
    with pytest.raises(ValidationError, match="last"):
        VixRegimes(bands=(RegimeBand(name="a", below=15),))


def test_band_names_are_unique() -> None:
    with pytest.raises(ValidationError, match="twice"):
        VixRegimes(bands=(RegimeBand(name="a", below=15), RegimeBand(name="a")))


def test_a_single_open_band_classifies_everything() -> None:
    assert classify_vix(12.0, VixRegimes(bands=(RegimeBand(name="any"),))) == "any"
