"""The gateway's settings: where the page listens, who may log in, and how it waits for its peers."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from deltadesk.shared.settings import DeskSettings


class GatewaySettings(DeskSettings):
    gateway_host: str = Field(
        default="127.0.0.1",
        description="Address the web page listens on. Anything but loopback needs DELTADESK_UI_PASSWORD set "
        "(and TLS in front, with DELTADESK_GATEWAY_COOKIE_SECURE=true).",
    )
    gateway_port: int = Field(
        default=8000, ge=1, le=65535, description="TCP port of the web page and its API."
    )
    gateway_keepalive_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between keep-alive comments on an idle /api/stream, so proxies keep it open.",
    )
    gateway_stale_after_s: float = Field(
        default=30.0,
        gt=0,
        description="The page marks the Greeks stale when no risk update arrived for this many seconds.",
    )
    gateway_shutdown_timeout_s: int = Field(
        default=5,
        ge=1,
        description="On stop, seconds to wait for open requests before they are cancelled.",
    )
    ui_password: SecretStr | None = Field(
        default=None,
        description="Password of the page's one user. Unset: `deltadesk up` generates one on first start, "
        "prints it once and keeps only its argon2 hash. Required to listen on anything but 127.0.0.1.",
    )
    ui_user: str = Field(
        default="trader",
        min_length=1,
        max_length=64,
        description="Name of the page's one user, written on every approval it signs.",
    )
    gateway_session_idle_s: float = Field(
        default=8 * 3600.0, gt=0, description="A login ends after this many seconds without a request."
    )
    gateway_session_max_s: float = Field(
        default=24 * 3600.0, gt=0, description="A login ends this many seconds after it began, however busy."
    )
    gateway_cookie_secure: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only): set it behind a TLS proxy.",
    )
    gateway_approval_ttl_s: float = Field(
        default=60.0,
        gt=0,
        le=300,
        description="Seconds an approval stays valid once the trader confirms (never beyond its simulation).",
    )
    gateway_request_timeout_s: float = Field(
        default=5.0, gt=0, description="Seconds to wait for execution or market-data to answer a request."
    )
    gateway_simulate_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds to wait for a simulation (execution allows the broker's what-if 10 s of them).",
    )

    @property
    def password_hash_file(self) -> Path:
        """Where `deltadesk up` keeps the argon2 hash of the generated password."""
        return self.data_dir / "gateway" / "ui-password.argon2"
