from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.errors import NoRiskYet, UnknownAccount
from deltadesk.gateway.state import DeskState
from deltadesk.shared.events import BrokerState, BrokerStatusChanged


def test_the_latest_risk_per_account_is_kept(book: Any) -> None:
    state = DeskState()
    first = book.risk("PAPER")
    second = book.risk("PAPER", occurred_at=book.now + timedelta(seconds=2), es_quantity=3)
    assert state.apply_risk(first)
    assert state.apply_risk(second)
    assert state.risks["PAPER"] is second


def test_an_older_update_never_replaces_a_newer_one(book: Any) -> None:
    # The KV value read at start can arrive after a live message that overtook it.
    state = DeskState()
    live = book.risk("PAPER", occurred_at=book.now + timedelta(seconds=2))
    from_kv = book.risk("PAPER")
    state.apply_risk(live)
    assert not state.apply_risk(from_kv)
    assert state.risks["PAPER"] is live


def test_the_same_event_twice_is_taken_once(book: Any) -> None:
    state = DeskState()
    risk = book.risk()
    mailbox = state.open_mailbox()
    assert state.apply_risk(risk)
    assert not state.apply_risk(risk)
    assert len(mailbox) == 1


def test_accounts_are_total_then_every_account_named_by_risk_status_or_total(book: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk("total", accounts=("PAPER", "U222")))
    state.apply_status(book.status("5WX"))
    assert state.accounts() == ("total", "5WX", "PAPER", "U222")


def test_risk_for_an_unknown_account_and_a_known_one_without_risk_say_which(book: Any) -> None:
    state = DeskState()
    state.apply_status(book.status("PAPER"))
    with pytest.raises(NoRiskYet, match="PAPER"):
        state.risk_for("PAPER")
    with pytest.raises(UnknownAccount, match="known accounts: total, PAPER"):
        state.risk_for("U999")


async def test_a_new_client_gets_the_current_state_then_each_update(book: Any) -> None:
    state = DeskState()
    status, total, paper = book.status("PAPER"), book.risk("total"), book.risk("PAPER")
    state.apply_status(status)
    state.apply_risk(paper)
    state.apply_risk(total)
    mailbox = state.open_mailbox()
    assert [await mailbox.get(1.0) for _ in range(3)] == [status, total, paper]
    newer = book.risk("total", occurred_at=book.now + timedelta(seconds=1))
    state.apply_risk(newer)
    assert await mailbox.get(1.0) == newer


async def test_a_closed_state_ends_every_stream_and_opens_no_new_one(book: Any) -> None:
    state = DeskState()
    state.apply_risk(book.risk())
    open_before = state.open_mailbox()
    state.close()
    assert open_before.closed
    assert state.open_mailbox().closed
    assert state.clients == 0


def test_a_client_that_leaves_is_no_longer_fed(book: Any) -> None:
    state = DeskState()
    mailbox = state.open_mailbox()
    state.close_mailbox(mailbox)
    state.apply_risk(book.risk())
    assert (len(mailbox), state.clients) == (0, 0)


@given(st.permutations(range(6)))
def test_the_final_state_does_not_depend_on_arrival_order(order: list[int]) -> None:
    start = datetime(2026, 3, 18, 14, 30, tzinfo=UTC)
    events = [
        BrokerStatusChanged(
            event_id=uuid4(),
            occurred_at=start + timedelta(seconds=i),
            account="AB"[i % 2],
            broker="paper",
            state=BrokerState.UP if i % 3 else BrokerState.DOWN,
            since=start,
        )
        for i in range(6)
    ]
    state = DeskState()
    for i in order:
        state.apply_status(events[i])
    assert state.statuses == {"A": events[4], "B": events[5]}
