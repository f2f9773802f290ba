"""An account's risk at one moment: its positions priced from its quote feed, weighed, checked
against the limits of the VIX regime, as the RiskUpdated to publish and the breach events.

No Greeks are aggregated without a fresh SPX price (seed T020): the update is then `halted` with
the reason, and active breaches are carried unchanged, since nothing is known to have cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from deltadesk.risk.domain.beta import beta_key, economic_beta
from deltadesk.risk.domain.greeks import weigh_positions
from deltadesk.risk.domain.limits import check_limits, transition_breaches
from deltadesk.risk.domain.matrix import TOTAL, RiskMatrix
from deltadesk.risk.domain.regime import classify_vix
from deltadesk.shared.broker import SPX, VIX
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.events import LimitBreached, LimitCleared, RiskUpdated
from deltadesk.shared.portfolio import ActiveBreach, Beta, RiskStatus
from deltadesk.shared.positions import Position
from deltadesk.shared.quotes import Quote

SPX_UNAVAILABLE = "SPX price unavailable"


@dataclass(frozen=True)
class AccountView:
    """The latest inputs of one account (or of `total`, all accounts together)."""

    account: str
    positions: tuple[Position, ...]
    positions_as_of: datetime | None
    quotes: Mapping[str, Quote]  # by symbol
    net_liquidation: Decimal | None
    accounts: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    update: RiskUpdated
    breached: tuple[LimitBreached, ...] = ()
    cleared: tuple[LimitCleared, ...] = ()


def latest_quotes(quotes: Iterable[Quote]) -> dict[str, Quote]:
    """One quote per symbol: the newest, whichever feed it came from."""
    found: dict[str, Quote] = {}
    for quote in quotes:
        held = found.get(quote.symbol)
        if held is None or quote.as_of > held.as_of:
            found[quote.symbol] = quote
    return found


def combine(views: Sequence[AccountView]) -> AccountView:
    """All accounts as one (`total`): every position, the newest quote of each symbol, the sum of
    net liquidation (with a warning naming any account whose balances are not known yet)."""
    missing = [v.account for v in views if v.net_liquidation is None]
    known = [v.net_liquidation for v in views if v.net_liquidation is not None]
    warnings = []
    if missing and known:
        warnings.append(f"net liquidation leaves out {', '.join(missing)}: no balances yet")
    as_of = [v.positions_as_of for v in views if v.positions_as_of is not None]
    return AccountView(
        account=TOTAL,
        positions=tuple(p for v in views for p in v.positions),
        positions_as_of=min(as_of) if as_of else None,
        quotes=latest_quotes(q for v in views for q in v.quotes.values()),
        net_liquidation=sum(known, Decimal(0)) if known else None,
        accounts=tuple(v.account for v in views),
        warnings=tuple(warnings),
    )


def quote_price(quotes: Mapping[str, Quote], symbol: str) -> float | None:
    quote = quotes.get(symbol)
    price = quote.price if quote is not None else None
    return float(price) if price is not None else None


def fresh_price(
    quotes: Mapping[str, Quote], symbol: str, now: datetime, max_age_s: float
) -> tuple[float | None, str | None]:
    """The symbol's price if its quote is fresh enough, else None and why (`SPX price stale: 75 s old`)."""
    quote = quotes.get(symbol)
    price = quote.price if quote is not None else None
    if quote is None or price is None:
        return None, f"{symbol} price unavailable"
    age = quote.age_seconds(now)
    if age > max_age_s:
        return None, f"{symbol} price stale: {int(age)} s old"
    return float(price), None


def underlying_price(position: Position, quotes: Mapping[str, Quote]) -> float | None:
    """The price the position's Greeks are taken against: the feed's quote of the contract that
    prices it, else what the broker reported with the position; never its strike (seed T005)."""
    return priced(position, quote_prices(quotes))


def quote_prices(quotes: Mapping[str, Quote]) -> dict[str, float]:
    """Every quote's reference price as a float, for the symbols that have one."""
    found = {}
    for symbol, quote in quotes.items():
        price = quote.price
        if price is not None:
            found[symbol] = float(price)
    return found


def priced(position: Position, prices: Mapping[str, float]) -> float | None:
    quoted = prices.get(position.underlying_contract or position.underlying)
    return quoted if quoted is not None else position.underlying_price


def beta_keys(positions: Iterable[Position]) -> frozenset[str]:
    """The underlyings whose beta a source must give (economic ones need none)."""
    keys = {beta_key(p.underlying, p.instrument) for p in positions}
    return frozenset(k for k in keys if economic_beta(k) is None)


def assess(
    view: AccountView,
    *,
    betas: Mapping[str, Beta],
    matrix: RiskMatrix,
    previous_breaches: Sequence[ActiveBreach],
    now: datetime,
    spx_max_age_s: float,
    new_id: Callable[[], UUID],
    warnings: Sequence[str] = (),
) -> Assessment:
    notes = [*warnings, *view.warnings]
    spx, halt_reason = fresh_price(view.quotes, SPX, now, spx_max_age_s)
    vix, vix_problem = fresh_price(view.quotes, VIX, now, spx_max_age_s)
    regime = None
    if vix is not None:
        try:
            regime = classify_vix(vix, matrix.vix_regimes)
        except InvalidMarketData as exc:
            vix_problem = str(exc)
    if vix_problem is not None:
        notes.append(f"{vix_problem}: regime unknown, base limits apply")
    reported_vix = vix if vix is not None else quote_price(view.quotes, VIX)
    common = {
        "event_id": new_id(),
        "occurred_at": now,
        "account": view.account,
        "spx_price": spx,
        "vix": reported_vix,
        "regime": regime,
        "net_liquidation": view.net_liquidation,
        "positions_as_of": view.positions_as_of,
        "accounts": view.accounts,
    }
    if spx is None:
        update = RiskUpdated(
            **common,
            status=RiskStatus.HALTED,
            halt_reason=halt_reason or SPX_UNAVAILABLE,
            greeks=None,
            positions=(),
            warnings=tuple(notes),
            breaches=tuple(previous_breaches),
        )
        return Assessment(update)
    prices = quote_prices(view.quotes)  # once per update, not once per position
    portfolio = weigh_positions(((p, priced(p, prices)) for p in view.positions), betas, spx)
    limits = matrix.limits_for(regime)
    current = check_limits(portfolio.greeks, limits, now) if matrix.checks(view.account) else ()
    transition = transition_breaches(
        previous_breaches,
        current,
        greeks=portfolio.greeks,
        limits=limits,
        account=view.account,
        regime=regime,
        now=now,
        new_id=new_id,
    )
    update = RiskUpdated(
        **common,
        status=RiskStatus.OK,
        greeks=portfolio.greeks,
        positions=portfolio.positions,
        warnings=(*notes, *portfolio.warnings),
        breaches=transition.active,
    )
    return Assessment(update, transition.breached, transition.cleared)
