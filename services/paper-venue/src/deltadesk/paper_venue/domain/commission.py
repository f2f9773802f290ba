"""The paper venue's commission model, per execution (one leg's fill), modelled on a discount
broker's fixed pricing:

- equity and ETF options: $0.65 per contract, at least $1.00 (IBKR's published US options rate for
  premiums of $0.10 and more, and its per-order minimum);
- index options (SPX, SPXW and other cash-settled indexes): the same, plus the exchange's index
  option fee, $0.60 per contract here (an illustrative figure: Cboe's proprietary index fees vary);
- futures, and options on futures: an all-in figure per contract by root ($2.25 for /ES, $0.62 for
  /MES), the default figure for a root not listed;
- shares: $0.005 per share, at least $1.00 and at most 1% of the trade's value (IBKR's fixed rate).

Minimums apply per execution (a real broker applies them per order), so each partial fill pays one.

Amounts are rounded half-up to cents. Every rate is a setting of the venue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from deltadesk.paper_venue.domain.contracts import Contract
from deltadesk.shared.instruments import InstrumentType

CENT = Decimal("0.01")
INDEX_UNDERLYINGS = frozenset({"SPX", "XSP", "NDX", "RUT", "VIX"})


def _future_rates() -> dict[str, Decimal]:
    return {"/ES": Decimal("2.25"), "/MES": Decimal("0.62")}


@dataclass(frozen=True, slots=True)
class CommissionRates:
    option_per_contract: Decimal = Decimal("0.65")
    option_minimum: Decimal = Decimal("1.00")
    index_option_fee: Decimal = Decimal("0.60")
    future_per_contract: Mapping[str, Decimal] = field(default_factory=_future_rates)
    future_default: Decimal = Decimal("2.25")
    share_per_share: Decimal = Decimal("0.005")
    share_minimum: Decimal = Decimal("1.00")
    share_maximum_rate: Decimal = Decimal("0.01")  # of the trade's value


def commission(contract: Contract, quantity: Decimal, price: Decimal, rates: CommissionRates) -> Decimal:
    """What one execution of `quantity` units (contracts or shares, unsigned) at `price` costs."""
    units = abs(quantity)
    if units == 0:
        return Decimal("0.00")
    if contract.instrument.is_share:
        fee = max(units * rates.share_per_share, rates.share_minimum)
        value = units * abs(price) * contract.multiplier
        fee = min(fee, value * rates.share_maximum_rate)
    elif contract.instrument in (InstrumentType.FUT, InstrumentType.FOP):
        fee = units * rates.future_per_contract.get(contract.underlying, rates.future_default)
    else:
        fee = max(units * rates.option_per_contract, rates.option_minimum)
        if contract.underlying in INDEX_UNDERLYINGS:
            fee += units * rates.index_option_fee
    return fee.quantize(CENT, rounding=ROUND_HALF_UP)
