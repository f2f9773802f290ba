"""The venue's whole state: accounts found by id, the market and settlements advanced together."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deltadesk.paper_venue.domain.demo import demo_venue
from deltadesk.paper_venue.domain.expiries import expiry_instant
from deltadesk.paper_venue.domain.venue import UnknownAccount, advance, find_account

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_an_account_is_found_by_its_id() -> None:
    venue = demo_venue(START, account_id="PAPER")
    assert find_account(venue, "PAPER") is venue.accounts[0]


def test_an_unknown_account_is_refused_with_a_reason_naming_the_known_ones() -> None:
    venue = demo_venue(START, account_id="PAPER")
    with pytest.raises(UnknownAccount, match=r"no account 'U123'.*PAPER") as caught:
        find_account(venue, "U123")
    assert caught.value.code == "unknown_account"


def test_advancing_steps_the_market_deterministically_with_a_seed() -> None:
    venue = demo_venue(START, account_id="PAPER", time_scale=60.0)
    first, _ = advance(venue, 1.0, random.Random(4))
    again, _ = advance(venue, 1.0, random.Random(4))
    assert first == again
    assert first.market.now == venue.market.now.replace(minute=1)
    assert first.market.spx != venue.market.spx


def test_advancing_past_an_expiry_settles_the_expired_contracts() -> None:
    venue = demo_venue(START, account_id="PAPER")
    holdings = venue.accounts[0].holdings
    first_expiry = min(h.contract.expiry for h in holdings if h.contract.expiry is not None)
    just_before = replace(
        venue, market=replace(venue.market, now=expiry_instant(first_expiry).replace(minute=0))
    )
    later, settlements = advance(just_before, 3600.0, random.Random(1))
    expired = {h.contract.symbol for h in holdings if h.contract.expiry == first_expiry}
    assert {s.symbol for s in settlements} == expired
    assert {h.contract.symbol for h in later.accounts[0].holdings} == {
        h.contract.symbol for h in holdings
    } - expired
    cash_moved = sum((s.cash for s in settlements), start=Decimal(0))
    assert later.accounts[0].cash == venue.accounts[0].cash + cash_moved
