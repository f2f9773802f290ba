"""Answers the order builder: resolve and quote legs, list option expiries, fetch strike chains.

Each account's broker answers for that account. Resolved contracts and expiry lists are cached for a
short while, so a page refreshing its legs every second does not resolve them every second. A leg
that cannot be resolved or quoted gets a reason, never an error for the whole request: the builder
shows "–" and the trader keeps typing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Mapping
from datetime import date
from typing import TypeVar

from deltadesk.brokers.accounts import BrokerAccount
from deltadesk.shared.commands import (
    ChainReply,
    ExpiryList,
    GetOptionChain,
    LegQuotes,
    ListOptionExpiries,
    QuoteLegs,
)
from deltadesk.shared.errors import BrokerUnavailable, DeskError, DomainError
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.orders import Contract, ContractQuote, LegSpec

logger = logging.getLogger(__name__)
T = TypeVar("T")

CONTRACT_TTL_S = 300.0
EXPIRIES_TTL_S = 300.0


class OrderBuilderDesk:
    def __init__(self, accounts: Mapping[str, BrokerAccount], *, timeout_s: float) -> None:
        self.accounts = accounts
        self.timeout_s = timeout_s
        self._contracts: dict[tuple[str, LegSpec], tuple[float, Contract]] = {}
        self._expiries: dict[tuple[str, str, InstrumentType], tuple[float, tuple[date, ...]]] = {}

    def _broker(self, account: str) -> BrokerAccount:
        target = self.accounts.get(account)
        if target is None:
            raise DomainError(f"account {account} is not served here; configured: {', '.join(self.accounts)}")
        return target

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(call, self.timeout_s)
        except TimeoutError as exc:
            raise BrokerUnavailable(f"the broker did not answer within {self.timeout_s:g} s") from exc

    async def quote_legs(self, request: QuoteLegs) -> LegQuotes:
        target = self._broker(request.account)
        contracts: list[Contract | None] = []
        errors: list[str | None] = []
        for leg in request.legs:
            try:
                contracts.append(await self._resolve(target, leg))
                errors.append(None)
            except DeskError as exc:
                contracts.append(None)
                errors.append(str(exc))
        known = [c for c in contracts if c is not None]
        quotes: dict[str, ContractQuote] = {}
        if known:
            try:
                for quote in await self._call(target.broker.contract_quotes(known)):
                    quotes[quote.contract.symbol] = quote
            except DeskError as exc:
                errors = [e or str(exc) for e in errors]
        found = tuple(quotes.get(c.symbol) if c is not None else None for c in contracts)
        errors = [e if e or q is not None else "no quote" for e, q in zip(errors, found, strict=True)]
        return LegQuotes(quotes=found, errors=tuple(errors))

    async def _resolve(self, target: BrokerAccount, leg: LegSpec) -> Contract:
        key = (target.account, leg)
        cached = self._contracts.get(key)
        if cached is not None and time.monotonic() - cached[0] < CONTRACT_TTL_S:
            return cached[1]
        contract = await self._call(target.broker.resolve(leg))
        self._contracts[key] = (time.monotonic(), contract)
        return contract

    async def expiries(self, request: ListOptionExpiries) -> ExpiryList:
        if not request.instrument.is_option:
            raise DomainError(f"instrument: expiries are listed for OPT or FOP, not {request.instrument}")
        target = self._broker(request.account)
        key = (request.account, request.underlying.upper(), request.instrument)
        cached = self._expiries.get(key)
        if cached is None or time.monotonic() - cached[0] >= EXPIRIES_TTL_S:
            found = tuple(await self._call(target.broker.expiries(key[1], request.instrument)))
            cached = (time.monotonic(), found)
            self._expiries[key] = cached
        return ExpiryList(expiries=cached[1])

    async def chain(self, request: GetOptionChain) -> ChainReply:
        if not request.instrument.is_option:
            raise DomainError(f"instrument: chains are for OPT or FOP, not {request.instrument}")
        target = self._broker(request.account)
        chain = await self._call(
            target.broker.chain(request.underlying.upper(), request.expiry, request.instrument)
        )
        return ChainReply(chain=chain)
