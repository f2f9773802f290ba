"""One expiry's option chain: every listed strike with both rights, quoted by the model.

The rows are the listed strike grid (`listing`) at the current price, ascending. Each side carries a
tick-correct bid, ask and last, per-unit Greeks and the model's IV. For SPX the chain is of the
expiry's default class (`SPX` on a monthly, `SPXW` otherwise); asking for `SPXW` gives the PM-settled
class on a monthly too.
"""

from __future__ import annotations

from datetime import date, datetime

from deltadesk.paper_venue.domain.listing import class_named, listed_strikes
from deltadesk.paper_venue.domain.market import MarketState, spot
from deltadesk.paper_venue.domain.quoting import contract_quote
from deltadesk.paper_venue.domain.resolution import check_expiry, choose_class, class_option
from deltadesk.shared.instruments import InstrumentType, Right
from deltadesk.shared.orders import ChainRow, OptionChain


def option_chain(
    state: MarketState, underlying: str, expiry: date, instrument: InstrumentType, as_of: datetime
) -> OptionChain:
    cls, wanted_class = class_named(state, underlying, instrument)
    check_expiry(state, cls, expiry)
    trading_class = choose_class(cls, expiry, wanted_class)
    rows = tuple(
        ChainRow(
            strike=strike,
            call=contract_quote(state, class_option(cls, trading_class, expiry, Right.CALL, strike), as_of),
            put=contract_quote(state, class_option(cls, trading_class, expiry, Right.PUT, strike), as_of),
        )
        for strike in listed_strikes(state, cls)
    )
    return OptionChain(
        underlying=cls.underlying,
        instrument=instrument,
        expiry=expiry,
        underlying_price=spot(state, cls.priced_by),
        rows=rows,
        as_of=as_of,
    )
