"""risk: beta-weights every account's positions, publishes its Greeks, and announces breaches.

    MD_POSITIONS, MD_QUOTES, MD_BALANCES ──▶ latest inputs per account ──▶ (coalesced) recompute
        ──▶ RISK_UPDATED per account and `total`; RISK_LIMIT_BREACHED / _CLEARED on transitions

Handlers only store what arrived and mark the account dirty; one loop recomputes the dirty
accounts, so a burst of messages costs one recompute, never a queue of them. The same loop checks,
every `risk_check_interval_s`, whether an SPX quote went stale, so a feed that stops halts risk.
Betas come from the BetaWeighter's cache and never wait for the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from uuid import uuid4

from deltadesk.risk.adapters.beta_config import load_beta_config
from deltadesk.risk.adapters.risk_matrix import load_risk_matrix
from deltadesk.risk.betas import BetaWeighter, ChainLink
from deltadesk.risk.domain.assessment import (
    AccountView,
    assess,
    beta_keys,
    combine,
    fresh_price,
    latest_quotes,
)
from deltadesk.risk.domain.matrix import DEFAULT_MATRIX, TOTAL, RiskMatrix
from deltadesk.risk.domain.whatif import what_if
from deltadesk.risk.settings import RiskSettings
from deltadesk.risk.sources import open_beta_chain
from deltadesk.shared.broker import SPX
from deltadesk.shared.bus import Bus, Rejected
from deltadesk.shared.clock import Clock
from deltadesk.shared.commands import ComputeRiskWhatIf
from deltadesk.shared.errors import DomainError
from deltadesk.shared.events import BalancesReported, PositionsReported, QuotesReported, RiskUpdated
from deltadesk.shared.messages import Event
from deltadesk.shared.portfolio import ActiveBreach, Beta, RiskStatus
from deltadesk.shared.service import ServiceSpec
from deltadesk.shared.simulation import RiskWhatIf
from deltadesk.shared.subjects import (
    MD_BALANCES,
    MD_POSITIONS,
    MD_QUOTES,
    RISK,
    RISK_LIMIT_BREACHED,
    RISK_LIMIT_CLEARED,
    RISK_UPDATED,
    RISK_WHATIF,
    Subject,
    check_token,
)

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)


class RiskService:
    def __init__(
        self,
        bus: Bus,
        weigher: BetaWeighter,
        matrix: RiskMatrix,
        settings: RiskSettings,
        *,
        warnings: Sequence[str] = (),
    ) -> None:
        self.bus = bus
        self.clock = bus.clock
        self.weigher = weigher
        self.matrix = matrix
        self.settings = settings
        self.warnings = tuple(warnings)
        self.positions: dict[str, PositionsReported] = {}
        self.quotes: dict[str, QuotesReported] = {}
        self.balances: dict[str, BalancesReported] = {}
        self.breaches: dict[str, tuple[ActiveBreach, ...]] = {}
        self.status: dict[str, RiskStatus] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()

    # ── inputs ──────────────────────────────────────────────────────────────────────────────────
    async def start(self) -> None:
        """Subscribe, then hydrate from the latest values so a late start sees current state.
        Subscribing first loses nothing; an older hydrated value never replaces a newer one."""
        for subject, handler in ROUTES:
            await self.bus.subscribe(subject, partial(handler, self))
        await self.bus.serve(RISK_WHATIF, self.on_whatif)
        for subject, handler in ROUTES:
            for event in await self.bus.latest_matching(subject):
                try:
                    await handler(self, event)
                except (Rejected, DomainError) as exc:
                    logger.warning(
                        "latest value ignored", extra={"subject": subject.pattern, "reason": str(exc)}
                    )
        for update in await self.bus.latest_matching(RISK_UPDATED):
            # breaches survive a restart: a breach still on is not announced again
            self.breaches.setdefault(update.account, update.breaches)
            self.status.setdefault(update.account, update.status)

    async def on_positions(self, event: PositionsReported) -> None:
        self._store(self.positions, event, event.account)

    async def on_quotes(self, event: QuotesReported) -> None:
        self._store(self.quotes, event, event.account)

    async def on_balances(self, event: BalancesReported) -> None:
        self._store(self.balances, event, event.account)

    def _store(self, latest: dict[str, E], event: E, account: str) -> None:
        if account == TOTAL:
            raise Rejected(f"account `{TOTAL}` is reserved for all accounts together")
        check_token("account", account)
        held = latest.get(account)
        if held is not None and held.occurred_at > event.occurred_at:
            return
        latest[account] = event
        self.mark_dirty(account)

    async def on_whatif(self, request: ComputeRiskWhatIf) -> RiskWhatIf:
        """Post-trade Greeks of a proposed order on the account's current portfolio."""
        view = self.views().get(request.account)
        if view is None or request.account == TOTAL:
            raise DomainError(f"account {request.account}: no positions reported yet, no what-if possible")
        if any(leg.account != request.account for leg in request.legs):
            raise DomainError(f"every leg of a what-if must belong to account {request.account}")
        betas = self.weigher.get_many(beta_keys((*view.positions, *request.legs)))
        return what_if(
            view,
            request.legs,
            betas=betas,
            matrix=self.matrix,
            now=self.clock.now(),
            spx_max_age_s=self.settings.risk_spx_max_age_s,
        )

    def mark_dirty(self, *accounts: str) -> None:
        self._dirty.update(accounts or self.positions.keys())
        self._wake.set()

    def on_betas(self, keys: frozenset[str]) -> None:
        """A beta fetch landed: recompute every account (cheap; betas change rarely)."""
        self.mark_dirty()

    # ── the loop ────────────────────────────────────────────────────────────────────────────────
    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.risk_check_interval_s)
            self._wake.clear()
            self._mark_status_changes()
            dirty, self._dirty = self._dirty, set()
            if dirty:
                await self.recompute(dirty)

    def views(self) -> dict[str, AccountView]:
        """Every account that reported positions, with its own feed's quotes and balances."""
        views = {}
        for account, reported in sorted(self.positions.items()):
            quotes = self.quotes.get(account)
            balances = self.balances.get(account)
            views[account] = AccountView(
                account=account,
                positions=reported.positions,
                positions_as_of=reported.as_of,
                quotes=latest_quotes(quotes.quotes) if quotes is not None else {},
                net_liquidation=balances.balances.net_liquidation if balances is not None else None,
                accounts=(account,),
            )
        if views:
            views[TOTAL] = combine(list(views.values()))
        return views

    def _mark_status_changes(self) -> None:
        """Dirty every account whose SPX quote went stale (or fresh) since its last update."""
        now = self.clock.now()
        for account, view in self.views().items():
            spx, _ = fresh_price(view.quotes, SPX, now, self.settings.risk_spx_max_age_s)
            status = RiskStatus.OK if spx is not None else RiskStatus.HALTED
            if self.status.get(account) is not status:
                self._dirty.add(account)

    async def recompute(self, dirty: set[str]) -> None:
        views = self.views()
        targets = [views[a] for a in sorted(dirty) if a in views and a != TOTAL]
        if TOTAL in views:
            targets.append(views[TOTAL])  # every change of an account changes the total
        betas = self.weigher.get_many(beta_keys(p for v in targets for p in v.positions))
        now = self.clock.now()
        for view in targets:
            try:
                await self._publish(view, betas, now)
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus is down or slow (nats reconnects), or a bug: retry next tick
                logger.exception("could not compute or publish risk", extra={"account": view.account})
                self._dirty.add(view.account)

    async def _publish(self, view: AccountView, betas: dict[str, Beta], now: datetime) -> None:
        """Breach events first: a transition counts as announced once it is on the stream."""
        assessment = assess(
            view,
            betas=betas,
            matrix=self.matrix,
            previous_breaches=self.breaches.get(view.account, ()),
            now=now,
            spx_max_age_s=self.settings.risk_spx_max_age_s,
            new_id=uuid4,
            warnings=self.warnings,
        )
        active = {b.limit: b for b in assessment.update.breaches}
        recorded = {b.limit: b for b in self.breaches.get(view.account, ())}
        try:
            for breached in assessment.breached:
                await self.bus.publish(RISK_LIMIT_BREACHED, breached, account=view.account)
                recorded[breached.limit] = active[breached.limit]
            for cleared in assessment.cleared:
                await self.bus.publish(RISK_LIMIT_CLEARED, cleared, account=view.account)
                recorded.pop(cleared.limit, None)
        finally:  # what reached the stream is recorded, so a retry never announces it twice
            self.breaches[view.account] = tuple(recorded.values())
        self.breaches[view.account] = assessment.update.breaches
        await self.bus.publish(RISK_UPDATED, assessment.update, account=view.account)
        if self.status.get(view.account) is not assessment.update.status:
            _log_status(assessment.update)
        self.status[view.account] = assessment.update.status


