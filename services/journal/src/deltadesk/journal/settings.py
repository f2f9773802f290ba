"""The journal's settings, from `DELTADESK_*` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr

from deltadesk.shared.settings import DeskSettings


class JournalSettings(DeskSettings):
    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL (or TimescaleDB) URL of the journal, e.g. postgresql://user:pass@host/db. "
        "Unset: `deltadesk up` starts an embedded PostgreSQL under the data folder.",
    )
    snapshot_interval_seconds: float = Field(
        default=900.0,
        gt=0,
        description="Seconds between two account snapshots (on a grid: 900 = :00, :15, …).",
    )
    snapshot_max_age_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Oldest risk update or balance a snapshot still uses; older counts as missing, "
        "never as the current value.",
    )
    journal_pool_size: int = Field(
        default=5, ge=1, le=100, description="Most connections the journal holds open to its database."
    )
    journal_db_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the database at start and for a free connection."
    )

    def require_database_url(self) -> str:
        if self.database_url is None or not self.database_url.get_secret_value():
            raise RuntimeError(
                "DELTADESK_DATABASE_URL is not set (only `deltadesk up` starts an embedded PostgreSQL)"
            )
        return self.database_url.get_secret_value()
