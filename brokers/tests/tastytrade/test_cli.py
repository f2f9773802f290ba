"""`deltadesk fake-tastytrade --try`: the fake on free ports, the real adapter through it, JSON out."""

import argparse
import json
from decimal import Decimal

import pytest

from deltadesk.brokers.tastytrade.cli import register

pytestmark = pytest.mark.integration


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="deltadesk")
    register(parser.add_subparsers())
    return parser.parse_args(["fake-tastytrade", *argv])


def test_trying_the_adapter_prints_the_demo_book_quotes_and_a_whatif(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse("--try")
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert {p["underlying"] for p in report["positions"]} == {"SPX", "SPY", "/ES", "AAPL"}
    assert next(p for p in report["positions"] if p["underlying"] == "/ES")["multiplier"] == "50"
    assert {q["symbol"] for q in report["quotes"]} == {"SPX", "VIX", "SPY", "AAPL"}
    assert report["front_month_es"]["multiplier"] == "50"
    assert Decimal(report["whatif_sell_put"]["initial_margin_change"]) > 0


def test_the_command_serves_on_the_ports_asked() -> None:
    args = parse("--port", "18091", "--dxlink-port", "18092", "--empty", "--no-auto-fill")
    assert (args.port, args.dxlink_port, args.empty, args.no_auto_fill) == (18091, 18092, True, True)
