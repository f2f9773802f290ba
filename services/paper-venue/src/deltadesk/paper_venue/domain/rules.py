"""The venue's trading rules as the domain sees them: margin and commission rates, fill latency,
size limits and the market-on-close cutoff (each a setting of the service)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from deltadesk.paper_venue.domain.commission import CommissionRates
from deltadesk.paper_venue.domain.margin import MarginRates

MOC_CUTOFF = time(15, 50)  # New York: market-on-close orders are taken until then (as on NYSE)


@dataclass(frozen=True, slots=True)
class VenueRules:
    margin: MarginRates
    commissions: CommissionRates = field(default_factory=CommissionRates)
    fill_latency: timedelta = timedelta(0)  # wall-clock time from acceptance to the first possible fill
    max_contracts_per_leg: int = 1_000  # options and futures
    max_shares_per_leg: int = 100_000
    moc_cutoff: time = MOC_CUTOFF
