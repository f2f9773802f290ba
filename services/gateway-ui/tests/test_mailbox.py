import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltadesk.gateway.mailbox import Mailbox, MailboxClosed
from deltadesk.shared.events import BrokerState, BrokerStatusChanged


async def test_a_newer_update_replaces_an_undelivered_one_for_the_same_account(book: Any) -> None:
    mailbox = Mailbox(capacity=8)
    first, second = book.risk("PAPER", es_quantity=1), book.risk("PAPER", es_quantity=2)
    status = book.status("PAPER")
    mailbox.put(first)
    mailbox.put(status)
    mailbox.put(second)
    assert len(mailbox) == 2
    assert mailbox.dropped == 1
    assert await mailbox.get(1.0) == status
    assert await mailbox.get(1.0) == second


async def test_beyond_capacity_the_oldest_account_is_dropped(book: Any) -> None:
    mailbox = Mailbox(capacity=2)
    for account in ("A", "B", "C"):
        mailbox.put(book.risk(account))
    assert len(mailbox) == 2
    assert [(await mailbox.get(1.0)).account for _ in range(2)] == ["B", "C"]  # type: ignore[union-attr]


async def test_an_idle_mailbox_answers_none_so_the_stream_can_send_a_keep_alive() -> None:
    assert await Mailbox(capacity=1).get(0.01) is None


async def test_a_closed_mailbox_ends_the_stream_even_with_updates_pending(book: Any) -> None:
    mailbox = Mailbox(capacity=4)
    mailbox.put(book.risk())
    mailbox.close()
    with pytest.raises(MailboxClosed):
        await mailbox.get(1.0)
    mailbox.put(book.risk())  # a late update after close is ignored, not kept
    assert len(mailbox) == 0


async def test_closing_wakes_a_waiting_reader(book: Any) -> None:
    mailbox = Mailbox(capacity=4)
    reader = asyncio.create_task(mailbox.get(30.0))
    await asyncio.sleep(0)  # let the reader start waiting (a scheduling step, not a wait for time)
    mailbox.close()
    with pytest.raises(MailboxClosed):
        await asyncio.wait_for(reader, 5.0)


def test_a_mailbox_needs_room_for_one_update() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Mailbox(capacity=0)


def _status(account: str, up: bool) -> BrokerStatusChanged:
    return BrokerStatusChanged(
        event_id=uuid4(),
        occurred_at=datetime(2026, 3, 18, 14, 30, tzinfo=UTC),
        account=account,
        broker="paper",
        state=BrokerState.UP if up else BrokerState.DOWN,
        since=datetime(2026, 3, 18, 14, 30, tzinfo=UTC),
    )


@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.booleans()), max_size=60), st.integers(1, 6))
async def test_a_mailbox_is_bounded_and_delivers_only_the_latest_per_account(
    puts: list[tuple[str, bool]], capacity: int
) -> None:
    mailbox = Mailbox(capacity=capacity)
    latest: dict[str, BrokerStatusChanged] = {}
    for account, up in puts:
        latest[account] = _status(account, up)
        mailbox.put(latest[account])
        assert len(mailbox) <= capacity
    delivered = []
    while (update := await mailbox.get(0.0)) is not None:
        delivered.append(update)
    assert all(update is latest[update.account] for update in delivered)
    assert len(delivered) == min(capacity, len(latest))
