"""Read config/risk_matrix.yaml into the domain's RiskMatrix."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from deltadesk.risk.domain.matrix import RiskMatrix


class RiskMatrixError(ValueError):
    """risk_matrix.yaml exists but cannot be used: the service must not run on limits it misread."""


def load_risk_matrix(path: Path) -> RiskMatrix | None:
    """The matrix in the file, or None when there is no file (the caller falls back and warns)."""
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RiskMatrix.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise RiskMatrixError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise RiskMatrixError(f"{path}: {reasons}") from exc
