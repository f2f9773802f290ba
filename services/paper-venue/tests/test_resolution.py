"""Contract resolution: legs to listed contracts (SPX vs SPXW, front months, options on futures), and
an order's contracts checked against the market."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.contracts import describe
from deltadesk.paper_venue.domain.listing import NotListed
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.resolution import front_month, resolve, tradable
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import Action, LegSpec

OPT, FOP, FUT = InstrumentType.OPT, InstrumentType.FOP, InstrumentType.FUT
MONTHLY, WEEKLY = date(2026, 12, 18), date(2026, 12, 11)


def option(
    underlying: str,
    expiry: date,
    strike: str,
    right: Right = Right.PUT,
    *,
    instrument: InstrumentType = OPT,
    trading_class: str | None = None,
) -> LegSpec:
    return LegSpec(
        action=Action.SELL,
        instrument=instrument,
        underlying=underlying,
        quantity=1,
        expiry=expiry,
        strike=Decimal(strike),
        right=right,
        trading_class=trading_class,
    )


def linear(underlying: str, instrument: InstrumentType, expiry: date | None = None) -> LegSpec:
    return LegSpec(action=Action.BUY, instrument=instrument, underlying=underlying, quantity=1, expiry=expiry)


def test_an_spx_monthly_resolves_to_the_am_settled_spx_class(market: MarketState) -> None:
    contract = resolve(market, option("SPX", MONTHLY, "5500"))
    assert contract.symbol == "SPX   261218P05500000"
    shared = describe(contract)
    assert shared.trading_class == "SPX"
    assert shared.broker_id == contract.symbol
    assert (shared.underlying, shared.multiplier, shared.strike) == ("SPX", 100, Decimal(5500))


def test_any_other_spx_expiry_resolves_to_spxw(market: MarketState) -> None:
    assert resolve(market, option("SPX", WEEKLY, "5500")).symbol == "SPXW  261211P05500000"
    assert resolve(market, option("SPX", date(2026, 11, 25), "5500")).symbol == "SPXW  261125P05500000"


def test_spxw_can_be_asked_for_on_a_monthly_by_class_or_by_underlying(market: MarketState) -> None:
    by_class = resolve(market, option("SPX", MONTHLY, "5500", trading_class="SPXW"))
    by_underlying = resolve(market, option("SPXW", MONTHLY, "5500"))
    assert by_class == by_underlying
    assert by_class.symbol == "SPXW  261218P05500000"
    assert by_class.underlying == "SPX"


def test_the_spx_class_is_not_listed_on_a_weekly(market: MarketState) -> None:
    with pytest.raises(NotListed, match="listed as SPXW, not SPX"):
        resolve(market, option("SPX", WEEKLY, "5500", trading_class="SPX"))


def test_an_unlisted_expiry_is_refused_naming_the_nearest_listed_ones(market: MarketState) -> None:
    with pytest.raises(NotListed, match=r"expiring 2026-12-19 \(nearest listed: 2026-12-18, 2026-12-21\)"):
        resolve(market, option("SPX", date(2026, 12, 19), "5500"))
    with pytest.raises(NotListed, match="2027-12-17"):  # beyond a year
        resolve(market, option("SPX", date(2027, 12, 17), "5500"))


def test_an_unlisted_strike_is_refused_naming_the_nearest_listed_ones(market: MarketState) -> None:
    with pytest.raises(NotListed, match=r"no 5501 strike .* \(nearest listed: 5500, 5505\)") as caught:
        resolve(market, option("SPX", MONTHLY, "5501"))
    assert caught.value.code == "contract_not_listed"
    assert resolve(market, option("SPX", MONTHLY, "5125")).strike == 5125  # 25-point grid 10-25% away
    with pytest.raises(NotListed):
        resolve(market, option("SPX", MONTHLY, "5130"))


def test_a_held_contract_stays_resolvable_off_the_grid(market: MarketState) -> None:
    moved = replace(market, spx=7000.0)  # 5130 is now 27% away: only 100-point strikes there
    leg = option("SPX", MONTHLY, "5130")
    with pytest.raises(NotListed):
        resolve(moved, leg)
    assert resolve(moved, leg, held={"SPX   261218P05130000"}).strike == 5130


def test_a_future_without_expiry_resolves_to_the_front_month(market: MarketState) -> None:
    for name in ("/ES", "ES", "/es", "/ESZ6"):
        contract = resolve(market, linear(name, FUT))
        assert contract.symbol == "/ESZ6"
        assert contract.multiplier == 50
        assert contract.expiry == MONTHLY
    assert resolve(market, linear("/MES", FUT)).multiplier == 5


def test_a_future_with_an_expiry_resolves_by_its_month(market: MarketState) -> None:
    assert resolve(market, linear("/ES", FUT, date(2026, 12, 1))).symbol == "/ESZ6"
    with pytest.raises(NotListed, match=r"no /ES future expires in March 2027; listed: /ESZ6"):
        resolve(market, linear("/ES", FUT, date(2027, 3, 19)))
    with pytest.raises(NotListed, match="no futures on '/NQ'"):
        resolve(market, linear("/NQ", FUT))


def test_the_front_month_of_a_root(market: MarketState) -> None:
    assert front_month(market, "/MES").symbol == "/MESZ6"
    assert front_month(market, "ES").symbol == "/ESZ6"
    with pytest.raises(NotListed):
        front_month(market, "/CL")
    after_expiry = replace(market, now=datetime(2026, 12, 18, 21, 0, tzinfo=UTC))
    with pytest.raises(NotListed):  # the market lists no later quarter to roll to
        front_month(after_expiry, "/ES")


def test_an_option_on_a_future_resolves_on_the_front_future(market: MarketState) -> None:
    contract = resolve(market, option("/ES", WEEKLY, "5700", instrument=FOP))
    assert contract.symbol == "/ESZ6 261211P5700"
    assert (contract.underlying, contract.underlying_contract, contract.multiplier) == ("/ES", "/ESZ6", 50)
    assert describe(contract).trading_class is None
    with pytest.raises(NotListed, match="expiring 2027-01-15"):  # after its future
        resolve(market, option("/ES", date(2027, 1, 15), "5700", instrument=FOP))


def test_shares_resolve_by_ticker_with_their_own_type(market: MarketState) -> None:
    assert resolve(market, linear("spy", InstrumentType.STK)).instrument is InstrumentType.ETF
    assert resolve(market, linear("AAPL", InstrumentType.STK)).instrument is InstrumentType.STK
    with pytest.raises(NotListed, match="no stock or ETF 'TSLA'"):
        resolve(market, linear("TSLA", InstrumentType.STK))


def test_an_orders_contract_must_be_the_venues_in_every_field(market: MarketState) -> None:
    shared = describe(resolve(market, option("SPX", MONTHLY, "5500")))
    assert tradable(market, shared).symbol == shared.symbol
    for change in ({"multiplier": Decimal(10)}, {"strike": Decimal(5505)}, {"trading_class": "SPXW"}):
        with pytest.raises(NotListed):
            tradable(market, shared.model_copy(update=change))
    with pytest.raises(NotListed, match="does not know"):
        tradable(market, shared.model_copy(update={"symbol": "QQQ   261218P00500000"}))


def test_an_expired_contract_is_not_tradable(market: MarketState) -> None:
    shared = describe(resolve(market, option("SPX", date(2026, 11, 24), "5500")))
    after = replace(market, now=datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    with pytest.raises(NotListed, match="expired"):
        tradable(after, shared)
