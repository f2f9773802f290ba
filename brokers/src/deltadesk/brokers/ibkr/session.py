"""One conversation with a Client Portal gateway: TLS, authentication, keep-alive, pre-flights,
pacing, and the translation of every transport and HTTP failure into the desk's errors.

Failures are mapped here, in one place (`_exchange` and `_answer`):

    connection refused, TLS refused, no connection in time  → BrokerUnavailable (nothing was sent)
    timeout or dropped connection after sending             → BrokerUnavailable, or for an order
                                                              OrderStateUnknown (never retried)
    401                                                     → re-authenticate and retry a read once;
                                                              an order: BrokerUnavailable (refused)
    "Please query /accounts first" (any status; by text)    → query /iserver/accounts, retry once
    429                                                     → BrokerUnavailable, and no request at
                                                              all for `penalty_cooldown_s`
    5xx                                                     → BrokerUnavailable; an order:
                                                              OrderStateUnknown
    other 4xx, or 200 with {"error": …}                     → BrokerRejected with IBKR's words
                                                              (an order's refusal is read by `place`)

Authentication (IBKR "Authentication FAQ"): `POST /iserver/auth/status`. `competing` means another
platform holds the brokerage session: a clear BrokerUnavailable, never a fight over it.
`connected` but not `authenticated` means the brokerage session timed out: `POST
/iserver/auth/ssodh/init {"publish": true, "compete": true}` re-opens it, falling back to the
deprecated `/iserver/reauthenticate` that ibeam still uses (Voyz/ibeam#174: ssodh/init can answer
410/503). Not connected means nobody logged in: that takes a person at the gateway's login page.
After every (re-)authentication `GET /iserver/accounts` runs again, and `epoch` moves on so the
adapter forgets what IBKR forgets with a session (searched underlyings, market-data streams).

TLS: the gateway serves a self-signed certificate. It is accepted only when the configured gateway
host is this machine (`localhost`, `127.0.0.1`, `::1`): only that hop is insecure and the gateway
itself talks TLS to IBKR. Any other host gets normal certificate verification.

Order requests (`order=True`) hold the session exclusively: IBKR cancels an order waiting for its
reply confirmation when another request arrives in between, so reads wait while an order is being
placed and confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from deltadesk.brokers.ibkr.pacing import Pacer, Rate
from deltadesk.brokers.ibkr.tuning import IbkrTuning
from deltadesk.brokers.ibkr.wire import PORTFOLIO_ACCOUNTS, AuthStatus, BrokerageAccounts, Tickle, parse
from deltadesk.brokers.settings import BrokerSettings
from deltadesk.shared.errors import BrokerError, BrokerRejected, BrokerUnavailable, OrderStateUnknown

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ACCOUNTS_FIRST = "/accounts first"  # "Please query /accounts first", with 400, 500 or 503


def is_local_host(url: str) -> bool:
    return httpx.URL(url).host.lower() in LOCAL_HOSTS


class _NotAuthenticated(Exception):
    """HTTP 401: the gateway has no authenticated session."""


class _AccountsFirst(Exception):
    """The gateway wants `GET /iserver/accounts` before this request."""


class RequestGate:
    """Readers share the session; an order holds it alone, from its POST to its last reply."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            async with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._writer)
            self._writer = True
            try:
                await self._cond.wait_for(lambda: self._readers == 0)
            except BaseException:
                self._writer = False
                self._cond.notify_all()
                raise
        try:
            yield
        finally:
            async with self._cond:
                self._writer = False
                self._cond.notify_all()


