"""The order builder's lookups, against a hand-written fake broker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from deltadesk.brokers.accounts import BrokerAccount
from deltadesk.market_data.order_builder import OrderBuilderDesk
from deltadesk.shared.commands import GetOptionChain, ListOptionExpiries, QuoteLegs
from deltadesk.shared.errors import BrokerRejected, BrokerUnavailable, DomainError
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import Action, ChainRow, Contract, ContractQuote, LegSpec, OptionChain

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
EXPIRY = date(2026, 12, 18)


class FakeBroker:
    """Resolves SPY puts and AAPL shares; anything else is unknown. Counts what it is asked."""

    name = "fake"

    def __init__(self) -> None:
        self.resolved = 0
        self.expiry_calls = 0
        self.down = False
        self.slow = False

    async def resolve(self, leg: LegSpec) -> Contract:
        self.resolved += 1
        if leg.underlying == "SPY" and leg.instrument is InstrumentType.OPT:
            return Contract(
                symbol="SPY   261218P00580000",
                underlying="SPY",
                instrument=InstrumentType.OPT,
                multiplier=Decimal(100),
                expiry=leg.expiry,
                strike=leg.strike,
                right=leg.right,
            )
        if leg.underlying == "AAPL":
            return Contract(
                symbol="AAPL", underlying="AAPL", instrument=InstrumentType.STK, multiplier=Decimal(1)
            )
        raise BrokerRejected(f"no contract for {leg.underlying}")

    async def contract_quotes(self, contracts: Sequence[Contract]) -> list[ContractQuote]:
        if self.down:
            raise BrokerUnavailable("venue is closed")
        return [
            ContractQuote(contract=c, bid=Decimal("1.00"), ask=Decimal("1.10"), as_of=NOW)
            for c in contracts
            if c.symbol != "AAPL"
        ]

    async def expiries(self, underlying: str, instrument: InstrumentType) -> list[date]:
        self.expiry_calls += 1
        if self.slow:
            await asyncio.sleep(10)
        return [EXPIRY, date(2027, 1, 15)]

    async def chain(self, underlying: str, expiry: date, instrument: InstrumentType) -> OptionChain:
        return OptionChain(
            underlying=underlying,
            instrument=instrument,
            expiry=expiry,
            underlying_price=600.0,
            rows=(ChainRow(strike=Decimal(580)),),
            as_of=NOW,
        )


def desk(broker: FakeBroker, timeout: float = 1.0) -> OrderBuilderDesk:
    return OrderBuilderDesk({"A": BrokerAccount("A", broker)}, timeout_s=timeout)  # type: ignore[arg-type]


SPY_PUT = LegSpec(
    action=Action.SELL,
    instrument=InstrumentType.OPT,
    underlying="SPY",
    quantity=1,
    expiry=EXPIRY,
    strike=Decimal(580),
    right="P",
)
AAPL = LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="AAPL", quantity=100)
UNKNOWN = LegSpec(action=Action.BUY, instrument=InstrumentType.STK, underlying="ZZZZ", quantity=1)


async def test_each_leg_gets_its_quote_or_its_reason_in_order() -> None:
    reply = await desk(FakeBroker()).quote_legs(QuoteLegs(account="A", legs=(SPY_PUT, UNKNOWN, AAPL)))
    assert reply.quotes[0] is not None
    assert reply.quotes[0].bid == Decimal("1.00")
    assert reply.quotes[1] is None
    assert "no contract for ZZZZ" in (reply.errors[1] or "")
    assert reply.quotes[2] is None
    assert reply.errors[2] == "no quote"
    assert reply.errors[0] is None


async def test_resolved_contracts_are_cached_between_refreshes() -> None:
    broker = FakeBroker()
    lookups = desk(broker)
    for _ in range(5):
        await lookups.quote_legs(QuoteLegs(account="A", legs=(SPY_PUT,)))
    assert broker.resolved == 1


async def test_a_broker_outage_becomes_a_reason_per_leg_not_a_failure() -> None:
    broker = FakeBroker()
    broker.down = True
    reply = await desk(broker).quote_legs(QuoteLegs(account="A", legs=(SPY_PUT,)))
    assert reply.quotes == (None,)
    assert "venue is closed" in (reply.errors[0] or "")


async def test_expiries_are_cached_and_a_slow_broker_times_out() -> None:
    broker = FakeBroker()
    lookups = desk(broker, timeout=0.2)
    request = ListOptionExpiries(account="A", underlying="spy")
    assert (await lookups.expiries(request)).expiries == (EXPIRY, date(2027, 1, 15))
    await lookups.expiries(request)
    assert broker.expiry_calls == 1
    broker.slow = True
    with pytest.raises(BrokerUnavailable, match="did not answer"):
        await lookups.expiries(ListOptionExpiries(account="A", underlying="QQQ"))


async def test_unknown_accounts_and_non_option_chains_are_refused() -> None:
    lookups = desk(FakeBroker())
    with pytest.raises(DomainError, match="not served"):
        await lookups.chain(GetOptionChain(account="B", underlying="SPY", expiry=EXPIRY))
    with pytest.raises(DomainError, match="instrument"):
        await lookups.chain(GetOptionChain(account="A", underlying="SPY", expiry=EXPIRY, instrument="STK"))
    chain = await lookups.chain(GetOptionChain(account="A", underlying="spy", expiry=EXPIRY))
    assert chain.chain.underlying == "SPY"
