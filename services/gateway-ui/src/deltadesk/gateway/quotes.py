"""The order builder's market: each leg's quote and the combo's prices, option expiries, and chains."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from deltadesk.gateway.context import Orders
from deltadesk.gateway.domain.accounts import parse_account_field
from deltadesk.gateway.domain.combo import PricedLeg, combo_prices
from deltadesk.gateway.errors import PeerFailed
from deltadesk.gateway.responses import ExpiriesOut, LegQuote, LegQuotesBody, LegQuotesOut, error_responses
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import OptionChain

router = APIRouter(prefix="/api", tags=["market"])

Account = Annotated[str, Query(min_length=1, max_length=64, description="The account whose broker answers.")]
Underlying = Annotated[str, Query(min_length=1, max_length=32, description="e.g. SPX, SPY, AAPL, /ES")]
OptionKind = Annotated[
    InstrumentType, Query(description="OPT for equity, ETF and index options; FOP for options on futures.")
]


@router.post(
    "/quotes/legs",
    response_model=LegQuotesOut,
    responses=error_responses(401, 403, 422, 502, 503),
    summary="Quote the builder's legs",
)
async def quote_legs(body: LegQuotesBody, orders: Orders) -> LegQuotesOut:
    """Each leg resolved at the account's broker (a future without expiry: the front month) with its
    bid, ask, last and mid; a leg that cannot be quoted says why and never blocks the others."""
    parse_account_field(body.account)
    reply = await orders.link.quote_legs(body.account, body.legs)
    if not len(reply.quotes) == len(reply.errors) == len(body.legs):
        raise PeerFailed(
            f"market-data answered {len(reply.quotes)} quotes and {len(reply.errors)} errors "
            f"for {len(body.legs)} legs"
        )
    quotes = tuple(None if q is None else LegQuote.from_quote(q) for q in reply.quotes)
    priced = [
        PricedLeg(leg.action, leg.quantity, None if q is None else q.bid, None if q is None else q.ask)
        for leg, q in zip(body.legs, quotes, strict=True)
    ]
    return LegQuotesOut(quotes=quotes, errors=reply.errors, combo=combo_prices(priced))


@router.get(
    "/expiries",
    response_model=ExpiriesOut,
    responses=error_responses(401, 422, 502, 503),
    summary="Option expiries",
)
async def expiries(
    orders: Orders, account: Account, underlying: Underlying, instrument: OptionKind = InstrumentType.OPT
) -> ExpiriesOut:
    parse_account_field(account)
    reply = await orders.link.expiries(account, underlying, instrument)
    return ExpiriesOut(account=account, underlying=underlying, instrument=instrument, expiries=reply.expiries)


@router.get(
    "/chain",
    response_model=OptionChain,
    responses=error_responses(401, 422, 502, 503),
    summary="A strike chain",
)
async def chain(
    orders: Orders,
    account: Account,
    underlying: Underlying,
    expiry: Annotated[date, Query(description="One listed expiry (GET /api/expiries).")],
    instrument: OptionKind = InstrumentType.OPT,
) -> OptionChain:
    """Both rights per strike with bid, ask, last, delta and IV, sorted by strike."""
    parse_account_field(account)
    return await orders.link.chain(account, underlying, expiry, instrument)
