"""The token buckets that keep the adapter out of IBKR's penalty box."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES, Rate, TokenBucket


def test_requests_are_spaced_by_the_rate() -> None:
    bucket = TokenBucket(Rate(per_second=5))
    assert [bucket.reserve(0.0) for _ in range(3)] == pytest.approx([0.0, 0.2, 0.4])


def test_a_burst_lets_that_many_go_at_once() -> None:
    bucket = TokenBucket(Rate(per_second=2, burst=3))
    assert [bucket.reserve(0.0) for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.5])


def test_an_idle_bucket_does_not_save_up_beyond_its_burst() -> None:
    bucket = TokenBucket(Rate(per_second=1))
    bucket.reserve(0.0)
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(100.0) == pytest.approx(1.0)


def test_slow_endpoints_keep_a_margin_over_ibkrs_five_seconds() -> None:
    for path in ("/iserver/account/orders", "/iserver/account/trades", "/portfolio/accounts"):
        assert 1 / ENDPOINT_RATES[path].per_second > 5.0


@given(
    st.floats(min_value=0.5, max_value=10),
    st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=60),
)
def test_no_one_second_window_holds_more_than_rate_plus_one(rate: float, arrivals: list[float]) -> None:
    bucket = TokenBucket(Rate(per_second=rate))
    sent = []
    for now in sorted(arrivals):
        sent.append(now + bucket.reserve(now))
    for start in sent:
        in_window = [t for t in sent if start <= t < start + 1.0]
        assert len(in_window) <= int(rate) + 1
