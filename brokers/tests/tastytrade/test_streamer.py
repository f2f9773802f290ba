"""The DXLink stream: it reconnects and resubscribes after a drop, subscribes in chunks, lets go of
what nobody wants, and never passes off an old value as a current one."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deltadesk.brokers.tastytrade.adapter import TastytradeBroker
from deltadesk.brokers.tastytrade.fakes.api import Fault
from deltadesk.brokers.tastytrade.fakes.market import OptionTerms
from deltadesk.brokers.tastytrade.fakes.server import FakeTastytrade
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.quotes import Quote
from deltadesk.shared.testing import eventually

pytestmark = pytest.mark.integration
ACCOUNT = "5WT00001"


class MovableClock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current


async def spx_when_streaming(broker: TastytradeBroker) -> list[Quote] | None:
    if not broker.feed.connected:
        return None
    return await broker.quotes(["SPX"])


async def test_a_dropped_stream_reconnects_resubscribes_and_carries_the_new_price(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    (before,) = await broker.quotes(["SPX"])
    assert before.last == Decimal("6000.00")
    await fake.dxlink.drop()
    fake.market.set_price("SPX", Decimal("5950.25"))

    async def moved() -> bool:
        quotes = await spx_when_streaming(broker)
        return bool(quotes) and quotes[0].last == Decimal("5950.25")

    await eventually(moved, timeout=10, what="SPX at its new price after the reconnect")
    assert fake.dxlink.connections_total == 2
    assert fake.dxlink.subscribers("Trade", "SPX") == 1  # resubscribed on the new connection, once
    assert len(fake.api.calls("GET", "/api-quote-tokens")) == 2


async def test_while_the_stream_is_down_quotes_say_so(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    await broker.quotes(["SPX"])
    fake.api.inject(Fault("GET", "/api-quote-tokens", status=503, times=1000))
    await fake.dxlink.drop()
    await eventually(
        lambda: not broker.feed.connected and broker.feed.last_error, what="the stream marked down"
    )
    with pytest.raises(BrokerUnavailable, match="tastytrade market data stream: "):
        await broker.quotes(["SPX"])
    await eventually(lambda: "HTTP 503" in (broker.feed.last_error or ""), what="the reconnect refused")


async def test_old_values_are_not_used_once_the_stream_is_gone(
    fake: FakeTastytrade, open_broker: Callable[..., TastytradeBroker], book: dict[str, OptionTerms]
) -> None:
    clock = MovableClock()
    broker = open_broker(adapter={"clock": clock, "market_data_max_age_s": 60.0})
    (fresh,) = [p for p in await broker.positions(ACCOUNT) if p.symbol == book["spxw"].symbol]
    assert fresh.greeks is not None
    assert fresh.underlying_price is not None
    fake.api.inject(Fault("GET", "/api-quote-tokens", status=503, times=1000))
    await fake.dxlink.drop()
    await eventually(lambda: not broker.feed.connected, what="the stream marked down")
    clock.current += timedelta(seconds=61)
    (stale,) = [p for p in await broker.positions(ACCOUNT) if p.symbol == book["spxw"].symbol]
    assert (stale.greeks, stale.underlying_price, stale.mark) == (None, None, None)


async def test_large_subscriptions_go_in_chunks_dxlink_accepts(
    fake: FakeTastytrade, open_broker: Callable[..., TastytradeBroker], pick: Callable[..., OptionTerms]
) -> None:
    fake.dxlink.max_symbols_per_message = 30
    broker = open_broker(adapter={"symbols_per_subscribe": 25})
    chain = await broker.chain("SPX", pick("SPXW", Right.PUT, 6000).expiry, InstrumentType.OPT)
    assert len(chain.rows) == 21  # 42 options: more than one message may carry
    assert all(row.put is not None and row.put.bid is not None for row in chain.rows)
    assert max(fake.dxlink.subscription_sizes) <= 25
    assert fake.dxlink.refused_messages == 0


async def test_an_oversized_subscription_is_what_dxlink_refuses(
    fake: FakeTastytrade, open_broker: Callable[..., TastytradeBroker], pick: Callable[..., OptionTerms]
) -> None:
    fake.dxlink.max_symbols_per_message = 30
    broker = open_broker(adapter={"symbols_per_subscribe": 500})
    with pytest.raises(BrokerUnavailable, match="too long"):
        await broker.chain("SPX", pick("SPXW", Right.PUT, 6000).expiry, InstrumentType.OPT)
    assert fake.dxlink.refused_messages >= 1


async def test_a_new_chain_lets_go_of_the_previous_ones_symbols(
    fake: FakeTastytrade, broker: TastytradeBroker, pick: Callable[..., OptionTerms]
) -> None:
    first = pick("SPXW", Right.PUT, 6000, nth_expiry=0)
    second = pick("SPXW", Right.PUT, 6000, nth_expiry=1)
    await broker.chain("SPX", first.expiry, InstrumentType.OPT)
    assert fake.dxlink.subscribers("Greeks", first.streamer_symbol) == 1
    await broker.chain("SPX", second.expiry, InstrumentType.OPT)
    await eventually(
        lambda: fake.dxlink.subscribers("Greeks", first.streamer_symbol) == 0,
        what="the old chain unsubscribed",
    )
    assert fake.dxlink.subscribers("Greeks", second.streamer_symbol) == 1


async def test_a_price_change_reaches_the_adapter(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    await broker.quotes(["AAPL"])
    fake.market.set_price("AAPL", Decimal("240.00"))
    await fake.dxlink.publish(["AAPL"])

    async def repriced() -> bool:
        (aapl,) = await broker.quotes(["AAPL"])
        return aapl.last == Decimal("240.00")

    await eventually(repriced, what="AAPL repriced")
