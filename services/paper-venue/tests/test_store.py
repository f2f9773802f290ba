"""The venue's KV keys: readable where an account id allows, never an invalid key."""

from __future__ import annotations

import re

import pytest

from deltadesk.paper_venue.adapters.store import account_key

KV_KEY = re.compile(r"^[-/_=\.a-zA-Z0-9]+$")  # what a NATS KV key may hold


@pytest.mark.parametrize(
    ("account", "key"),
    [("PAPER", "account.PAPER"), ("DU1234567", "account.DU1234567"), ("a#b", "account.x-612362")],
)
def test_an_account_key_is_its_id_or_its_hex(account: str, key: str) -> None:
    assert account_key(account) == key
    assert KV_KEY.match(key)
