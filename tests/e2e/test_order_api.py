"""The order path end to end through the gateway's HTTP API, on the whole desk started by `deltadesk up`:
on the paper broker, and on the IBKR adapter against the fake Client Portal gateway (with its reply /
confirm step). Nothing here reaches a broker but through the approval protocol."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from deltadesk.gateway.testing import log_in_sync
from deltadesk.shared.embedded import free_port, wait_for_port
from deltadesk.shared.testing import DeskProcess

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "config"
PASSWORD = "order-path-e2e-password"
IBKR = "DU7654321"


def wait_for(client: httpx.Client, url: str, check: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = client.get(url)
        last = (response.status_code, response.text[:300])
        if response.status_code == 200 and check(response.json()):
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"{what or url}: not met within {timeout:g} s; last {last}")


@pytest.fixture
def paper_desk(tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    desk = DeskProcess(
        tmp_path / "data",
        free_port(),
        DELTADESK_CONFIG_DIR=str(CONFIG),
        DELTADESK_BETA_SOURCES="config",
        DELTADESK_UI_PASSWORD=PASSWORD,
        DELTADESK_PAPER_SEED="9",
        DELTADESK_PAPER_FILL_LATENCY_S="0.2",
    )
    try:
        url = desk.wait_for_url()
        with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
            log_in_sync(client, PASSWORD)
            yield client, "PAPER"
    finally:
        code, stderr = desk.interrupt()
        assert code == 0, stderr[-3000:]


def a_spy_put(client: httpx.Client, account: str) -> dict[str, Any]:
    """A SPY put about 5 % out of the money, a week or more out, from the chain the page shows."""
    listed = wait_for(
        client,
        f"/api/expiries?account={account}&underlying=SPY",
        lambda b: b["expiries"],
        what="SPY expiries",
    )
    expiry = next(e for e in listed["expiries"] if date.fromisoformat(e) >= date.today() + timedelta(days=7))
    chain = client.get(
        "/api/chain", params={"account": account, "underlying": "SPY", "expiry": expiry}
    ).json()
    spot = chain["underlying_price"]
    row = min(
        (r for r in chain["rows"] if r["put"] and r["put"]["bid"]),
        key=lambda r: abs(float(r["strike"]) - spot * 0.95),
    )
    return {
        "action": "SELL",
        "instrument": "OPT",
        "underlying": "SPY",
        "quantity": 1,
        "expiry": expiry,
        "strike": row["strike"],
        "right": "P",
    }


def simulate(client: httpx.Client, order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:  # risk answers once market-data reported the book
        response = client.post(f"/api/orders/{order_id}/simulate")
        if response.status_code == 200:
            return dict(response.json())
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)


def test_a_paper_order_goes_from_draft_to_filled_through_the_api(
    paper_desk: tuple[httpx.Client, str],
) -> None:
    client, account = paper_desk
    leg = a_spy_put(client, account)
    body = {
        "account": account,
        "legs": [leg],
        "order_type": "MKT",
        "tif": "DAY",
        "rationale": "e2e: sell a SPY put, 5% OTM",
    }
    created = client.post("/api/orders", json=body)
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    assert created.json()["state"] == "DRAFT"

    simulation = simulate(client, order_id)
    assert simulation["simulation_id"]
    assert len(simulation["order_hash"]) == 64

    wrong = client.post(
        f"/api/orders/{order_id}/approve",
        json={"simulation_id": simulation["simulation_id"], "order_hash": "0" * 64, "confirm": True},
    )
    assert wrong.status_code == 409, wrong.text
    unconfirmed = client.post(
        f"/api/orders/{order_id}/approve",
        json={
            "simulation_id": simulation["simulation_id"],
            "order_hash": simulation["order_hash"],
            "confirm": False,
        },
    )
    assert 400 <= unconfirmed.status_code < 500

    approval = {
        "simulation_id": simulation["simulation_id"],
        "order_hash": simulation["order_hash"],
        "confirm": True,
    }
    accepted = client.post(f"/api/orders/{order_id}/approve", json=approval)
    assert accepted.status_code == 202, accepted.text
    again = client.post(f"/api/orders/{order_id}/approve", json=approval)
    assert again.status_code == 409, "an approval is used once"

    filled = wait_for(
        client,
        f"/api/orders/{order_id}",
        lambda o: o["state"] in {"FILLED", "REJECTED"},
        what="the order to finish",
    )
    assert filled["state"] == "FILLED", filled
    assert Decimal(filled["filled_quantity"]) == 1
    blotter = client.get("/api/orders").json()
    listed = blotter["orders"] if isinstance(blotter, dict) else blotter
    assert any(o["order_id"] == order_id and o["state"] == "FILLED" for o in listed)


def test_bad_orders_get_a_4xx_naming_the_field(paper_desk: tuple[httpx.Client, str]) -> None:
    client, account = paper_desk
    leg = a_spy_put(client, account)
    too_many = client.post("/api/orders", json={"account": account, "legs": [leg] * 5, "order_type": "MKT"})
    assert too_many.status_code == 422
    assert "legs" in too_many.text
    zero = client.post(
        "/api/orders", json={"account": account, "legs": [{**leg, "quantity": 0}], "order_type": "MKT"}
    )
    assert zero.status_code == 422
    assert "quantity" in zero.text
    moc = client.post("/api/orders", json={"account": account, "legs": [leg], "order_type": "MOC"})
    assert moc.status_code == 422
    assert "MOC not supported for options" in moc.text
    draft = client.post("/api/orders", json={"account": account, "legs": [leg], "order_type": "MKT"}).json()
    unsimulated = client.post(
        f"/api/orders/{draft['order_id']}/approve",
        json={"simulation_id": draft["order_id"], "order_hash": "a" * 64, "confirm": True},
    )
    assert unsimulated.status_code == 409
    assert "simulat" in unsimulated.text
    logged_out = httpx.post(f"{client.base_url}/api/orders", json={"account": account, "legs": [leg]})
    assert logged_out.status_code in (401, 403)


# ── IBKR through the fake Client Portal gateway ──────────────────────────────────────────────────
@pytest.fixture
def ibkr_desk(tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    """`deltadesk fake-ibkr` (which fills orders and asks IBKR's o163 price question on each), and the
    desk pointed at it with paper off and live trading on: what a user does to try the IBKR adapter."""
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "deltadesk.shared.cli", "fake-ibkr", "--port", str(port), "--account", IBKR],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, 30, fake)  # type: ignore[arg-type]
        desk = DeskProcess(
            tmp_path / "data",
            free_port(),
            DELTADESK_CONFIG_DIR=str(CONFIG),
            DELTADESK_BETA_SOURCES="config",
            DELTADESK_UI_PASSWORD=PASSWORD,
            DELTADESK_PAPER_ENABLED="false",
            DELTADESK_IBKR_ACCOUNT_ID=IBKR,
            DELTADESK_IBKR_GATEWAY_URL=f"https://localhost:{port}/v1/api",
            DELTADESK_LIVE_TRADING="true",
            # IBKR's first chain of an expiry costs ~30 paced requests (several seconds); then it is cached
            DELTADESK_MD_REQUEST_TIMEOUT_S="30",
            DELTADESK_GATEWAY_REQUEST_TIMEOUT_S="30",
        )
        try:
            url = desk.wait_for_url()
            with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
                log_in_sync(client, PASSWORD)
                yield client, IBKR
        finally:
            code, stderr = desk.interrupt()
            assert code == 0, stderr[-3000:]
    finally:
        fake.terminate()
        fake.wait(10)


def test_an_ibkr_order_confirms_the_gateways_question_and_fills(ibkr_desk: tuple[httpx.Client, str]) -> None:
    client, account = ibkr_desk
    listed = wait_for(
        client,
        f"/api/expiries?account={account}&underlying=SPX",
        lambda b: b["expiries"],
        what="SPX expiries at IBKR",
    )
    expiry = next(e for e in listed["expiries"] if date.fromisoformat(e) >= date.today() + timedelta(days=7))
    response = client.get("/api/chain", params={"account": account, "underlying": "SPX", "expiry": expiry})
    assert response.status_code == 200, response.text
    chain = response.json()
    spot = chain["underlying_price"]
    row = min(
        (r for r in chain["rows"] if r["put"] and r["put"]["bid"]),
        key=lambda r: abs(float(r["strike"]) - spot * 0.95),
    )
    put = row["put"]
    mid = (Decimal(str(put["bid"])) + Decimal(str(put["ask"]))) / 2
    leg = {
        "action": "SELL",
        "instrument": "OPT",
        "underlying": "SPX",
        "quantity": 1,
        "expiry": expiry,
        "strike": row["strike"],
        "right": "P",
        "trading_class": put["contract"]["trading_class"],
    }
    created = client.post(
        "/api/orders",
        json={
            "account": account,
            "legs": [leg],
            "order_type": "LMT",
            "limit_price": str(-mid.quantize(Decimal("0.05"))),
            "tif": "DAY",
        },
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    assert created.json()["broker"] == "ibkr"
    simulation = simulate(client, order_id)
    assert simulation["margin"]["initial_margin_change"] is not None
    approval = {
        "simulation_id": simulation["simulation_id"],
        "order_hash": simulation["order_hash"],
        "confirm": True,
    }
    assert client.post(f"/api/orders/{order_id}/approve", json=approval).status_code == 202
    done = wait_for(
        client,
        f"/api/orders/{order_id}",
        lambda o: o["state"] in {"FILLED", "REJECTED", "UNKNOWN"},
        what="the IBKR order to finish",
        timeout=90,
    )
    assert done["state"] == "FILLED", done
    assert done["broker_order_id"]
    # the adapter confirmed IBKR's price-constraint question inside `place`; the words are kept
    assert any("Are you sure" in text or "constraint" in text for text in done["confirmations"]), done
