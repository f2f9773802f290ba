"""The gateway's settings: where the page listens and how it treats a quiet bus."""

from __future__ import annotations

from pydantic import Field

from deltadesk.shared.settings import DeskSettings


class GatewaySettings(DeskSettings):
    gateway_host: str = Field(
        default="127.0.0.1",
        description="Address the web page listens on; keep it on loopback unless a login proxy is in front.",
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
