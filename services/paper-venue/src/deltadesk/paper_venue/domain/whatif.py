"""What-if: an order's effect on the paper account's margin, equity and buying power; nothing is placed.

The order is priced as if it filled in full now at the natural price (buy legs at the ask, sell legs at
the bid) with its commission, and the account's strategy-based margin (`margin`) is taken with and
without it. Equity with loan is the net liquidation here; buying power is net liquidation minus initial
margin, so its change is the change of equity minus the change of initial margin. Warnings say why the
venue would reject the order now, and when a limit order would rest rather than fill.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from deltadesk.paper_venue.domain.account import Account
from deltadesk.paper_venue.domain.admission import contracts_of, fill_now, rejection
from deltadesk.paper_venue.domain.market import MarketState
from deltadesk.paper_venue.domain.matching import is_marketable, net_price
from deltadesk.paper_venue.domain.rules import VenueRules
from deltadesk.shared.orders import Order, WhatIf


def what_if(
    state: MarketState, account: Account, order: Order, held: Collection[str], rules: VenueRules
) -> WhatIf:
    fill = fill_now(state, account, order, contracts_of(state, order, held), rules)
    before, after = fill.before, fill.after
    assert before.initial_margin is not None
    assert after.initial_margin is not None
    assert before.buying_power is not None
    assert after.buying_power is not None
    warnings = []
    reason = rejection(state, account, order, held, rules)
    if reason is not None:
        warnings.append(f"the paper venue would reject this order: {reason}")
    natural = net_price(order, fill.prices)
    if not is_marketable(order, natural):
        warnings.append(
            f"the limit {order.limit_price} is not marketable against the natural price {natural}: "
            "the order would rest until the market reaches it"
        )
    return WhatIf(
        initial_margin_before=before.initial_margin,
        initial_margin_change=after.initial_margin - before.initial_margin,
        initial_margin_after=after.initial_margin,
        maintenance_margin_before=before.maintenance_margin,
        maintenance_margin_change=after.maintenance_margin - before.maintenance_margin,
        maintenance_margin_after=after.maintenance_margin,
        equity_with_loan_after=after.net_liquidation,
        buying_power_change=after.buying_power - before.buying_power,
        commission=sum((t.commission for t in fill.trades), Decimal("0.00")),
        warnings=tuple(warnings),
    )
