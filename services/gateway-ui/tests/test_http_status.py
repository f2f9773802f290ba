"""Every error the gateway can meet has an HTTP status, never a 500: refusals 4xx, silent peers 503."""

from __future__ import annotations

import pytest

from deltadesk.gateway.app import HTTP_STATUS, remote_status, status_of
from deltadesk.gateway.errors import (
    ApprovalRefused,
    GatewayError,
    HashMismatch,
    NotSimulated,
    SigningUnavailable,
)
from deltadesk.shared.errors import (
    BrokerRejected,
    BrokerUnavailable,
    DeskError,
    DomainError,
    OrderStateUnknown,
    PeerUnavailable,
    RemoteError,
    error_from_code,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (PeerUnavailable("no answer on dd.exec.simulate within 15 s"), 503, "peer_unavailable"),
        (BrokerUnavailable("paper venue does not answer"), 503, "broker_unavailable"),
        (BrokerRejected("insufficient buying power"), 422, "broker_rejected"),
        (OrderStateUnknown("lost"), 502, "order_state_unknown"),
        (DomainError("invalid reply"), 422, "domain_error"),
        (NotSimulated("simulation_id: …"), 409, "not_simulated"),
        (HashMismatch("order_hash: …"), 409, "hash_mismatch"),
        (SigningUnavailable("no key"), 503, "signing_unavailable"),
    ],
)
def test_each_error_has_its_status_and_keeps_its_code(error: DeskError, status: int, code: str) -> None:
    assert status_of(error) == (status, code)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("order_not_found", 404),
        ("unknown_account", 422),
        ("leg_unresolvable", 422),
        ("leg_not_priced", 422),
        ("invalid_order_state", 409),
        ("order_busy", 409),
        ("simulation_timeout", 503),
        ("risk_unavailable", 503),
        ("internal_error", 502),
        ("invalid_request", 422),
        ("venue_not_found", 404),
        ("TRADING_HALTED", 409),
        ("something_new", 422),
    ],
)
def test_a_peers_error_code_maps_to_a_status(code: str, status: int) -> None:
    assert remote_status(code) == status
    rebuilt = error_from_code(code, "why")
    if isinstance(rebuilt, RemoteError):
        assert status_of(rebuilt) == (status, code)


def test_every_approval_refusal_is_a_conflict_or_an_invalid_request() -> None:
    refusals = [cls for cls in HTTP_STATUS if issubclass(cls, ApprovalRefused)]
    assert len(refusals) == 9
    assert {HTTP_STATUS[cls] for cls in refusals} == {409, 422}
    assert all(issubclass(cls, GatewayError) for cls in HTTP_STATUS)
