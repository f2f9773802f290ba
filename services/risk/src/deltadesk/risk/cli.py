"""`deltadesk risk weigh FILE`: beta-weight a list of positions offline and print the result.

A stable contract for checking numbers by hand (against Risk Navigator, say). Input:

    {"spx_price": 5000.0, "positions": [{"symbol": "SPY", "underlying": "SPY", "instrument": "ETF",
      "quantity": 100, "multiplier": 1, "delta": 1, "gamma": 0, "theta": 0, "vega": 0,
      "underlying_price": 500.0, "beta": 1.0}]}

`beta` is optional: without it the configured source chain is asked (and awaited); `--offline`
uses only beta_config.json and the 1.0 default. Output:

    {"spx_delta": …, "gamma": …, "theta": …, "vega": …,
     "positions": [{"symbol", "beta", "beta_source", "beta_unavailable", "spx_delta"}]}

Bad input exits 2 with one line naming the field (`positions[2].quantity: Field required`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deltadesk.risk.betas import BetaWeighter
from deltadesk.risk.domain.beta import INPUT_METHOD, beta_key, choose_beta, economic_beta
from deltadesk.risk.domain.greeks import Exposure, aggregate, weigh
from deltadesk.risk.settings import RiskSettings
from deltadesk.risk.sources import open_beta_chain
from deltadesk.shared.clock import SystemClock
from deltadesk.shared.instruments import InstrumentType
from deltadesk.shared.portfolio import Beta, BetaSource
from deltadesk.shared.positions import Greeks

BAD_INPUT = 2


class WeighPosition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    symbol: str = Field(min_length=1)
    underlying: str = Field(min_length=1)
    instrument: InstrumentType
    quantity: float
    multiplier: float
    delta: float
    gamma: float
    theta: float
    vega: float
    underlying_price: float = Field(gt=0)
    beta: float | None = None

    @model_validator(mode="after")
    def _multiplier(self) -> WeighPosition:
        # Brokers report 0 as the multiplier of shares, meaning 1 (seed T006), as Position does.
        if self.instrument.is_share and self.multiplier <= 0:
            return self.model_copy(update={"multiplier": 1.0})
        if self.multiplier <= 0:
            raise ValueError(f"multiplier must be positive for {self.instrument}, was {self.multiplier:g}")
        return self

    @property
    def key(self) -> str:
        return beta_key(self.underlying, self.instrument)

    def exposure(self) -> Exposure:
        return Exposure(
            symbol=self.symbol,
            description=self.symbol,
            underlying=self.underlying,
            instrument=self.instrument,
            quantity=Decimal(repr(self.quantity)),
            multiplier=Decimal(repr(self.multiplier)),
            greeks=Greeks(delta=self.delta, gamma=self.gamma, theta=self.theta, vega=self.vega),
            underlying_price=self.underlying_price,
        )


class WeighInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    spx_price: float = Field(gt=0)
    positions: tuple[WeighPosition, ...]


class BadInput(Exception):
    """The input cannot be weighed; the message is the one line printed."""


def parse_input(text: str) -> WeighInput:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON: {exc}") from exc
    try:
        return WeighInput.model_validate_json(json.dumps(data, allow_nan=True))
    except ValidationError as exc:
        raise BadInput(_first_errors(exc)) from exc


def _first_errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ""
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def needed_keys(document: WeighInput) -> list[str]:
    """The beta keys of positions given without a beta (economic ones need no source)."""
    keys = {p.key for p in document.positions if p.beta is None}
    return sorted(k for k in keys if economic_beta(k) is None)


def weigh_document(document: WeighInput, betas: dict[str, Beta]) -> dict[str, Any]:
    """The output document: the given beta, else economic, else the chain's answer."""
    weighted = []
    for position in document.positions:
        given = None
        if position.beta is not None:
            given = Beta(value=position.beta, source=BetaSource.INPUT, method=INPUT_METHOD)
        beta = choose_beta([given, economic_beta(position.key), betas.get(position.key)])
        weighted.append(weigh(position.exposure(), beta, document.spx_price))
    totals = aggregate(weighted)
    return {
        "spx_delta": totals.spx_delta,
        "gamma": totals.gamma,
        "theta": totals.theta,
        "vega": totals.vega,
        "positions": [
            {
                "symbol": w.symbol,
                "beta": w.beta.value,
                "beta_source": w.beta.source.value,
                "beta_unavailable": w.beta.unavailable,
                "spx_delta": w.spx_delta,
            }
            for w in weighted
        ],
    }


async def resolve_betas(document: WeighInput, settings: RiskSettings, *, offline: bool) -> dict[str, Beta]:
    keys = needed_keys(document)
    if not keys:
        return {}
    clock = SystemClock()
    async with AsyncExitStack() as stack:
        chain, config = await open_beta_chain(settings, clock, stack, offline=offline)
        weigher = BetaWeighter(chain, config, clock, timeout_s=settings.beta_chain_timeout_s)
        return await weigher.resolve(keys)


def register(sub: Any) -> None:
    risk = sub.add_parser("risk", help="risk tools: weigh positions into SPX-equivalent delta")
    commands = risk.add_subparsers(dest="risk_command", metavar="COMMAND")
    weigh_parser = commands.add_parser(
        "weigh", help="beta-weight positions from a JSON file and print the SPX-equivalent Greeks as JSON"
    )
    weigh_parser.add_argument("file", help="the input JSON file, or - to read standard input")
    weigh_parser.add_argument(
        "--offline", action="store_true", help="ask no network source: beta_config.json, then 1.0"
    )
    weigh_parser.set_defaults(func=cmd_weigh)
    risk.set_defaults(func=lambda args: _help(risk))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return BAD_INPUT


def cmd_weigh(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {args.file}: {exc}")
    try:
        document = parse_input(text)
        settings = RiskSettings()
        betas = asyncio.run(resolve_betas(document, settings, offline=args.offline))
        result = weigh_document(document, betas)
    except BadInput as exc:
        return _fail(str(exc))
    except ValidationError as exc:  # the settings (DELTADESK_* variables)
        return _fail(f"settings: {_first_errors(exc)}")
    except ValueError as exc:  # an unusable beta_config.json
        return _fail(str(exc))
    if not all(math.isfinite(result[k]) for k in ("spx_delta", "gamma", "theta", "vega")):
        return _fail("the result is not finite: check quantities and prices")
    print(json.dumps(result, indent=2))
    return 0


def _fail(reason: str) -> int:
    print(f"deltadesk risk weigh: {reason}", file=sys.stderr)
    return BAD_INPUT
