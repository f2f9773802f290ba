"""Post-trade Greeks of a proposed order: the account as it stands, the order's legs alone, and both
together, weighed exactly like positions, with every limit evaluated on the result.

The broker's what-if gives margin, never Greeks (seed R-003), so this is where a simulation's Greeks
come from. No fresh SPX price, no answer: a simulation never shows a number risk would not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from deltadesk.risk.domain.assessment import AccountView, fresh_price, priced, quote_prices
from deltadesk.risk.domain.greeks import weigh_numbers
from deltadesk.risk.domain.limits import evaluate_limits
from deltadesk.risk.domain.matrix import RiskMatrix
from deltadesk.risk.domain.regime import classify_vix
from deltadesk.shared.broker import SPX, VIX
from deltadesk.shared.errors import InvalidMarketData
from deltadesk.shared.portfolio import Beta, PortfolioGreeks
from deltadesk.shared.positions import Position
from deltadesk.shared.simulation import RiskWhatIf


def what_if(
    view: AccountView,
    legs: Sequence[Position],
    *,
    betas: Mapping[str, Beta],
    matrix: RiskMatrix,
    now: datetime,
    spx_max_age_s: float,
) -> RiskWhatIf:
    spx, problem = fresh_price(view.quotes, SPX, now, spx_max_age_s)
    if spx is None:
        raise InvalidMarketData(f"no post-trade Greeks: {problem or 'SPX price unavailable'}")
    vix, _ = fresh_price(view.quotes, VIX, now, spx_max_age_s)
    regime = None
    if vix is not None:
        try:
            regime = classify_vix(vix, matrix.vix_regimes)
        except InvalidMarketData:
            regime = None
    prices = quote_prices(view.quotes)

    def weigh(positions: Sequence[Position]) -> PortfolioGreeks:
        return weigh_numbers(((p, priced(p, prices)) for p in positions), betas, spx)[1]

    post = weigh((*view.positions, *legs))
    return RiskWhatIf(
        account=view.account,
        pre_trade=weigh(view.positions),
        post_trade=post,
        order=weigh(legs),
        checks=evaluate_limits(post, matrix.limits_for(regime)),
        spx_price=spx,
        vix=vix,
        regime=regime,
    )
