"""An IBKR account's positions and balances in the desk's terms.

A position row carries no Greeks and no underlying price, so a row becomes a `Position` together
with the adapter's `ContractFacts` for its conid and the snapshot of the option and of its
underlying (one batched snapshot per refresh). The underlying's price is set here, at parse time,
and never from the strike (seed T005). Prices and costs are per unit: IBKR's `avgCost` is per
contract (it includes the multiplier), its `avgPrice` per unit, so `avgPrice` is the average cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from deltadesk.brokers.ibkr.contracts import ContractFacts
from deltadesk.brokers.ibkr.marketdata import Snapshot
from deltadesk.brokers.ibkr.wire import PositionRow, SummaryValue
from deltadesk.shared.balances import Balances
from deltadesk.shared.errors import BrokerUnavailable
from deltadesk.shared.positions import Position

# assetClass values the desk holds; anything else (CASH, BOND, CRYPTO, WAR, …) is left out.
HELD_CLASSES = frozenset({"STK", "OPT", "FUT", "FOP"})


def is_held(row: PositionRow) -> bool:
    """Rows the desk shows: a known asset class and a non-zero quantity (expired options can linger
    a day with position 0)."""
    return row.asset_class in HELD_CLASSES and row.position is not None and row.position != 0


def build_position(
    account: str, row: PositionRow, facts: ContractFacts, snapshots: Mapping[int, Snapshot]
) -> Position:
    own = snapshots.get(row.conid)
    if facts.instrument.is_option:
        under = snapshots.get(facts.underlying_conid) if facts.underlying_conid is not None else None
    else:
        under = own  # a share or a future is its own underlying
    underlying_price = under.price if under is not None else None
    mark = row.mkt_price if row.mkt_price is not None else (own.price if own is not None else None)
    return Position(
        account=account,
        symbol=facts.symbol,
        underlying=facts.underlying,
        instrument=facts.instrument,
        quantity=row.position if row.position is not None else Decimal(0),
        multiplier=facts.multiplier,
        right=facts.right,
        strike=facts.strike,
        expiry=facts.expiry if facts.instrument.is_option else None,  # a future's is in its symbol
        average_cost=row.avg_price,
        mark=mark,
        greeks=own.greeks if (own is not None and facts.instrument.is_option) else None,
        iv=own.iv if (own is not None and facts.instrument.is_option) else None,
        underlying_price=float(underlying_price) if underlying_price and underlying_price > 0 else None,
        underlying_contract=facts.underlying_contract,
        contract_id=str(row.conid),
    )


# Summary keys, base flavour (the `-c`/`-s` segment keys are parts of these).
NET_LIQUIDATION = "netliquidation"
CASH = "totalcashvalue"
MAINTENANCE = "maintmarginreq"
INITIAL = "initmarginreq"
BUYING_POWER = "buyingpower"
SUMMARY_KEYS = (NET_LIQUIDATION, CASH, MAINTENANCE, INITIAL, BUYING_POWER)


def build_balances(account: str, summary: Mapping[str, Any], now: datetime) -> Balances:
    """Balances from `/portfolio/{accountId}/summary`. Net liquidation, cash and maintenance margin
    are required; a summary without them is not an answer the desk can use."""
    read = {key: _summary_value(summary.get(key)) for key in SUMMARY_KEYS}
    amounts = {key: (value.amount if value is not None else None) for key, value in read.items()}
    net, cash, maintenance = amounts[NET_LIQUIDATION], amounts[CASH], amounts[MAINTENANCE]
    if net is None or cash is None or maintenance is None:
        missing = [k for k in (NET_LIQUIDATION, CASH, MAINTENANCE) if amounts[k] is None]
        raise BrokerUnavailable(f"IBKR account summary without {', '.join(missing)}")
    stamps = [v.timestamp for v in read.values() if v is not None and v.timestamp]
    net_value = read[NET_LIQUIDATION]
    currency = net_value.currency if net_value is not None else None
    return Balances(
        account=account,
        currency=currency if currency and len(currency) == 3 and currency.isalpha() else "USD",
        net_liquidation=net,
        cash=cash,
        maintenance_margin=maintenance,
        initial_margin=amounts[INITIAL],
        buying_power=amounts[BUYING_POWER],
        as_of=datetime.fromtimestamp(max(stamps) / 1000, tz=UTC) if stamps else now,
    )


def _summary_value(raw: Any) -> SummaryValue | None:
    if not isinstance(raw, dict):
        return None
    try:
        value = SummaryValue.model_validate(raw)
    except ValidationError:
        return None
    if value.is_null or raw.get("isNone"):  # one IBKR example spells it isNone
        return None
    return value
