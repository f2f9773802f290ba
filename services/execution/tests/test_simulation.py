"""An order's legs as the positions risk's what-if adds, and the stored simulation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from deltadesk.execution.domain.simulation import LegNotPriced, build_simulation, leg_positions
from deltadesk.execution.testing import FLAT
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Contract,
    ContractQuote,
    Order,
    OrderLeg,
    OrderType,
    TimeInForce,
    WhatIf,
    order_hash,
)
from deltadesk.shared.positions import Greeks
from deltadesk.shared.simulation import RiskWhatIf

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PUT = Contract(
    symbol="SPY   261218P00580000",
    underlying="SPY",
    instrument=InstrumentType.OPT,
    multiplier=Decimal(100),
    expiry=date(2026, 12, 18),
    strike=Decimal(580),
    right=Right.PUT,
    broker_id="123",
)
MES = Contract(
    symbol="/MESZ6",
    underlying="/MES",
    instrument=InstrumentType.FUT,
    multiplier=Decimal(5),
    expiry=date(2026, 12, 18),
)


def order(*legs: tuple[Action, int, Contract]) -> Order:
    return Order(
        order_id=uuid4(),
        account="PAPER",
        broker="paper",
        legs=tuple(OrderLeg(action=a, quantity=q, contract=c) for a, q, c in legs),
        order_type=OrderType.MARKET,
        limit_price=None,
        tif=TimeInForce.DAY,
        created_at=NOW,
    )


def quote(contract: Contract, **kw: object) -> ContractQuote:
    fields: dict[str, object] = {
        "contract": contract,
        "bid": Decimal("2.30"),
        "ask": Decimal("2.50"),
        "as_of": NOW,
    }
    fields.update(kw)
    return ContractQuote.model_validate(fields)


def test_a_short_put_leg_is_a_negative_position_with_the_brokers_greeks() -> None:
    greeks = Greeks(delta=-0.3, gamma=0.01, theta=0.05, vega=0.4)
    (position,) = leg_positions(
        order((Action.SELL, 2, PUT)), [quote(PUT, greeks=greeks, underlying_price=600.0, iv=0.18)]
    )
    assert position.quantity == -2
    assert position.multiplier == 100
    assert position.greeks == greeks
    assert position.underlying_price == 600.0
    assert position.mark == Decimal("2.40")
    assert position.contract_id == "123"
    assert (position.right, position.strike, position.expiry) == (Right.PUT, Decimal(580), date(2026, 12, 18))


def test_a_future_leg_is_its_own_underlying_with_delta_one() -> None:
    (position,) = leg_positions(
        order((Action.BUY, 1, MES)), [quote(MES, bid=Decimal("6000.00"), ask=Decimal("6000.50"))]
    )
    assert position.underlying_price == 6000.25
    assert position.greeks is not None
    assert position.greeks.delta == 1.0
    assert position.expiry is None  # a position's expiry belongs to options only


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"greeks": None, "underlying_price": 600.0}, "Greeks"),
        ({"greeks": Greeks(delta=-0.3)}, "underlying price"),
    ],
)
def test_an_option_leg_without_greeks_or_underlying_price_makes_no_simulation(
    changes: dict[str, object], missing: str
) -> None:
    with pytest.raises(LegNotPriced, match=f"leg 1 .*{missing}"):
        leg_positions(order((Action.SELL, 1, PUT)), [quote(PUT, **changes)])


def test_a_future_without_any_price_makes_no_simulation() -> None:
    with pytest.raises(LegNotPriced, match="no price"):
        leg_positions(order((Action.BUY, 1, MES)), [quote(MES, bid=None, ask=None)])


def test_quotes_must_match_the_legs() -> None:
    with pytest.raises(LegNotPriced, match="quoted 0"):
        leg_positions(order((Action.BUY, 1, MES)), [])
    with pytest.raises(LegNotPriced, match="instead"):
        leg_positions(
            order((Action.BUY, 1, MES)), [quote(PUT, greeks=Greeks(delta=-0.3), underlying_price=600.0)]
        )


def test_a_simulation_carries_the_orders_hash_and_expires() -> None:
    o = order((Action.BUY, 1, MES))
    risk = RiskWhatIf(
        account="PAPER",
        pre_trade=FLAT,
        post_trade=FLAT,
        order=FLAT,
        checks=(),
        spx_price=6000.0,
        vix=15.0,
        regime="normal",
    )
    simulation = build_simulation(
        o, WhatIf(), risk, simulation_id=uuid4(), now=NOW, validity=timedelta(minutes=5)
    )
    assert simulation.order_hash == order_hash(o)
    assert simulation.expires_at == NOW + timedelta(minutes=5)
