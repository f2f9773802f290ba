"""The risk service on a real NATS server, fed as market-data would feed it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from deltadesk.risk.service import run
from deltadesk.risk.settings import RiskSettings
from deltadesk.shared.balances import Balances
from deltadesk.shared.bus import Bus
from deltadesk.shared.commands import ComputeRiskWhatIf
from deltadesk.shared.errors import DomainError
from deltadesk.shared.events import (
    BalancesReported,
    DeadLettered,
    LimitBreached,
    LimitCleared,
    PositionsReported,
    QuotesReported,
    RiskUpdated,
)
from deltadesk.shared.portfolio import BetaSource, RiskStatus
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote
from deltadesk.shared.simulation import RiskWhatIf
from deltadesk.shared.subjects import (
    DLQ_STREAM,
    MD_BALANCES,
    MD_POSITIONS,
    MD_QUOTES,
    RISK_LIMIT_BREACHED,
    RISK_LIMIT_CLEARED,
    RISK_STREAM,
    RISK_UPDATED,
    RISK_WHATIF,
)
from deltadesk.shared.testing import eventually, running

pytestmark = pytest.mark.integration

MATRIX = """
limits:
  max_portfolio_delta: 50
vix_regimes:
  - {name: low, below: 15}
  - {name: normal, below: 20}
  - {name: elevated, below: 30}
  - {name: crisis}
