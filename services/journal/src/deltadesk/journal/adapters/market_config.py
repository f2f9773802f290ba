"""The betas and VIX regimes seeded history is weighed with, from the config folder: the demo
market's underlyings in beta_config.json and the regimes of risk_matrix.yaml (risk's defaults
when the file is missing), read with risk's own readers so both weigh alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deltadesk.paper_venue.domain.demo import DEMO_SHARES
from deltadesk.risk.adapters.beta_config import load_beta_config
from deltadesk.risk.adapters.risk_matrix import load_risk_matrix
from deltadesk.risk.domain.beta import beta_key
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX
from deltadesk.risk.domain.regime import VixRegimes
from deltadesk.shared.portfolio import Beta


@dataclass(frozen=True)
class MarketConfig:
    betas: dict[str, Beta]
    regimes: VixRegimes


def load_market_config(config_dir: Path) -> MarketConfig:
    config = load_beta_config(config_dir / "beta_config.json")
    betas = {}
    for spec in DEMO_SHARES:
        key = beta_key(spec.symbol, spec.instrument)
        found = config.lookup(key)
        if found is not None:
            betas[key] = found
    matrix = load_risk_matrix(config_dir / "risk_matrix.yaml") or DEFAULT_MATRIX
    return MarketConfig(betas=betas, regimes=matrix.vix_regimes)
