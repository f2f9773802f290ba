"""Settings every service shares, from `DELTADESK_*` environment variables (and `.env`).

Each service has one subclass, built once at its entry point; no module reads os.environ itself.
`.env.example` lists every variable of every settings class, and a test keeps it that way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from deltadesk.shared.subjects import check_token


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DELTADESK_", env_file=".env", extra="ignore")

    nats_url: str | None = Field(
        default=None,
        description="NATS server with JetStream. Unset: `deltadesk up` starts an embedded one.",
    )
    data_dir: Path = Field(
        default=Path(".deltadesk"), description="Where embedded servers and local state keep their data."
    )
    config_dir: Path = Field(
        default=Path("config"), description="Folder holding risk_matrix.yaml and beta_config.json."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level of every service."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: one JSON object per line; text: for reading; auto: text on a terminal, else json.",
    )
    approval_key_dir: Path | None = Field(
        default=None,
        description="Folder of the approval key pair (the gateway reads the private key, execution and the "
        "paper venue the public one). Unset: keys/ in the data folder, created by `deltadesk up`.",
    )
    paper_account_id: str = Field(
        default="PAPER", description="Account id of the paper broker (the default broker)."
    )

    @field_validator("paper_account_id")
    @classmethod
    def _token(cls, value: str) -> str:
        check_token("paper_account_id", value)
        if value == "total":
            raise ValueError("`total` is reserved for the sum of all accounts")
        return value

    @property
    def approval_keys(self) -> Path:
        return self.approval_key_dir or self.data_dir / "keys"

    def require_nats_url(self) -> str:
        if not self.nats_url:
            raise RuntimeError("DELTADESK_NATS_URL is not set (only `deltadesk up` starts an embedded NATS)")
        return self.nats_url
