"""BetaWeighter: each underlying's beta from an ordered chain of sources, cached, fetched off the
hot path.

    get_many(keys)  never waits for the network: a cached beta (even an expired one while it is
                    refetched), else at once the best offline answer (beta_config.json, else 1.0
                    flagged unavailable) while a background task asks the chain. When the task
                    lands, `on_update(keys)` lets the service recompute.
    resolve(keys)   awaits the chain: for one-shot commands (`deltadesk risk weigh`).

Economic betas (SPX, SPXW, XSP, /ES, /MES) bypass everything. A source that fails or times out is
logged and skipped; its keys go on down the chain. Answers from the network are kept for `ttl_s`;
fallbacks (config or 1.0 after the network said nothing) only for `failure_ttl_s`, so the network
is asked again sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from deltadesk.risk.domain.beta import choose_beta, economic_beta
from deltadesk.shared.clock import Clock
from deltadesk.shared.errors import DeskError
from deltadesk.shared.portfolio import Beta, BetaSource

logger = logging.getLogger(__name__)


class BetaSourceFailed(DeskError):
    """A beta source could not answer: down, timed out, rate-limited, or an answer we cannot read."""

    code = "beta_source_failed"


class BetaPort(Protocol):
    """A source of betas over the network. Keys it has no beta for are left out of the answer;
    a failure of the whole request raises BetaSourceFailed."""

    @property
    def source(self) -> BetaSource: ...

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]: ...


class ConfigBetas:
    """The manual betas of beta_config.json: answered at once, without the network."""

    source = BetaSource.CONFIG

    def __init__(self, betas: Mapping[str, Beta]) -> None:
        self._betas = dict(betas)

    def lookup(self, key: str) -> Beta | None:
        return self._betas.get(key)

    async def betas(self, keys: Sequence[str]) -> Mapping[str, Beta]:
        return {key: beta for key in keys if (beta := self.lookup(key)) is not None}


ChainLink = BetaPort | ConfigBetas


@dataclass(frozen=True, slots=True)
class _Cached:
    beta: Beta
    expires: datetime


class BetaWeighter:
    def __init__(
        self,
        chain: Sequence[ChainLink],
        config: ConfigBetas,
        clock: Clock,
        *,
        ttl_s: float = 6 * 3600.0,
        failure_ttl_s: float = 300.0,
        timeout_s: float = 10.0,
        on_update: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        self._chain = tuple(chain)
        self._config = config
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)
        self._failure_ttl = timedelta(seconds=failure_ttl_s)
        self._timeout_s = timeout_s
        self.on_update = on_update
        self._cache: dict[str, _Cached] = {}
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def sources(self) -> tuple[BetaSource, ...]:
        return tuple(link.source for link in self._chain)

    def get(self, key: str) -> Beta:
        return self.get_many([key])[key]

    def get_many(self, keys: Iterable[str]) -> dict[str, Beta]:
        """The beta of each key now, never waiting: see the module docstring."""
        now = self._clock.now()
        found: dict[str, Beta] = {}
        to_fetch: list[str] = []
        for key in keys:
            economic = economic_beta(key)
            if economic is not None:
                found[key] = economic
                continue
            cached = self._cache.get(key)
            if cached is not None and cached.expires > now:
                found[key] = cached.beta
                continue
            offline, final = self._offline(key)
            if final:
                self._cache[key] = _Cached(offline, now + self._ttl)
                found[key] = offline
                continue
            found[key] = cached.beta if cached is not None else offline
            if key not in self._inflight:
                to_fetch.append(key)
        if to_fetch:
            self._inflight.update(to_fetch)
            task = asyncio.get_running_loop().create_task(self._fetch(to_fetch), name="beta-fetch")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return found

    async def resolve(self, keys: Iterable[str]) -> dict[str, Beta]:
        """The beta of each key, asking the chain now for what is not cached."""
        wanted = list(dict.fromkeys(keys))
        found = {key: beta for key in wanted if (beta := economic_beta(key)) is not None}
        now = self._clock.now()
        missing = []
        for key in wanted:
            cached = self._cache.get(key)
            if key in found:
                continue
            if cached is not None and cached.expires > now:
                found[key] = cached.beta
            else:
                missing.append(key)
        if missing:
            answers = await self._run_chain(missing)
            self._store(answers)
            found.update({key: beta for key, (beta, _) in answers.items()})
        return {key: found[key] for key in wanted}

    async def aclose(self) -> None:
        """Stop background fetches (they only read): nothing is lost but a cache entry."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_idle(self) -> None:
        """Wait until no background fetch is running (tests and one-shot commands)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ── internals ───────────────────────────────────────────────────────────────────────────────
    def _offline(self, key: str) -> tuple[Beta, bool]:
        """The best answer without the network, and whether it is final (no network source ranks
        above it, so asking the network could not change it)."""
        network_first = False
        for link in self._chain:
            if isinstance(link, ConfigBetas):
                beta = link.lookup(key)
                if beta is not None:
                    return beta, not network_first
            else:
                network_first = True
        return choose_beta([self._config.lookup(key)]), not network_first

    async def _fetch(self, keys: list[str]) -> None:
        try:
            answers = await self._run_chain(keys)
        finally:
            self._inflight.difference_update(keys)
        self._store(answers)
        if self.on_update is not None:
            self.on_update(frozenset(keys))

    def _store(self, answers: Mapping[str, tuple[Beta, bool]]) -> None:
        now = self._clock.now()
        for key, (beta, final) in answers.items():
            self._cache[key] = _Cached(beta, now + (self._ttl if final else self._failure_ttl))

    async def _run_chain(self, keys: Sequence[str]) -> dict[str, tuple[Beta, bool]]:
        """Ask each source in order for the keys no earlier source answered. Each answer comes
        with whether it is final: a fallback after the network failed is not."""
        remaining = list(dict.fromkeys(keys))
        found: dict[str, tuple[Beta, bool]] = {}
        network_tried = False
        for link in self._chain:
            if not remaining:
                break
            if isinstance(link, ConfigBetas):
                answers: Mapping[str, Beta] = await link.betas(remaining)
                final = not network_tried
            else:
                network_tried = True
                answers = await self._ask(link, remaining)
                final = True
            for key in remaining:
                beta = answers.get(key)
                if beta is not None:
                    found[key] = (beta, final)
            remaining = [key for key in remaining if key not in found]
        for key in remaining:
            found[key] = (choose_beta([self._config.lookup(key)]), not network_tried)
        return found

    async def _ask(self, link: BetaPort, keys: list[str]) -> Mapping[str, Beta]:
        try:
            return await asyncio.wait_for(link.betas(keys), self._timeout_s)
        except TimeoutError:
            reason = f"no answer within {self._timeout_s:g} s"
        except BetaSourceFailed as exc:
            reason = str(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a source's bug must not stop the chain; it is logged with its trace
            logger.exception("beta source raised", extra={"source": link.source.value, "keys": keys})
            reason = repr(exc)
        logger.warning(
            "beta source failed", extra={"source": link.source.value, "reason": reason, "keys": keys}
        )
        return {}