class GatewaySession:
    def __init__(
        self,
        settings: BrokerSettings,
        tuning: IbkrTuning,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.ibkr_account_id:
            raise ValueError("the IBKR adapter needs DELTADESK_IBKR_ACCOUNT_ID")
        self.account: str = settings.ibkr_account_id
        self.base_url = settings.ibkr_gateway_url.rstrip("/")
        url = httpx.URL(self.base_url)
        self.login_url = f"{url.scheme}://{url.netloc.decode()}/"
        self._timeout = settings.broker_timeout_s
        self._tuning = tuning
        self._clock = clock
        self._tickle_interval = settings.ibkr_tickle_interval_s
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            verify=not is_local_host(self.base_url),
            timeout=httpx.Timeout(settings.broker_timeout_s),
            headers={"User-Agent": "deltadesk"},
        )
        self._pacer = Pacer(
            Rate(per_second=tuning.requests_per_second or settings.ibkr_requests_per_second),
            endpoint_rates=tuning.endpoint_rates,
            clock=clock,
        )
        self._gate = RequestGate()
        self._auth_lock = asyncio.Lock()
        self._authenticated = False
        self._accounts_ready = False
        self._portfolio_epoch = -1
        self._blocked_until = float("-inf")
        self._tickler: asyncio.Task[None] | None = None
        self._closed = False
        self.epoch = 0  # moves on with every new brokerage session

    # ── public ────────────────────────────────────────────────────────────────────────────────────
    async def get(self, template: str, *, path: Mapping[str, object] | None = None, **params: Any) -> Any:
        return await self.request("GET", template, path=path, params=params or None)

    async def post(self, template: str, body: Any, *, path: Mapping[str, object] | None = None) -> Any:
        return await self.request("POST", template, path=path, body=body)

    async def request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        order: bool = False,
        portfolio: bool = False,
    ) -> Any:
        """One gateway request after the session's pre-flights; retried once only after a 401 (reads)
        or an "/accounts first" refusal (which IBKR gives before it looks at the request)."""
        for attempt in (1, 2):
            await self.ready(portfolio=portfolio, exclusive=order)
            try:
                return await self._exchange(
                    method, template, path=path, params=params, body=body, order=order, gated=not order
                )
            except _NotAuthenticated as exc:
                self._stale(f"HTTP 401 on {template}")
                if order:
                    raise BrokerUnavailable(
                        f"IBKR gateway not authenticated (401): the order was not sent; {exc}"
                    ) from exc
                if attempt == 2:
                    raise BrokerUnavailable(
                        f"IBKR gateway still answers 401 after re-authenticating: {exc}"
                    ) from exc
            except _AccountsFirst as exc:
                self._accounts_ready = False
                if attempt == 2:
                    raise BrokerUnavailable(
                        f"IBKR gateway still asks to query /accounts first: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the session for one order: no other request goes out until it is answered."""
        await self.ready()
        async with self._gate.exclusive():
            yield

    async def ready(self, *, portfolio: bool = False, exclusive: bool = False) -> None:
        """Authenticated, accounts queried (and for /portfolio calls, portfolio accounts queried).

        An order already holds the session exclusively (`exclusive`): it neither waits for the gate
        nor for the auth lock, which a reader may hold while it waits for that very gate.
        """
        lock: contextlib.AbstractAsyncContextManager[Any] = (
            contextlib.nullcontext() if exclusive else self._auth_lock
        )
        if not (self._authenticated and self._accounts_ready):
            async with lock:
                if not self._authenticated:
                    await self._authenticate(gated=not exclusive)
                    self._authenticated = True
                    self._accounts_ready = False
                if not self._accounts_ready:
                    await self._query_accounts(gated=not exclusive)
                    self._accounts_ready = True
                    self.epoch += 1
                self._start_keep_alive()
        if portfolio and self._portfolio_epoch != self.epoch:
            async with lock:
                if self._portfolio_epoch != self.epoch:
                    data = await self._call_raw("GET", "/portfolio/accounts", gated=not exclusive)
                    accounts = parse(PORTFOLIO_ACCOUNTS, data, "/portfolio/accounts")
                    ids = {a.id or a.account_id for a in accounts}
                    if self.account not in ids:
                        known = sorted(i for i in ids if i)
                        raise BrokerUnavailable(
                            f"IBKR portfolio accounts {known} do not include {self.account}"
                        )
                    self._portfolio_epoch = self.epoch

    async def close(self) -> None:
        self._closed = True
        if self._tickler is not None:
            self._tickler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tickler
            self._tickler = None
        await self._http.aclose()

    # ── authentication ────────────────────────────────────────────────────────────────────────────
    async def _authenticate(self, *, gated: bool) -> None:
        status = await self._auth_status(gated=gated)
        if status.healthy:
            return
        self._check_competing(status)
        if not status.connected:
            raise BrokerUnavailable(
                f"IBKR gateway at {self.base_url} is running but nobody is logged in: open {self.login_url} "
                "in a browser on the gateway's machine and log in"
            )
        logger.warning(
            "ibkr brokerage session not authenticated; re-authenticating", extra={"url": self.base_url}
        )
        if await self._reopen(gated=gated):
            return
        for _ in range(self._tuning.reauth_checks):
            await asyncio.sleep(self._tuning.reauth_check_s)
            status = await self._auth_status(gated=gated)
            if status.healthy:
                return
            self._check_competing(status)
        raise BrokerUnavailable(
            f"IBKR brokerage session did not re-authenticate; log in again at {self.login_url}"
        )

    async def _reopen(self, *, gated: bool) -> bool:
        """ssodh/init, else the deprecated reauthenticate. True when the answer says authenticated."""
        try:
            data = await self._call_raw(
                "POST", "/iserver/auth/ssodh/init", body={"publish": True, "compete": True}, gated=gated
            )
        except BrokerError as exc:
            logger.warning("ibkr ssodh/init failed; trying reauthenticate", extra={"reason": str(exc)})
            await self._call_raw("POST", "/iserver/reauthenticate", body={}, gated=gated)
            return False
        try:
            status = AuthStatus.model_validate(data)
        except ValidationError:
            return False
        self._check_competing(status)
        return status.healthy

    async def _auth_status(self, *, gated: bool) -> AuthStatus:
        data = await self._call_raw("POST", "/iserver/auth/status", body={}, gated=gated)
        status: AuthStatus = parse(AuthStatus, data, "/iserver/auth/status")
        return status

    def _check_competing(self, status: AuthStatus) -> None:
        if status.competing:
            raise BrokerUnavailable(
                "IBKR brokerage session is competing: another platform (TWS, mobile, another gateway) holds "
                "it for this user; log out there or log in again at " + self.login_url
            )

    async def _query_accounts(self, *, gated: bool) -> None:
        data = await self._call_raw("GET", "/iserver/accounts", gated=gated)
        accounts = parse(BrokerageAccounts, data, "/iserver/accounts")
        if self.account not in accounts.accounts:
            raise BrokerUnavailable(
                f"IBKR gateway session has no account {self.account} (it has {accounts.accounts or 'none'})"
            )
        if len(accounts.accounts) > 1 and accounts.selected_account != self.account:
            await self._call_raw("POST", "/iserver/account", body={"acctId": self.account}, gated=gated)

    async def _call_raw(self, method: str, template: str, *, body: Any = None, gated: bool) -> Any:
        """A session-management request: no pre-flight of its own; a 401 is an outage here."""
        try:
            return await self._exchange(method, template, body=body, gated=gated)
        except _NotAuthenticated as exc:
            raise BrokerUnavailable(
                f"IBKR gateway answered 401 to {template}: log in at {self.login_url}"
            ) from exc
        except _AccountsFirst as exc:
            raise BrokerUnavailable(f"IBKR gateway refused {template}: {exc}") from exc

    def _stale(self, why: str) -> None:
        if self._authenticated:
            logger.warning("ibkr session lost", extra={"reason": why})
        self._authenticated = False
        self._accounts_ready = False

    # ── keep-alive ────────────────────────────────────────────────────────────────────────────────
    def _start_keep_alive(self) -> None:
        if self._tickler is None and not self._closed:
            self._tickler = asyncio.get_running_loop().create_task(self._keep_alive(), name="ibkr:tickle")

    async def _keep_alive(self) -> None:
        """POST /tickle every interval; a tickle that says the brokerage session is gone marks the
        session stale so the next request re-authenticates. Failures are logged, never raised: the
        requests themselves report outages."""
        while True:
            await asyncio.sleep(self._tickle_interval)
            try:
                data = await self._exchange("POST", "/tickle", body={}, gated=True)
                tickle = Tickle.model_validate(data)
            except _NotAuthenticated:
                self._stale("tickle answered 401")
                continue
            except (BrokerError, _AccountsFirst, ValidationError) as exc:
                logger.warning("ibkr tickle failed", extra={"reason": str(exc)})
                continue
            auth = tickle.iserver.auth_status if tickle.iserver else None
            if auth is not None and not auth.healthy:
                self._stale("tickle: brokerage session not authenticated")

    # ── one exchange, every failure mapped ────────────────────────────────────────────────────────
    async def _exchange(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        order: bool = False,
        gated: bool = True,
    ) -> Any:
        left = self._blocked_until - self._clock()
        if left > 0:
            raise BrokerUnavailable(
                f"IBKR rate limit: the gateway answered 429; no request for another {left:.0f} s "
                "(IBKR's penalty box covers every endpoint)"
            )
        url = template.format(**{k: quote(str(v), safe="") for k, v in (path or {}).items()})
        gate = self._gate.shared() if gated else contextlib.nullcontext()
        async with gate:
            await self._pacer.acquire(template)
            try:
                response = await self._http.request(method, url, params=params, json=body)
            except httpx.ConnectError as exc:
                raise BrokerUnavailable(self._connect_failure(exc)) from exc
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise BrokerUnavailable(
                    f"IBKR gateway {self.base_url}: no connection within {self._timeout:g} s"
                ) from exc
            except httpx.TimeoutException as exc:
                if order:
                    raise OrderStateUnknown(
                        f"IBKR gateway did not answer an order within {self._timeout:g} s: it may or may not "
                        "have been placed; verify in the broker platform"
                    ) from exc
                raise BrokerUnavailable(
                    f"IBKR gateway did not answer {template} within {self._timeout:g} s"
                ) from exc
            except httpx.TransportError as exc:
                if order:
                    raise OrderStateUnknown(
                        f"IBKR gateway connection lost while sending an order ({type(exc).__name__}): it may "
                        "or may not have been placed; verify in the broker platform"
                    ) from exc
                raise BrokerUnavailable(f"IBKR gateway connection lost on {template}: {exc!r}") from exc
        return self._answer(response, template, order=order)

    def _answer(self, response: httpx.Response, template: str, *, order: bool) -> Any:
        status = response.status_code
        try:
            data: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        reason = _error_text(data) or response.text[:300].strip() or response.reason_phrase
        if status == 401:
            raise _NotAuthenticated(reason)
        if ACCOUNTS_FIRST in (reason or "").lower():
            raise _AccountsFirst(reason)
        if status == 429:
            self._blocked_until = self._clock() + self._tuning.penalty_cooldown_s
            logger.error("ibkr rate limit hit", extra={"endpoint": template})
            raise BrokerUnavailable(
                f"IBKR rate limit exceeded (HTTP 429 on {template}): the gateway blocks this client for "
                f"10–15 minutes; the desk sends nothing for {self._tuning.penalty_cooldown_s:g} s"
            )
        if status >= 500:
            if order:
                raise OrderStateUnknown(
                    f"IBKR gateway answered {status} to an order ({reason}): it may or may not have been "
                    "placed; verify in the broker platform"
                )
            raise BrokerUnavailable(f"IBKR gateway error {status} on {template}: {reason}")
        if status >= 400:
            if order and isinstance(data, dict) and data.get("error"):
                return data  # a refusal in IBKR's words: the order path reads it
            raise BrokerRejected(f"IBKR refused {template} ({status}): {reason}")
        if not order and isinstance(data, dict) and data.get("error"):
            # IBKR also says no with HTTP 200 and {"error": …} (unknown order, no such symbol, …).
            code = data.get("statusCode")
            if isinstance(code, int) and code >= 500:
                raise BrokerUnavailable(f"IBKR gateway error {code} on {template}: {reason}")
            raise BrokerRejected(f"IBKR refused {template}: {reason}")
        if data is None:
            if order:
                raise OrderStateUnknown(
                    f"IBKR gateway answered an order with something that is not JSON ({status}); verify in "
                    "the broker platform"
                )
            raise BrokerUnavailable(f"IBKR gateway answered {template} with something that is not JSON")
        return data

    def _connect_failure(self, exc: httpx.ConnectError) -> str:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return (
                    f"IBKR gateway {self.base_url}: TLS certificate not trusted ({cause.verify_message}); "
                    "a self-signed certificate is accepted only for a gateway on this machine (localhost)"
                )
            cause = cause.__cause__ or cause.__context__
        return f"IBKR gateway {self.base_url} unreachable: {exc}"


def _error_text(data: Any) -> str | None:
    if isinstance(data, dict):
        for key in ("error", "message"):
            value = data.get(key)
            if value:
                return " ".join(str(value).split())
    return None
