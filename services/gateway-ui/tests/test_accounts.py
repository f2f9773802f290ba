import pytest

from deltadesk.gateway.domain.accounts import MAX_ACCOUNT_LENGTH, TOTAL, order_accounts, parse_account
from deltadesk.gateway.errors import InvalidAccount


def test_total_and_plain_account_ids_are_accepted() -> None:
    assert parse_account("total") == TOTAL
    assert parse_account("U1234567") == "U1234567"
    assert parse_account("5WX-0001") == "5WX-0001"


@pytest.mark.parametrize(
    "token", ["", "a.b", "acct*", ">", "two words", "tab\there", "x" * (MAX_ACCOUNT_LENGTH + 1)]
)
def test_a_token_that_would_change_a_subject_is_refused_with_a_reason(token: str) -> None:
    with pytest.raises(InvalidAccount) as refused:
        parse_account(token)
    assert refused.value.code == "invalid_account"
    assert str(refused.value)


def test_total_comes_first_then_accounts_sorted_once_each() -> None:
    assert order_accounts(["PAPER", "U222", "total", "PAPER", "5WX"]) == ("total", "5WX", "PAPER", "U222")


def test_total_is_listed_even_before_anything_was_seen() -> None:
    assert order_accounts([]) == ("total",)
