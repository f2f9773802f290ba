"""`deltadesk risk weigh`, driven through the real `deltadesk` entry point."""

import io
import json
from pathlib import Path
from typing import Any

import pytest

from deltadesk.risk.betas import BetaWeighter, ConfigBetas
from deltadesk.risk.cli import needed_keys, parse_input, weigh_document
from deltadesk.shared.cli import main
from deltadesk.shared.portfolio import BetaSource

REPO = Path(__file__).resolve().parents[3]


def position(**fields: Any) -> dict[str, Any]:
    base = {
        "symbol": "SPY",
        "underlying": "SPY",
        "instrument": "ETF",
        "quantity": 100,
        "multiplier": 1,
        "delta": 1.0,
        "gamma": 0.0,
        "theta": 0.0,
        "vega": 0.0,
        "underlying_price": 500.0,
    }
    return {**base, **fields}


BOOK = {
    "spx_price": 5000.0,
    "positions": [
        position(beta=1.0),
        position(
            symbol="SPY 260320P480",
            instrument="OPT",
            quantity=-5,
            multiplier=100,
            delta=-0.2,
            gamma=0.01,
            theta=-0.1,
            vega=0.5,
            beta=1.0,
        ),
        position(
            symbol="/ESH6",
            underlying="/ES",
            instrument="FUT",
            quantity=1,
            multiplier=50,
            underlying_price=5010.0,
        ),
        position(
            symbol="KO", underlying="KO", instrument="STK", quantity=200, multiplier=0, underlying_price=60.0
        ),
        position(symbol="ZZZ", underlying="ZZZ", instrument="STK", quantity=10, underlying_price=50.0),
    ],
}


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "beta_config.json").write_text(json.dumps({"KO": 0.6}))
    monkeypatch.setenv("DELTADESK_CONFIG_DIR", str(tmp_path))
    return tmp_path


def weigh_cli(
    document: object, capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str
) -> tuple[int, str, str]:
    path = tmp_path / "book.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    code = main(["risk", "weigh", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_weigh_prints_the_portfolio_and_each_position(
    config_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = weigh_cli(BOOK, capsys, tmp_path, "--offline")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert set(result) == {"spx_delta", "gamma", "theta", "vega", "positions"}
    expected = [10.0, 10.0, 50.1, 200 * 0.6 * 60 / 5000, 10 * 50 / 5000]
    assert [p["spx_delta"] for p in result["positions"]] == pytest.approx(expected)
    assert result["spx_delta"] == pytest.approx(sum(expected))
    assert result["gamma"] == pytest.approx(-5.0)
    assert result["theta"] == pytest.approx(50.0)
    assert result["vega"] == pytest.approx(-250.0)
    assert [(p["symbol"], p["beta_source"], p["beta_unavailable"]) for p in result["positions"]] == [
        ("SPY", "input", False),
        ("SPY 260320P480", "input", False),
        ("/ESH6", "economic", False),
        ("KO", "config", False),
        ("ZZZ", "default", True),
    ]
    assert set(result["positions"][0]) == {"symbol", "beta", "beta_source", "beta_unavailable", "spx_delta"}


def test_weigh_reads_standard_input(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(json.dumps({"spx_price": 5000, "positions": [position(beta=2.0)]}))
    )
    assert main(["risk", "weigh", "-", "--offline"]) == 0
    assert json.loads(capsys.readouterr().out)["spx_delta"] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {
                "spx_price": 5000,
                "positions": [
                    position(),
                    position(),
                    {k: v for k, v in position().items() if k != "quantity"},
                ],
            },
            "positions[2].quantity: Field required",
        ),
        (
            {"spx_price": 5000, "positions": [position(quantity="100")]},
            "positions[0].quantity: Input should be a valid number",
        ),
        ({"spx_price": 0, "positions": []}, "spx_price: Input should be greater than 0"),
        ({"spx_price": -5000.0, "positions": []}, "spx_price: Input should be greater than 0"),
        (
            {"spx_price": 5000, "positions": [position(instrument="BOND")]},
            "positions[0].instrument: Input should be",
        ),
        (
            {"spx_price": 5000, "positions": [position(instrument="OPT", multiplier=0)]},
            "positions[0]: multiplier must be positive",
        ),
        (
            {"spx_price": 5000, "positions": [position(underlying_price=0)]},
            "positions[0].underlying_price: Input should be greater than 0",
        ),
        ({"positions": []}, "spx_price: Field required"),
        ("{not json", "invalid JSON"),
        ("[]", "Input should be an object"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line_naming_the_field(
    document: object, reason: str, config_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = weigh_cli(document, capsys, tmp_path, "--offline")
    assert code != 0
    assert out == ""
    assert reason in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_missing_file_is_one_line_too(
    config_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["risk", "weigh", str(tmp_path / "missing.json")]) != 0
    err = capsys.readouterr().err
    assert "cannot read" in err
    assert err.count("\n") == 1


async def test_positions_without_a_beta_go_through_the_chain(clock: Any, beta_source: Any) -> None:
    document = parse_input(json.dumps(BOOK))
    assert needed_keys(document) == ["KO", "ZZZ"]  # SPY has its beta; /ES is economic
    tasty = beta_source(BetaSource.TASTYTRADE, {"ZZZ": 1.7})
    weigher = BetaWeighter([tasty], ConfigBetas({}), clock)
    result = weigh_document(document, await weigher.resolve(needed_keys(document)))
    assert tasty.calls == [["KO", "ZZZ"]]
    zzz = result["positions"][4]
    assert (zzz["beta"], zzz["beta_source"], zzz["beta_unavailable"]) == (1.7, "tastytrade", False)
    ko = result["positions"][3]
    assert (ko["beta_source"], ko["beta_unavailable"]) == ("default", True)


def test_the_shipped_config_is_used_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELTADESK_CONFIG_DIR", str(REPO / "config"))
    code, out, _ = weigh_cli(
        {"spx_price": 5000, "positions": [position(symbol="KO", underlying="KO", instrument="STK")]},
        capsys,
        tmp_path,
        "--offline",
    )
    assert code == 0
    assert json.loads(out)["positions"][0]["beta_source"] == "config"
