"""Seeded history: the paper venue's simulated market run through time with the demo book, weighed
the way risk weighs it, as snapshots flagged paper data.

The demo book is a premium seller's: when anything in it expires, the account rolls, taking the
whole book off at its marks and opening the demo book again at the day's strikes, with what the
account is worth then. Net liquidation carries across a roll unchanged (everything trades at its
mark), so the chart shows a trader rolling monthly rather than a book that decays to nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from deltadesk.journal.domain.snapshots import (
    RiskState,
    Snapshot,
    SnapshotSource,
    slot_after,
    slot_at_or_before,
    theta_delta_ratio,
)
from deltadesk.paper_venue.domain.account import Account, mark_positions, net_liquidation
from deltadesk.paper_venue.domain.demo import demo_account, demo_market_config
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.venue import Venue, advance
from deltadesk.risk.domain.greeks import weigh_numbers
from deltadesk.risk.domain.regime import VixRegimes, classify_vix
from deltadesk.shared.errors import DomainError
from deltadesk.shared.portfolio import Beta

PAPER_BROKER = "paper"
DEFAULT_START_CASH = Decimal(500_000)  # the paper venue's default account size


class InvalidSeed(DomainError):
    code = "invalid_seed"


MANAGE_AT_DTE = 21  # roll what comes within 21 days of expiry …
MANAGE_EVERY = timedelta(days=7)  # … looking at the book once a week


def seed_window(
    until: datetime, days: int, interval_s: float, first_held: datetime | None
) -> tuple[datetime, datetime]:
    """[start, end) of seeded snapshots on the interval's grid: the `days` up to `until`, stopping
    before the account's first snapshot already held, so seeded data never mixes with real data
    and seeding the same days again writes nothing (empty when start >= end)."""
    if until.tzinfo is None:
        raise InvalidSeed("the seed's end must be timezone-aware")
    if days < 1:
        raise InvalidSeed(f"days must be at least 1, was {days}")
    start = slot_at_or_before(until - timedelta(days=days), interval_s)
    end = until if first_held is None else min(until, first_held)
    return start, max(start, end)


def simulate_history(
    account: str,
    start: datetime,
    end: datetime,
    *,
    interval_s: float,
    rng: random.Random,
    betas: Mapping[str, Beta],
    regimes: VixRegimes,
    start_cash: Decimal = DEFAULT_START_CASH,
) -> Iterator[Snapshot]:
    """A snapshot at every instant of the interval's grid in [start, end), the demo book marked
    and weighed at each. The same `rng` seed gives the same history."""
    at = start if start == slot_at_or_before(start, interval_s) else slot_after(start, interval_s)
    market = _fresh_market(at, None)
    venue = Venue(market=market, accounts=(demo_account(account, market, start_cash),))
    rolled_at = at
    while at < end:
        yield _snapshot(account, venue.accounts[0], venue.market, betas, regimes)
        following = slot_after(at, interval_s)
        venue, settlements = advance(venue, (following - at).total_seconds(), rng)
        managed = _days_to_nearest_expiry(venue) < MANAGE_AT_DTE and following - rolled_at >= MANAGE_EVERY
        if settlements or managed:
            venue = _roll(venue)
            rolled_at = following
        at = following


def _days_to_nearest_expiry(venue: Venue) -> float:
    """Days until the book's nearest option expiry (infinite when it holds none)."""
    today = venue.market.now.date()
    expiries = [h.contract.expiry for h in venue.accounts[0].holdings if h.contract.right is not None]
    return min(((e - today).days for e in expiries if e is not None), default=float("inf"))


def _roll(venue: Venue) -> Venue:
    """Take the book off at its marks and open the demo book again, with this day's expiries and
    front futures, for what the account is worth now: a premium seller manages positions at about
    21 days to expiry rather than holding them into the gamma of the last weeks, so a seeded
    history looks like a managed book, not one left to expire."""
    held = venue.accounts[0]
    worth = net_liquidation(held, mark_positions(held, venue.market))
    market = _fresh_market(venue.market.now, venue.market)
    return Venue(market=market, accounts=(demo_account(held.account_id, market, worth),))


def _fresh_market(at: datetime, current: MarketState | None) -> MarketState:
    """The demo market listed as of `at` (its futures the front months then), at the current
    prices when there are some."""
    config = demo_market_config(at)
    if current is None:
        return MarketState(
            config=config,
            now=at,
            spx=config.spx_start,
            vix=config.vix_start,
            share_prices=tuple(s.start_price for s in config.shares),
        )
    return replace(current, config=config)


def _snapshot(
    account_id: str, account: Account, market: MarketState, betas: Mapping[str, Beta], regimes: VixRegimes
) -> Snapshot:
    positions = mark_positions(account, market)
    _, greeks = weigh_numbers(((p, p.underlying_price) for p in positions), betas, market.spx)
    return Snapshot(
        account=account_id,
        captured_at=market.now,
        broker=PAPER_BROKER,
        net_liquidation=net_liquidation(account, positions),
        cash=account.cash,
        spx_delta=greeks.spx_delta,
        gamma=greeks.gamma,
        theta=greeks.theta,
        vega=greeks.vega,
        theta_delta_ratio=theta_delta_ratio(greeks.theta, greeks.spx_delta),
        vix=market.vix,
        spx_price=market.spx,
        regime=classify_vix(market.vix, regimes),
        risk_state=RiskState.OK,
        paper=True,
        source=SnapshotSource.SEED,
    )
