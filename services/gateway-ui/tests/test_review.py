"""The review's reading of a simulation: margin, Greeks, and which breaches turn which Greek red."""

from __future__ import annotations

from typing import Any

import pytest

from deltadesk.gateway.domain.review import greek_of_limit, simulation_result


@pytest.mark.parametrize(
    ("limit", "greek"),
    [
        ("max_portfolio_delta", "delta"),
        ("min_gamma", "gamma"),
        ("min_theta", "theta"),
        ("min_vega", "vega"),
        ("max_notional", None),
        ("deltoid", None),
    ],
)
def test_each_limit_names_the_greek_it_bounds(limit: str, greek: str | None) -> None:
    assert greek_of_limit(limit) == greek


def test_a_delta_breach_marks_the_post_trade_delta(tickets: Any) -> None:
    order = tickets.resolve(tickets.iron_condor())
    result = simulation_result(tickets.simulate(order, post_delta=-341.5, limit=300.0))
    assert [b.limit for b in result.breaches] == ["max_portfolio_delta"]
    assert result.breached_greeks == ("delta",)
    assert result.post_trade.spx_delta == -341.5
    assert len(result.checks) == 2


def test_a_simulation_within_limits_marks_nothing(tickets: Any) -> None:
    simulation = tickets.simulate(tickets.resolve(tickets.iron_condor()))
    result = simulation_result(simulation)
    assert (result.breaches, result.breached_greeks) == ((), ())
    assert result.margin == simulation.whatif
    assert (result.simulation_id, result.order_hash, result.expires_at) == (
        simulation.simulation_id,
        simulation.order_hash,
        simulation.expires_at,
    )