def _log_status(update: RiskUpdated) -> None:
    if update.status is RiskStatus.HALTED:
        logger.warning("risk halted", extra={"account": update.account, "reason": update.halt_reason})
    else:
        logger.info("risk computing", extra={"account": update.account})


def _risk_matrix(settings: RiskSettings) -> tuple[RiskMatrix, list[str]]:
    path = settings.risk_matrix_file
    matrix = load_risk_matrix(path)
    if matrix is None:
        logger.warning("risk matrix not found; built-in default limits apply", extra={"path": str(path)})
        return DEFAULT_MATRIX, [f"{path} not found: built-in default limits apply"]
    return matrix, []


async def run(
    settings: RiskSettings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    beta_chain: Sequence[ChainLink] | None = None,
) -> None:
    """The composition root. Tests pass their own clock and beta sources (beta_config.json is
    still read from the settings' path)."""
    matrix, warnings = _risk_matrix(settings)
    bus = await Bus.connect(settings.require_nats_url(), RISK, clock=clock)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(bus.close)
        if beta_chain is None:
            chain, config = await open_beta_chain(settings, bus.clock, stack)
        else:
            chain, config = list(beta_chain), load_beta_config(settings.beta_config_file)
        weigher = BetaWeighter(
            chain,
            config,
            bus.clock,
            ttl_s=settings.beta_ttl_s,
            failure_ttl_s=settings.beta_failure_ttl_s,
            timeout_s=settings.beta_chain_timeout_s,
        )
        stack.push_async_callback(weigher.aclose)
        service = RiskService(bus, weigher, matrix, settings, warnings=warnings)
        weigher.on_update = service.on_betas
        await service.start()
        logger.info(
            "risk started",
            extra={"beta_sources": [s.value for s in weigher.sources], "accounts": sorted(service.positions)},
        )
        await service.run(stop)


Route = tuple[Subject[Any], Callable[[RiskService, Any], Awaitable[None]]]

ROUTES: tuple[Route, ...] = (
    (MD_POSITIONS, RiskService.on_positions),
    (MD_QUOTES, RiskService.on_quotes),
    (MD_BALANCES, RiskService.on_balances),
)

SERVICE = ServiceSpec(name=RISK, settings=RiskSettings, run=run)
