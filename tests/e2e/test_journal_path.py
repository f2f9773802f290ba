"""End to end: a paper order through the whole desk (`deltadesk up`: paper venue, market-data, risk,
execution, journal, gateway), driven through the gateway's HTTP API, into the journal.

A short SPY put is drafted, simulated, approved (signed by the gateway with the key `up` made,
verified by execution), filled by the paper venue, and found in /api/journal with every field of
its context, and in both CSV layouts. Then the journal is restarted with its durable consumers
removed, so JetStream delivers every fill and order event to it again: the order is still there
once, not twice.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.js.errors
import pytest

from deltadesk.gateway.testing import log_in
from deltadesk.journal.service import ROUTES as JOURNAL_ROUTES
from deltadesk.shared.embedded import EmbeddedNats, free_port
from deltadesk.shared.subjects import EXEC_FILL, EXEC_STREAM
from deltadesk.shared.testing import DeskProcess, eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "journal-path-test"
RATIONALE = "E2E: sell a month-out SPY put, 5% under the money; VIX calm"
DURABLES = tuple(route.durable for route in JOURNAL_ROUTES if route.durable is not None)


@dataclass
class Desk:
    data: Path
    config: Path
    process: DeskProcess | None = None
    url: str = ""

    def start(self) -> str:
        self.process = DeskProcess(
            self.data,
            free_port(),
            DELTADESK_UI_PASSWORD=PASSWORD,
            DELTADESK_CONFIG_DIR=str(self.config),
            DELTADESK_BETA_SOURCES="config",
            DELTADESK_PAPER_SEED="11",
            DELTADESK_PAPER_TICK_S="0.25",
            DELTADESK_MD_QUOTES_INTERVAL_S="0.25",
            DELTADESK_MD_POSITIONS_INTERVAL_S="0.5",
        )
        self.url = self.process.wait_for_url(timeout=120)
        return self.url

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        code, stderr = process.interrupt(timeout=60)
        assert code == 0, stderr[-3000:]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("risk_matrix.yaml", "beta_config.json"):
        shutil.copy(CONFIG / name, config / name)
    running = Desk(tmp_path / "data", config)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@asynccontextmanager
async def session(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=30) as client:
        await log_in(client, PASSWORD)
        yield client


async def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.url}: {answer.status_code} {answer.text[:2000]}"
    return answer.json()


async def short_put(client: httpx.AsyncClient) -> tuple[dict[str, Any], Decimal]:
    """A marketable order to sell one SPY put about 5 % out of the money, a month or more out:
    the order request, and the credit asked (the put's bid)."""
    listed = await ok(await client.get("/api/expiries", params={"account": "PAPER", "underlying": "SPY"}))
    expiry = next(e for e in listed["expiries"] if (date.fromisoformat(e) - date.today()).days >= 25)
    chain = await ok(
        await client.get("/api/chain", params={"account": "PAPER", "underlying": "SPY", "expiry": expiry})
    )
    target = chain["underlying_price"] * 0.95
    priced = [
        row for row in chain["rows"] if row["put"] and row["put"]["bid"] and Decimal(row["put"]["bid"]) > 0
    ]
    row = min(priced, key=lambda r: abs(float(r["strike"]) - target))
    bid = Decimal(row["put"]["bid"])
    request = {
        "account": "PAPER",
        "legs": [
            {
                "action": "SELL",
                "instrument": "OPT",
                "underlying": "SPY",
                "quantity": 1,
                "expiry": expiry,
                "strike": row["strike"],
                "right": "P",
            }
        ],
        "order_type": "LMT",
        "limit_price": str(-bid),
        "rationale": RATIONALE,
    }
    return request, bid


async def journal_entries(client: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    page = await ok(await client.get("/api/journal", params={"account": "PAPER", "limit": "1000"}))
    return [entry for entry in page["entries"] if entry["order_id"] == order_id]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@contextmanager
def desk_nats(data: Path) -> Iterator[str]:
    """The stopped desk's own NATS store, served for a moment (the desk is not running)."""
    with EmbeddedNats(data / "nats") as server:
        yield server.url


async def forget_the_journals_consumers(url: str) -> None:
    """Remove the journal's durable consumers: when it starts again it creates them afresh, and
    JetStream delivers every fill and order event of the stream to it once more."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for durable in DURABLES:
            await js.delete_consumer(EXEC_STREAM.name, durable)
    finally:
        await nc.close()


async def redelivered(url: str, order_id: str) -> bool:
    """The restarted journal has acknowledged (committed) every message up to our order's fill."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        fill = await js.get_last_msg(EXEC_STREAM.name, EXEC_FILL.render(account="PAPER", order_id=order_id))
        infos = [await js.consumer_info(EXEC_STREAM.name, durable) for durable in DURABLES]
    except nats.js.errors.NotFoundError:
        return False  # not created yet
    finally:
        await nc.close()
    fills = next(i for i in infos if i.name == "journal-fills")
    return (
        fills.ack_floor is not None
        and (fills.ack_floor.stream_seq or 0) >= fill.seq
        and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)
    )


async def test_a_filled_paper_order_is_journaled_with_its_context_once_across_a_journal_restart(
    desk: Desk,
) -> None:
    assert set(DURABLES) == {"journal-fills", "journal-orders"}  # what the restart below forgets
    async with session(desk.url) as client:

        async def risk_published() -> bool:
            return (await client.get("/api/portfolio", params={"account": "PAPER"})).status_code == 200

        await eventually(risk_published, timeout=90, interval=0.5, what="risk for the paper account")

        request, bid = await short_put(client)
        order = await ok(await client.post("/api/orders", json=request), 201)
        order_id = order["order_id"]
        simulation = await ok(await client.post(f"/api/orders/{order_id}/simulate"))
        approval = {
            "simulation_id": simulation["simulation_id"],
            "order_hash": simulation["order_hash"],
            "confirm": True,
        }
        await ok(await client.post(f"/api/orders/{order_id}/approve", json=approval), 202)

        async def state() -> str | None:
            found = await ok(await client.get(f"/api/orders/{order_id}"))
            assert found["state"] not in ("REJECTED", "CANCELLED", "UNKNOWN"), found
            return found if found["state"] == "FILLED" else None

        filled = await eventually(state, timeout=60, interval=0.25, what="the order FILLED")
        [leg] = filled["order"]["legs"]

        async def journaled() -> list[dict[str, Any]]:
            return await journal_entries(client, order_id)

        [entry] = await eventually(journaled, timeout=30, interval=0.25, what="the fill in the journal")

        # ── every field of the entry ────────────────────────────────────────────────────────
        assert (entry["account"], entry["broker"], entry["paper"]) == ("PAPER", "paper", True)
        assert entry["broker_order_id"] == filled["broker_order_id"]
        assert entry["broker_order_id"]
        assert entry["fill_id"]
        assert entry["entry_id"]
        assert (entry["underlying"], entry["strategy"], entry["status"]) == ("SPY", "short put", "FILLED")
        [fill_leg] = entry["legs"]
        assert (fill_leg["symbol"], fill_leg["action"]) == (leg["contract"]["symbol"], "SELL")
        assert Decimal(fill_leg["quantity"]) == Decimal(fill_leg["ordered"]) == 1
        price = Decimal(fill_leg["price"])
        assert price >= bid  # a sell limit fills at its price or better
        assert Decimal(entry["quantity"]) == 1
        assert Decimal(entry["net_price"]) == -price
        assert Decimal(entry["net_debit_credit"]) == -price * 100
        assert entry["side"] == "credit"
        assert entry["commission"] is not None
        assert Decimal(entry["commission"]) >= 0
        assert entry["vix"] > 0
        assert entry["spx_price"] > 0
        assert entry["regime"]
        # The context is the simulation's, the one the trader approved.
        assert (entry["vix"], entry["spx_price"], entry["regime"]) == (
            simulation["vix"],
            simulation["spx_price"],
            simulation["regime"],
        )
        assert entry["pre_trade"] == simulation["pre_trade"]
        assert entry["post_trade"] == simulation["post_trade"]
        assert entry["post_trade"]["spx_delta"] > entry["pre_trade"]["spx_delta"]  # a short put adds delta
        for greeks in (entry["pre_trade"], entry["post_trade"]):
            assert {"spx_delta", "gamma", "theta", "vega"} <= set(greeks)
        assert entry["rationale"] == RATIONALE
        assert entry["summary"] == f"SELL 1 {leg['contract']['symbol']} @ {fill_leg['price']}"

        # ── both CSV layouts ────────────────────────────────────────────────────────────────
        full = await client.get("/api/journal/export.csv", params={"account": "PAPER", "underlying": "SPY"})
        assert full.status_code == 200, full.text
        [row] = [r for r in csv_rows(full.text) if r["order_id"] == order_id]
        assert row["entry_id"] == entry["entry_id"]
        assert (row["strategy"], row["status"], row["regime"]) == ("short put", "FILLED", entry["regime"])
        assert Decimal(row["net_debit_credit"]) == -price * 100
        assert row["rationale"] == RATIONALE
        assert row["pre_spx_delta"]
        assert row["post_spx_delta"]
        executions = await client.get(
            "/api/journal/export.csv", params={"account": "PAPER", "layout": "executions"}
        )
        assert executions.status_code == 200, executions.text
        mine = [r for r in csv_rows(executions.text) if r["Symbol"] == fill_leg["symbol"]]
        assert [(r["Side"], Decimal(r["Quantity"]), Decimal(r["Price"])) for r in mine] == [
            ("SELL", Decimal(1), price)
        ]
        total_before = (await ok(await client.get("/api/journal"))).get("total")

    # ── the journal restarts, and every fill and order event is delivered to it again ──────
    desk.stop()
    with desk_nats(desk.data) as url:
        await forget_the_journals_consumers(url)
    desk.start()
    assert desk.process is not None
    nats_url = f"nats://127.0.0.1:{desk.process.nats_port()}"
    await eventually(lambda: redelivered(nats_url, order_id), timeout=60, interval=0.5, what="redelivery")
    async with session(desk.url) as client:
        again = await journal_entries(client, order_id)
        assert [e["entry_id"] for e in again] == [entry["entry_id"]]
        assert again[0] == entry
        assert (await ok(await client.get("/api/journal"))).get("total") == total_before
