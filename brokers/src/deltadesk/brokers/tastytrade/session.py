"""The OAuth session with Tastytrade: the SDK's `Session`, pointed where the settings say.

Credentials are an OAuth client secret and a refresh token (seed R-002); the SDK refreshes the 15-min
access token itself before each request. `sandbox` selects Tastytrade's certification environment.

`api_url` (a local fake, for trying the adapter) is applied the way the SDK's own `PaperSession`
does it: the SDK builds its httpx client with `base_url` taken from module constants, and passing
`base_url` again in its client kwargs is a TypeError, so the constructed client's public `base_url`
setter is used instead. The streamer needs nothing more: `/api-quote-tokens` names its URL.

Every answer that is not a success raises `ApiError` through an httpx response hook (see errors.py),
and every request times out after `timeout_s`.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx2
from tastytrade import Session

from deltadesk.brokers.settings import BrokerSettings
from deltadesk.brokers.tastytrade.errors import raise_for_api_error
from deltadesk.shared.errors import BrokerUnavailable

# The SDK sets its logger to DEBUG when imported, so every DXLink message would reach the desk's
# handlers; hand the level back to the desk's logging configuration.
logging.getLogger("tastytrade").setLevel(logging.NOTSET)


def _user_agent() -> str:
    # Tastytrade answers 401 without a `product/version` User-Agent.
    try:
        return f"deltadesk/{version('deltadesk-brokers')}"
    except PackageNotFoundError:
        return "deltadesk/0"


USER_AGENT = _user_agent()


class TastytradeSession(Session):
    def __init__(
        self,
        provider_secret: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        api_url: str | None = None,
        timeout_s: float = 10.0,
        **client_kwargs: Any,
    ) -> None:
        if not provider_secret or not refresh_token:
            # The SDK would fall back to $TT_SECRET / $TT_REFRESH; the desk reads only its own settings.
            raise BrokerUnavailable("tastytrade: the provider secret and refresh token are not configured")
        hooks: dict[str, list[Any]] = {k: list(v) for k, v in client_kwargs.pop("event_hooks", {}).items()}
        hooks["response"] = [raise_for_api_error, *hooks.get("response", [])]
        super().__init__(
            provider_secret,
            refresh_token,
            is_test=sandbox,
            timeout=timeout_s,
            event_hooks=hooks,
            **client_kwargs,
        )
        self.sandbox = sandbox
        if api_url:
            self._client.base_url = httpx2.URL(api_url.rstrip("/"))
        self._client.headers["User-Agent"] = USER_AGENT

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)


def open_session(settings: BrokerSettings, **client_kwargs: Any) -> TastytradeSession:
    """The session the settings describe (not yet connected: the first request logs in)."""
    secret, refresh = settings.tastytrade_provider_secret, settings.tastytrade_refresh_token
    return TastytradeSession(
        secret.get_secret_value() if secret else "",
        refresh.get_secret_value() if refresh else "",
        sandbox=settings.tastytrade_sandbox,
        api_url=settings.tastytrade_api_url,
        timeout_s=settings.broker_timeout_s,
        **client_kwargs,
    )
