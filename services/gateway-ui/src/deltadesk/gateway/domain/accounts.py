"""Account tokens as the page and the API accept them, and the order the account selector lists them."""

from __future__ import annotations

from collections.abc import Iterable

from deltadesk.gateway.errors import InvalidAccount
from deltadesk.shared.errors import InvalidSubjectToken
from deltadesk.shared.subjects import check_token

TOTAL = "total"  # risk's name for all accounts together
MAX_ACCOUNT_LENGTH = 64


def parse_account(token: str) -> str:
    """The account a query names, or InvalidAccount: it must be usable as one subject token."""
    if len(token) > MAX_ACCOUNT_LENGTH:
        raise InvalidAccount(f"account must be at most {MAX_ACCOUNT_LENGTH} characters, got {len(token)}")
    try:
        check_token("account", token)
    except InvalidSubjectToken as exc:
        raise InvalidAccount(
            f"{token!r} is not an account: it is empty or holds . * > or whitespace"
        ) from exc
    return token


def parse_account_field(token: str, field: str = "account") -> str:
    """`parse_account` for a request field: the refusal's reason starts with the field's name."""
    try:
        return parse_account(token)
    except InvalidAccount as exc:
        raise InvalidAccount(f"{field}: {exc}") from exc


def order_accounts(seen: Iterable[str]) -> tuple[str, ...]:
    """`total` first (it is the number a trader watches), then every other account once, sorted."""
    return (TOTAL, *sorted(set(seen) - {TOTAL}))
