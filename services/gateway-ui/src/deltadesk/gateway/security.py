"""Response headers that keep the page from being framed, sniffed, or running code from elsewhere.

The page will carry order approvals, so clickjacking and injected scripts matter: scripts, styles
and connections are limited to this origin, and nothing may frame it.

The History charts keep it so: plotly.js (served from its wheel) draws scatter charts without eval,
so no 'unsafe-eval'; it sets styles through the CSSOM (allowed), and the two inline <style> elements
it would add are avoided, not allowed: its own rules go into an empty same-origin sheet the page
links under the id plotly looks for, and the maplibre sheet it injects at load is skipped because
the page holds an element with that sheet's id (assets.plotly_style_guards). No 'unsafe-inline'.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which would buffer the event stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
