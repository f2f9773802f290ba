"""The whole fake Tastytrade on free local ports, served by uvicorn inside the caller's event loop.

    async with FakeTastytrade(today=date(2026, 6, 1)) as fake:
        broker = TastytradeBroker(fake.settings(live_trading=True))

`fake.market`, `fake.account`, `fake.api` (faults, the request log) and `fake.dxlink` (publish,
drop) are the handles a test steers it with.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

import uvicorn
from pydantic import SecretStr

from deltadesk.brokers.settings import BrokerSettings
from deltadesk.brokers.tastytrade.fakes.account import FakeAccount
from deltadesk.brokers.tastytrade.fakes.api import FakeApiState, create_api
from deltadesk.brokers.tastytrade.fakes.dxlink import FakeDxlinkState, create_dxlink
from deltadesk.brokers.tastytrade.fakes.market import FakeMarket

PROVIDER_SECRET = "fake-provider-secret"
REFRESH_TOKEN = "fake-refresh-token"


class _LoopServer(uvicorn.Server):
    """uvicorn in the caller's loop: no signal handlers of its own; says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class FakeTastytrade:
    def __init__(
        self,
        *,
        today: date | None = None,
        clock: Callable[[], datetime] | None = None,
        account_number: str = "5WT00001",
        host: str = "127.0.0.1",
        api_port: int = 0,
        dxlink_port: int = 0,
        max_symbols_per_message: int = 2000,
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.market = FakeMarket.standard(today or self.clock().date())
        self.account = FakeAccount(self.market, number=account_number)
        self.api = FakeApiState(self.market, self.account, PROVIDER_SECRET, REFRESH_TOKEN, clock=self.clock)
        self.dxlink = FakeDxlinkState(self.market, self.api.quote_token, max_symbols_per_message)
        self._host = host
        self._ports = (api_port, dxlink_port)
        self._servers: list[tuple[_LoopServer, asyncio.Task[None]]] = []
        self.api_url = ""
        self.dxlink_url = ""

    def settings(self, **overrides: Any) -> BrokerSettings:
        """Broker settings pointing the real adapter at this fake (explicit values, no environment)."""
        values: dict[str, Any] = {
            "tastytrade_account_id": self.account.number,
            "tastytrade_provider_secret": SecretStr(PROVIDER_SECRET),
            "tastytrade_refresh_token": SecretStr(REFRESH_TOKEN),
            "tastytrade_api_url": self.api_url,
            "broker_timeout_s": 5.0,
        }
        values.update(overrides)
        return BrokerSettings(_env_file=None, **values)

    def hold_demo_book(self) -> None:
        """A premium seller's book: 2 short SPXW puts, 5 short SPY puts, 1 short /ES put, 100 AAPL."""
        now = self.clock()
        market = self.market
        spxw_expiry = min(t.expiry for t in market.equity_options() if t.root == "SPXW")
        for root, strike, quantity, price in (("SPXW", 5900, -2, "12.40"), ("SPY", 580, -5, "3.10")):
            terms = next(
                t
                for t in market.equity_options()
                if t.root == root and t.strike == strike and t.right.value == "P" and t.expiry >= spxw_expiry
            )
            self.account.hold(terms.symbol, quantity, price, now)
        es_put = next(t for t in market.future_options() if t.strike == 5900 and t.right.value == "P")
        self.account.hold(es_put.symbol, -1, "31.25", now)
        self.account.hold("AAPL", 100, "201.10", now)

    async def start(self) -> None:
        api_port = await self._serve(create_api(self.api), self._ports[0])
        dxlink_port = await self._serve(create_dxlink(self.dxlink), self._ports[1])
        self.api_url = f"http://{self._host}:{api_port}"
        self.dxlink_url = f"ws://{self._host}:{dxlink_port}/realtime"
        self.api.dxlink_url = self.dxlink_url

    async def stop(self) -> None:
        await self.dxlink.drop()
        for server, _ in self._servers:
            server.should_exit = True
        for _, task in self._servers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._servers.clear()

    async def __aenter__(self) -> FakeTastytrade:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _serve(self, app: Any, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, port))
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="wsproto",
            timeout_graceful_shutdown=1,
        )
        server = _LoopServer(config)
        task = asyncio.create_task(server.serve(sockets=[listener]), name=f"fake-tastytrade:{port}")
        ready = asyncio.create_task(server.ready.wait())
        done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()
            raise RuntimeError(f"the fake Tastytrade server on {self._host}:{port} did not start")
        self._servers.append((server, task))
        bound: int = listener.getsockname()[1]
        return bound
