"""House rules that hold across every member: pure domain modules, subjects only from the catalog."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_FILES = sorted(ROOT.glob("services/*/src/deltadesk/*/domain/*.py"))
FORBIDDEN = ("nats", "psycopg", "httpx", "fastapi", "asyncio", "uvicorn", "yfinance", "tastytrade", "openai")


def test_there_are_domain_modules_to_check() -> None:
    assert len(DOMAIN_FILES) >= 10


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_modules_do_no_io_and_read_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"now", "utcnow", "today"}, f"{path.name} reads the clock"
            assert not (node.func.attr in {"uuid4", "random"} and isinstance(node.func.value, ast.Name)), (
                f"{path.name} makes its own ids or randomness"
            )


SERVICE_FILES = sorted(ROOT.glob("services/*/src/deltadesk/*/**/*.py"))


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_subject_is_written_by_hand(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not node.value.startswith("dd."), f"{path.name} spells a subject: {node.value!r}"
