"""Market-data snapshot rows read into prices and per-unit Greeks.

`GET /iserver/marketdata/snapshot?conids=…&fields=…` answers one row per conid, keyed by field
number as a string. The first request for a conid only opens its stream and answers
`{"conid", "conidEx"}`; later ones carry the fields (Greeks often a poll or two later). A row is
therefore read into "what it has", and the adapter asks again for what is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from deltadesk.brokers.ibkr.figures import parse_float, parse_price, parse_volatility
from deltadesk.shared.positions import Greeks

LAST, BID, ASK = "31", "84", "86"
DELTA, GAMMA, THETA, VEGA = "7308", "7309", "7310", "7311"
IMPLIED_VOL = "7633"
# Every field the desk wants, asked in the first (pre-flight) request so later polls carry them all.
SNAPSHOT_FIELDS = (LAST, BID, ASK, DELTA, GAMMA, THETA, VEGA, IMPLIED_VOL)
MAX_CONIDS_PER_SNAPSHOT = 100  # IBKR's documented limit per request


@dataclass(frozen=True, slots=True)
class Snapshot:
    conid: int
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    greeks: Greeks | None = None
    iv: float | None = None
    updated_ms: int | None = None

    @property
    def has_price(self) -> bool:
        return self.bid is not None or self.ask is not None or self.last is not None

    @property
    def price(self) -> Decimal | None:
        """The reference price: the mid of a sane two-sided market, else the last trade."""
        if self.bid is not None and self.ask is not None and 0 < self.bid <= self.ask:
            return (self.bid + self.ask) / 2
        if self.last is not None and self.last > 0:
            return self.last
        return None


def read_snapshot(row: dict[str, Any]) -> Snapshot | None:
    """One snapshot row; None when it names no conid. Missing or unreadable fields stay None."""
    try:
        conid = int(str(row.get("conid", "")).strip())
    except ValueError:
        return None
    delta = parse_float(row.get(DELTA))
    greeks = None
    if delta is not None:
        try:
            greeks = Greeks(
                delta=delta,
                gamma=parse_float(row.get(GAMMA)) or 0.0,
                theta=parse_float(row.get(THETA)) or 0.0,
                vega=parse_float(row.get(VEGA)) or 0.0,
            )
        except ValidationError:
            greeks = None
    updated = row.get("_updated")
    return Snapshot(
        conid=conid,
        bid=parse_price(row.get(BID)),
        ask=parse_price(row.get(ASK)),
        last=parse_price(row.get(LAST)),
        greeks=greeks,
        iv=parse_volatility(row.get(IMPLIED_VOL)),
        updated_ms=updated if isinstance(updated, int) else None,
    )


def complete(snapshot: Snapshot | None, *, wants_greeks: bool) -> bool:
    """Whether a conid's row has what the desk asked of it (a price; for an option also a delta)."""
    if snapshot is None or not snapshot.has_price:
        return False
    return snapshot.greeks is not None or not wants_greeks


def batches(conids: list[int], size: int = MAX_CONIDS_PER_SNAPSHOT) -> list[list[int]]:
    return [conids[i : i + size] for i in range(0, len(conids), size)]
