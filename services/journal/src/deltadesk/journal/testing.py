"""For tests of the journal and of its clients: orders, fills and order events built the way
execution publishes them, risk and balance updates as risk and market-data publish them, and a
ticker a test moves by hand so the snapshot logger runs exactly when told.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from deltadesk.shared.balances import Balances
from deltadesk.shared.events import BalancesReported, FillReceived, OrderStateChanged, RiskUpdated
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import (
    Action,
    Contract,
    LegFill,
    Order,
    OrderLeg,
    OrderState,
    OrderType,
    TimeInForce,
)
from deltadesk.shared.portfolio import PortfolioGreeks, RiskStatus

EXPIRY = date(2026, 12, 18)


def option(
    underlying: str,
    right: Right,
    strike: str | int,
    expiry: date = EXPIRY,
    *,
    root: str | None = None,
    instrument: InstrumentType = InstrumentType.OPT,
    multiplier: int = 100,
) -> Contract:
    price = Decimal(str(strike))
    tag = root or underlying
    return Contract(
        symbol=f"{tag} {expiry:%y%m%d}{right.value}{int(price * 1000):08d}",
        underlying=underlying,
        instrument=instrument,
        multiplier=Decimal(multiplier),
        expiry=expiry,
        strike=price,
        right=right,
        trading_class=root,
    )


def share(symbol: str, instrument: InstrumentType = InstrumentType.STK) -> Contract:
    return Contract(symbol=symbol, underlying=symbol, instrument=instrument, multiplier=Decimal(1))


def future(root: str, expiry: date = EXPIRY, multiplier: int = 50) -> Contract:
    return Contract(
        symbol=f"{root}Z6" if expiry == EXPIRY else f"{root}{expiry:%y%m}",
        underlying=root,
        instrument=InstrumentType.FUT,
        multiplier=Decimal(multiplier),
        expiry=expiry,
    )


def leg(action: Action, quantity: int, contract: Contract) -> OrderLeg:
    return OrderLeg(action=action, quantity=quantity, contract=contract)


def make_order(
    *legs: OrderLeg,
    account: str = "PAPER",
    broker: str = "paper",
    created_at: datetime,
    rationale: str = "",
    suggestion_id: UUID | None = None,
    limit_price: str = "-1.00",
) -> Order:
    return Order(
        order_id=uuid4(),
        account=account,
        broker=broker,
        legs=legs,
        order_type=OrderType.LIMIT,
        limit_price=Decimal(limit_price),
        tif=TimeInForce.DAY,
        rationale=rationale,
        suggestion_id=suggestion_id,
        created_at=created_at,
    )


def greeks(
    spx_delta: float, gamma: float = -1.5, theta: float = 120.0, vega: float = -300.0
) -> PortfolioGreeks:
    return PortfolioGreeks(spx_delta=spx_delta, gamma=gamma, theta=theta, vega=vega)


def make_fill(
    order: Order,
    *,
    filled_at: datetime,
    fill_id: str = "F1",
    broker_order_id: str = "B1",
    combos: int | None = None,
    state: OrderState = OrderState.FILLED,
    prices: tuple[str, ...] | None = None,
    commission: str | None = "2.60",
    strategy_tag: str | None = None,
    rationale: str | None = None,
    ai_rationale: str | None = "Hedge the delta, keep the theta.",
    suggestion_id: UUID | None = None,
    vix: float | None = 17.5,
    spx_price: float | None = 6010.25,
    regime: str | None = "normal",
) -> FillReceived:
    """A fill of `combos` combos (all of the order by default) at per-unit leg `prices` (1.00 each
    by default), with every context field populated."""
    quantity = order.combo_quantity if combos is None else combos
    unit_prices = [Decimal(p) for p in prices] if prices is not None else [Decimal("1.00")] * len(order.legs)
    legs = tuple(
        LegFill(
            symbol=item.contract.symbol,
            action=item.action,
            quantity=Decimal(quantity * abs(order.ratio(item))),
            ordered=Decimal(item.quantity),
            price=price,
        )
        for item, price in zip(order.legs, unit_prices, strict=True)
    )
    per_combo = sum(
        (
            Decimal(order.ratio(item)) * price * item.contract.multiplier
            for item, price in zip(order.legs, unit_prices, strict=True)
        ),
        Decimal(0),
    )
    return FillReceived(
        event_id=uuid4(),
        occurred_at=filled_at,
        account=order.account,
        broker=order.broker,
        order_id=order.order_id,
        broker_order_id=broker_order_id,
        fill_id=fill_id,
        order_state=state,
        order=order,
        legs=legs,
        quantity=Decimal(quantity),
        net_price=per_combo / order.legs[0].contract.multiplier,
        net_debit_credit=per_combo * quantity,
        commission=Decimal(commission) if commission is not None else None,
        filled_at=filled_at,
        underlying=order.legs[0].contract.underlying,
        strategy_tag=strategy_tag,
        rationale=order.rationale if rationale is None else rationale,
        suggestion_id=suggestion_id,
        ai_rationale=ai_rationale,
        pre_trade=greeks(-42.5),
        post_trade=greeks(-12.25, theta=180.0),
        vix=vix,
        spx_price=spx_price,
        regime=regime,
    )


def order_event(
    order: Order,
    state: OrderState,
    at: datetime,
    *,
    previous: OrderState | None = None,
    broker_order_id: str | None = "B1",
) -> OrderStateChanged:
    return OrderStateChanged(
        event_id=uuid4(),
        occurred_at=at,
        account=order.account,
        order=order,
        state=state,
        previous_state=previous,
        broker_order_id=broker_order_id,
    )


def risk_update(
    account: str,
    at: datetime,
    portfolio: PortfolioGreeks | None,
    *,
    net_liquidation: str | None = "500000.00",
    accounts: tuple[str, ...] = (),
    vix: float | None = 16.0,
    spx_price: float | None = 6000.0,
    regime: str | None = "normal",
) -> RiskUpdated:
    """An ok update with these Greeks, or a halted one (no Greeks, SPX unavailable) for None."""
    halted = portfolio is None
    return RiskUpdated(
        event_id=uuid4(),
        occurred_at=at,
        account=account,
        status=RiskStatus.HALTED if halted else RiskStatus.OK,
        halt_reason="SPX price unavailable" if halted else None,
        greeks=portfolio,
        positions=(),
        spx_price=None if halted else spx_price,
        vix=vix,
        regime=regime,
        net_liquidation=Decimal(net_liquidation) if net_liquidation is not None else None,
        positions_as_of=at,
        accounts=accounts or (account,),
    )


def balances_reported(
    account: str,
    at: datetime,
    *,
    net_liquidation: str = "500000.00",
    cash: str = "250000.00",
    broker: str = "paper",
) -> BalancesReported:
    return BalancesReported(
        event_id=uuid4(),
        occurred_at=at,
        account=account,
        broker=broker,
        balances=Balances(
            account=account,
            net_liquidation=Decimal(net_liquidation),
            cash=Decimal(cash),
            maintenance_margin=Decimal("100000"),
            as_of=at,
        ),
    )


class ManualTicker:
    """The snapshot logger's time, moved by the test: `wait_until` returns once `set` reaches it.
    `waiting` is the instant the logger waits for (None while it is busy)."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self.waiting: datetime | None = None
        self._changed = asyncio.Event()

    def now(self) -> datetime:
        return self.current

    def set(self, instant: datetime) -> None:
        self.current = instant
        self._changed.set()

    async def wait_until(self, instant: datetime, stop: asyncio.Event) -> None:
        self.waiting = instant
        try:
            while self.current < instant and not stop.is_set():
                self._changed.clear()
                waits = {asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(stop.wait())}
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in waits:
                        task.cancel()
                    await asyncio.gather(*waits, return_exceptions=True)
        finally:
            self.waiting = None
