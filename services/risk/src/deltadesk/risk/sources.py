"""Build the beta chain the settings ask for, from the real adapters."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

from deltadesk.risk.adapters.beta_config import load_beta_config
from deltadesk.risk.adapters.tastytrade_metrics import TastytradeBetas
from deltadesk.risk.adapters.yahoo import YahooHistoryBetas, YahooPublishedBetas
from deltadesk.risk.betas import ChainLink, ConfigBetas
from deltadesk.risk.settings import BetaSourceName, RiskSettings
from deltadesk.shared.clock import Clock

logger = logging.getLogger(__name__)


async def open_beta_chain(
    settings: RiskSettings, clock: Clock, stack: AsyncExitStack, *, offline: bool = False
) -> tuple[list[ChainLink], ConfigBetas]:
    """The configured sources in order (sessions closed with `stack`), and the manual betas.
    `offline` keeps only beta_config.json."""
    config = load_beta_config(settings.beta_config_file)
    chain: list[ChainLink] = []
    for name in settings.beta_sources:
        if name is BetaSourceName.CONFIG:
            chain.append(config)
        elif offline:
            continue
        elif name is BetaSourceName.TASTYTRADE:
            secret, refresh = settings.tastytrade_provider_secret, settings.tastytrade_refresh_token
            if secret is None or refresh is None:
                logger.info("tastytrade beta source skipped: no credentials configured")
                continue
            tasty = TastytradeBetas(
                secret.get_secret_value(),
                refresh.get_secret_value(),
                sandbox=settings.tastytrade_sandbox,
                api_url=settings.tastytrade_api_url,
                timeout_s=settings.beta_timeout_s,
            )
            chain.append(await stack.enter_async_context(tasty))
        elif name is BetaSourceName.YFINANCE:
            chain.append(YahooPublishedBetas(timeout_s=settings.beta_timeout_s))
        elif name is BetaSourceName.YFINANCE_HISTORY:
            chain.append(
                YahooHistoryBetas(clock, window=settings.beta_history_days, timeout_s=settings.beta_timeout_s)
            )
    return chain, config
