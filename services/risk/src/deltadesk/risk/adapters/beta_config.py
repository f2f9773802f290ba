"""Read config/beta_config.json: manual betas keyed by underlying (`{"KO": 0.58, "MES": 1.0}`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from deltadesk.risk.betas import ConfigBetas
from deltadesk.risk.domain.beta import config_betas

logger = logging.getLogger(__name__)


class BetaConfigError(ValueError):
    """beta_config.json exists but cannot be used: the service must not start on a typo."""


def load_beta_config(path: Path) -> ConfigBetas:
    """The manual betas of the file; none (with a warning) when the file does not exist."""
    if not path.exists():
        logger.warning("beta config not found; no manual betas", extra={"path": str(path)})
        return ConfigBetas({})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ConfigBetas(config_betas(data, method=f"manual, {path.as_posix()}"))
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise BetaConfigError(f"{path}: {exc}") from exc