"""


@pytest.fixture
def settings(nats_url: str, tmp_path: Path) -> RiskSettings:
    (tmp_path / "risk_matrix.yaml").write_text(MATRIX)
    (tmp_path / "beta_config.json").write_text('{"KO": 0.6}')
    return RiskSettings(
        nats_url=nats_url,
        config_dir=tmp_path,
        risk_check_interval_s=0.05,
        risk_spx_max_age_s=60,
        beta_chain_timeout_s=5,
    )


@pytest.fixture
async def md(bus_factory: Callable[[str], Any]) -> Bus:
    bus: Bus = await bus_factory("market-data")
    return bus


@asynccontextmanager
async def risk_service(
    settings: RiskSettings, clock: Any, chain: list[Any] | None = None
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with running(run(settings, stop, clock=clock, beta_chain=chain or [])) as task:
        yield
        stop.set()
        await asyncio.wait_for(task, 10)  # stops cleanly when asked


def stock(symbol: str, quantity: str, account: str = "U1") -> Position:
    return Position(
        account=account,
        symbol=symbol,
        underlying=symbol,
        instrument="STK",  # type: ignore[arg-type]
        quantity=Decimal(quantity),
        multiplier=Decimal(1),
    )


def spx_put(account: str = "U1") -> Position:
    return Position.model_validate(
        {
            "account": account,
            "symbol": "SPXW  261218P05600000",
            "underlying": "SPX",
            "instrument": "OPT",
            "quantity": "-1",
            "multiplier": "100",
            "right": "P",
            "strike": "5600",
            "expiry": date(2026, 12, 18),
            "greeks": {"delta": -0.1, "gamma": 0.001, "theta": -1.5, "vega": 6.0},
        }
    )


async def report_positions(md: Bus, clock: Any, positions: list[Position], account: str = "U1") -> None:
    event = PositionsReported(
        event_id=uuid4(),
        occurred_at=clock.now(),
        account=account,
        broker="paper",
        positions=tuple(positions),
        as_of=clock.now(),
    )
    await md.publish(MD_POSITIONS, event, account=account)


async def report_quotes(md: Bus, clock: Any, prices: dict[str, str], account: str = "U1") -> None:
    quotes = tuple(Quote(symbol=s, last=Decimal(p), as_of=clock.now()) for s, p in prices.items())
    event = QuotesReported(
        event_id=uuid4(), occurred_at=clock.now(), account=account, broker="paper", quotes=quotes
    )
    await md.publish(MD_QUOTES, event, account=account)


async def report_balances(md: Bus, clock: Any, net_liq: str, account: str = "U1") -> None:
    balances = Balances(
        account=account,
        net_liquidation=Decimal(net_liq),
        cash=Decimal(net_liq),
        maintenance_margin=Decimal(0),
        as_of=clock.now(),
    )
    event = BalancesReported(
        event_id=uuid4(), occurred_at=clock.now(), account=account, broker="paper", balances=balances
    )
    await md.publish(MD_BALANCES, event, account=account)


async def risk_update(
    bus: Bus,
    account: str,
    condition: Callable[[RiskUpdated], bool] = lambda u: True,
    what: str = "risk update",
) -> RiskUpdated:
    async def probe() -> RiskUpdated | None:
        update = await bus.latest(RISK_UPDATED, account=account)
        return update if update is not None and condition(update) else None

    try:
        return await eventually(probe, timeout=10, what=what)
    except AssertionError as exc:  # say what was there instead
        raise AssertionError(f"{exc}; latest: {await bus.latest(RISK_UPDATED, account=account)!r}") from None


async def stream_count(bus: Bus, stream: str, subject: str) -> int:
    info = await bus.js.stream_info(stream, subjects_filter=subject)
    return (info.state.subjects or {}).get(subject, 0)


QUOTES = {"SPX": "5000", "VIX": "17", "AAPL": "200", "KO": "60"}


async def test_positions_quotes_and_balances_become_a_risk_update(
    settings: RiskSettings, md: Bus, clock: Any, beta_source: Any
) -> None:
    tasty = beta_source(BetaSource.TASTYTRADE, {"AAPL": 1.25})
    async with risk_service(settings, clock, [tasty]):
        await report_quotes(md, clock, QUOTES)
        await report_balances(md, clock, "250000")
        await report_positions(md, clock, [stock("AAPL", "100"), stock("KO", "-200"), spx_put()])
        update = await risk_update(
            md,
            "U1",
            lambda u: (
                u.greeks is not None
                and u.net_liquidation is not None
                and len(u.positions) == 3
                and u.positions[0].beta.source is BetaSource.TASTYTRADE  # once the source answered
            ),
        )
    assert update.status is RiskStatus.OK
    assert (update.spx_price, update.vix, update.regime) == (5000.0, 17.0, "normal")
    assert update.net_liquidation == Decimal("250000")
    aapl, ko, put = update.positions
    assert ko.beta.source is BetaSource.CONFIG  # no source had KO
    assert aapl.spx_delta == pytest.approx(100 * 1.25 * 200 / 5000)  # 5.0
    assert ko.spx_delta == pytest.approx(-200 * 0.6 * 60 / 5000)  # -1.44
    assert put.spx_delta == pytest.approx(10.0)
    assert update.greeks is not None
    assert update.greeks.spx_delta == pytest.approx(5.0 - 1.44 + 10.0)
    assert update.greeks.theta == pytest.approx(150.0)
    assert update.greeks.vega == pytest.approx(-600.0)
    total = await risk_update(md, "total", lambda u: u.greeks is not None and len(u.positions) == 3)
    assert total.accounts == ("U1",)
    assert total.greeks is not None
    assert total.greeks.spx_delta == pytest.approx(update.greeks.spx_delta)


async def test_a_beta_that_lands_later_updates_the_greeks(
    settings: RiskSettings, md: Bus, clock: Any, beta_source: Any
) -> None:
    slow = beta_source(BetaSource.TASTYTRADE, {"AAPL": 2.0}, held=True)
    async with risk_service(settings, clock, [slow]):
        await report_quotes(md, clock, QUOTES)
        await report_positions(md, clock, [stock("AAPL", "100")])
        first = await risk_update(md, "U1", lambda u: u.greeks is not None)
        assert first.positions[0].beta.unavailable  # not waiting for the slow source
        assert "AAPL: no beta source answered, 1.0 used" in first.warnings
        slow.release()
        later = await risk_update(
            md, "U1", lambda u: u.greeks is not None and not u.positions[0].beta.unavailable
        )
    assert later.greeks is not None
    assert later.greeks.spx_delta == pytest.approx(100 * 2.0 * 200 / 5000)


async def test_a_late_start_sees_the_current_state(settings: RiskSettings, md: Bus, clock: Any) -> None:
    await report_quotes(md, clock, QUOTES)
    await report_positions(md, clock, [stock("KO", "100")])
    async with risk_service(settings, clock):
        update = await risk_update(md, "U1", lambda u: u.greeks is not None)
    assert update.greeks is not None
    assert update.greeks.spx_delta == pytest.approx(100 * 0.6 * 60 / 5000)


async def test_without_an_spx_quote_risk_is_halted_with_the_reason(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    async with risk_service(settings, clock):
        await report_quotes(md, clock, {"AAPL": "200"})
        await report_positions(md, clock, [stock("AAPL", "100")])
        update = await risk_update(md, "U1")
    assert update.status is RiskStatus.HALTED
    assert update.halt_reason == "SPX price unavailable"
    assert update.greeks is None


async def test_an_spx_quote_that_stops_arriving_halts_risk_on_the_timer(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES)
        await report_positions(md, clock, [stock("AAPL", "100")])
        await risk_update(md, "U1", lambda u: u.status is RiskStatus.OK)
        clock.advance(75)  # no message arrives: only the timer can notice
        update = await risk_update(md, "U1", lambda u: u.status is RiskStatus.HALTED, "halted on the timer")
    assert update.halt_reason == "SPX price stale: 75 s old"
    assert update.greeks is None


async def test_a_breach_is_announced_once_and_its_clearing_once(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    breached_subject = RISK_LIMIT_BREACHED.render(account="U1")
    cleared_subject = RISK_LIMIT_CLEARED.render(account="U1")
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES)
        await report_positions(md, clock, [stock("AAPL", "2000")])  # 80 SPX deltas > 50
        first = await risk_update(md, "U1", lambda u: bool(u.breaches))
        assert first.breaches[0].limit == "max_portfolio_delta"
        assert await stream_count(md, RISK_STREAM.name, breached_subject) == 1
        raw = await md.js.get_last_msg(RISK_STREAM.name, breached_subject)
        event = LimitBreached.model_validate_json(raw.data)
        assert (event.limit, event.threshold, event.actual, event.regime) == (
            "max_portfolio_delta",
            50,
            80,
            "normal",
        )

        clock.advance(1)
        await report_quotes(md, clock, {**QUOTES, "AAPL": "210"})  # still breached: 84
        await risk_update(md, "U1", lambda u: u.spx_price is not None and u.occurred_at == clock.now())
        assert await stream_count(md, RISK_STREAM.name, breached_subject) == 1  # no repeat

        clock.advance(1)
        await report_positions(md, clock, [stock("AAPL", "1000")])  # 42: within the limit
        cleared = await risk_update(md, "U1", lambda u: not u.breaches and u.occurred_at == clock.now())
        assert cleared.greeks is not None
        assert await stream_count(md, RISK_STREAM.name, cleared_subject) == 1
        assert await stream_count(md, RISK_STREAM.name, breached_subject) == 1
        raw = await md.js.get_last_msg(RISK_STREAM.name, cleared_subject)
        assert LimitCleared.model_validate_json(raw.data).actual == pytest.approx(42.0)


async def test_an_active_breach_survives_a_restart_without_a_second_announcement(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    breached_subject = RISK_LIMIT_BREACHED.render(account="U1")
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES)
        await report_positions(md, clock, [stock("AAPL", "2000")])
        before = await risk_update(md, "U1", lambda u: bool(u.breaches))
    clock.advance(1)
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES)
        after = await risk_update(md, "U1", lambda u: u.occurred_at == clock.now() and u.greeks is not None)
    assert [b.limit for b in after.breaches] == ["max_portfolio_delta"]
    assert after.breaches[0].since == before.breaches[0].since
    assert await stream_count(md, RISK_STREAM.name, breached_subject) == 1


async def test_a_malformed_message_is_dead_lettered_and_the_next_one_still_counts(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    dlq_subject = "dd.dlq.risk"
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES, account="X")
        await report_positions(md, clock, [stock("KO", "100", account="X")], account="X")
        await risk_update(md, "X", lambda u: u.greeks is not None, "the service is up")
        await md.nc.publish("dd.md.positions.X", b'{"account": "X", "positions": "not a list"}')
        await eventually(
            lambda: stream_count(md, DLQ_STREAM.name, dlq_subject), timeout=10, what="a dead letter from risk"
        )
        raw = await md.js.get_last_msg(DLQ_STREAM.name, dlq_subject)
        letter = DeadLettered.model_validate_json(raw.data)
        assert (letter.subject, letter.service) == ("dd.md.positions.X", "risk")
        assert "positions" in letter.reason
        clock.advance(1)
        await report_positions(md, clock, [stock("KO", "200", account="X")], account="X")
        update = await risk_update(md, "X", lambda u: u.greeks is not None and u.occurred_at == clock.now())
    assert update.greeks is not None
    assert update.greeks.spx_delta == pytest.approx(200 * 0.6 * 60 / 5000)


async def test_the_reserved_total_account_is_dead_lettered(
    settings: RiskSettings, md: Bus, clock: Any
) -> None:
    async with risk_service(settings, clock):
        await report_quotes(md, clock, QUOTES)
        await report_positions(md, clock, [stock("KO", "100")])
        await risk_update(md, "U1", lambda u: u.greeks is not None, "the service is up")
        await report_positions(md, clock, [stock("KO", "100", account="total")], account="total")
        await eventually(
            lambda: stream_count(md, DLQ_STREAM.name, "dd.dlq.risk"), timeout=10, what="a dead letter"
        )
        raw = await md.js.get_last_msg(DLQ_STREAM.name, "dd.dlq.risk")
    letter = DeadLettered.model_validate_json(raw.data)
    assert letter.subject == "dd.md.positions.total"
    assert "reserved" in letter.reason


async def test_total_sums_every_account(settings: RiskSettings, md: Bus, clock: Any) -> None:
    async with risk_service(settings, clock):
        for account, quantity in (("U1", "100"), ("U2", "-300")):
            await report_quotes(md, clock, QUOTES, account=account)
            await report_balances(md, clock, "100000", account=account)
            await report_positions(md, clock, [stock("KO", quantity, account=account)], account=account)
        total = await risk_update(
            md, "total", lambda u: u.accounts == ("U1", "U2") and u.net_liquidation == Decimal("200000")
        )
    assert total.greeks is not None
    assert total.greeks.spx_delta == pytest.approx(-200 * 0.6 * 60 / 5000)
    assert total.breaches == ()  # limits are checked per account by default


async def test_a_what_if_answers_post_trade_greeks_over_the_bus(
    settings: RiskSettings, md: Bus, clock: Any, bus_factory: Callable[[str], Any]
) -> None:
    async with risk_service(settings, clock):
        await report_positions(md, clock, [stock("AAPL", "100")])
        await report_quotes(md, clock, QUOTES)
        await risk_update(md, "U1")
        execution: Bus = await bus_factory("execution")
        reply = await execution.request(
            RISK_WHATIF, ComputeRiskWhatIf(account="U1", legs=(spx_put(),)), RiskWhatIf, timeout=5
        )
        assert reply.order.spx_delta == pytest.approx(10.0)  # -0.1 × -1 × 100
        assert reply.post_trade.spx_delta == pytest.approx(reply.pre_trade.spx_delta + 10.0)
        with pytest.raises(DomainError, match="no positions reported"):
            await execution.request(
                RISK_WHATIF, ComputeRiskWhatIf(account="NOBODY", legs=(spx_put("NOBODY"),)), RiskWhatIf
            )
