"""The IBKR adapter's knobs that are not user settings: retries, bounds and pacing.

Defaults follow IBKR's documentation; tests and the benchmark shorten the waits (the fake gateway
takes the same numbers, so the pacing still proves itself against the fake's limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from deltadesk.brokers.ibkr.pacing import ENDPOINT_RATES, Rate


@dataclass(frozen=True)
class IbkrTuning:
    # Snapshots: the first request for a conid only opens its stream; Greeks may take a poll or two
    # more. Ask again at most this many times, this far apart (IBKR refreshes every ~500 ms).
    snapshot_attempts: int = 6
    snapshot_retry_s: float = 0.5
    # Reply messages confirmed per order before giving up (ibind allows 20; ten is plenty for the
    # warnings a single order can raise, and a loop past that is a sign something is wrong).
    reply_rounds: int = 10
    # Chains: the listed strikes nearest the underlying's price, one `/secdef/info` request each.
    chain_strikes: int = 24
    # Expiries: contract months looked into, nearest first (two requests per month).
    expiry_months: int = 6
    # Re-authentication: auth-status checks after `ssodh/init`, this far apart.
    reauth_checks: int = 5
    reauth_check_s: float = 1.0
    # After a 429, no request at all for this long (IBKR's penalty box lasts 10–15 min; a probe a
    # minute keeps the desk from adding to it while noticing when it ends).
    penalty_cooldown_s: float = 60.0
    # Live orders answer empty to the first call of a session: call twice (IBKR paces it 1 per 5 s).
    live_orders_preflight: bool = True
    # This process's global request rate; None: `ibkr_requests_per_second` from the settings
    # (which caps it at IBKR's 10). Tests and benchmarks against the fake go faster.
    requests_per_second: float | None = None
    endpoint_rates: Mapping[str, Rate] = field(default_factory=lambda: dict(ENDPOINT_RATES))
