"""The login rate limit: a few free attempts per client, then a doubling wait, forgotten after quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.domain.throttle import LoginThrottle

T0 = datetime(2026, 3, 18, 14, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_first_failures_cost_nothing_then_the_wait_doubles() -> None:
    throttle = LoginThrottle(free_failures=3, base_delay_s=1.0, max_delay_s=60.0)
    waits = [throttle.failed("10.0.0.1", T0) for _ in range(7)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0]


def test_a_client_must_wait_out_its_delay_before_trying_again() -> None:
    throttle = LoginThrottle(free_failures=1, base_delay_s=5.0)
    throttle.failed("a", at(0))
    assert throttle.retry_after("a", at(0)) == 0.0
    throttle.failed("a", at(1))  # the second failure: 5 s
    assert throttle.retry_after("a", at(1)) == 5.0
    assert throttle.retry_after("a", at(4)) == 2.0
    assert throttle.retry_after("a", at(6)) == 0.0


def test_the_wait_is_capped() -> None:
    throttle = LoginThrottle(free_failures=0, base_delay_s=1.0, max_delay_s=30.0)
    for _ in range(20):
        wait = throttle.failed("a", T0)
    assert wait == 30.0


def test_clients_are_throttled_apart() -> None:
    throttle = LoginThrottle(free_failures=0, base_delay_s=10.0)
    throttle.failed("attacker", T0)
    assert throttle.retry_after("attacker", T0) == 10.0
    assert throttle.retry_after("trader", T0) == 0.0


def test_a_success_clears_the_clients_record() -> None:
    throttle = LoginThrottle(free_failures=0, base_delay_s=10.0)
    throttle.failed("a", T0)
    throttle.succeeded("a")
    assert throttle.retry_after("a", T0) == 0.0
    assert throttle.failed("a", T0) == 10.0  # counting starts over


def test_failures_are_forgotten_after_a_quiet_period() -> None:
    throttle = LoginThrottle(free_failures=2, base_delay_s=1.0, forget_after_s=600.0)
    for _ in range(5):
        throttle.failed("a", T0)
    assert throttle.failed("a", at(601)) == 0.0


def test_memory_is_bounded_by_forgetting_the_oldest_clients() -> None:
    throttle = LoginThrottle(free_failures=0, base_delay_s=10.0, max_clients=3)
    for n in range(5):
        throttle.failed(f"c{n}", at(n))
    assert len(throttle) == 3
    assert throttle.retry_after("c0", at(5)) == 0.0
    assert throttle.retry_after("c4", at(5)) > 0.0


@given(st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=30))
def test_the_wait_never_shrinks_while_failures_keep_coming(gaps: list[float]) -> None:
    throttle = LoginThrottle(free_failures=2, base_delay_s=0.5, max_delay_s=120.0, forget_after_s=3600.0)
    now, previous = T0, 0.0
    for gap in gaps:
        now += timedelta(seconds=gap)
        wait = throttle.failed("a", now)
        assert wait >= previous
        previous = wait
