"""The domain stays pure: no I/O libraries, no asyncio, no clock or ids of its own."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[1] / "src" / "deltadesk" / "journal" / "domain"
FORBIDDEN = {"nats", "psycopg", "psycopg_pool", "pgserver", "httpx", "fastapi", "asyncio", "os", "subprocess"}


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_no_io_and_reads_no_clock(module: Path) -> None:
    tree = ast.parse(module.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported & FORBIDDEN == set()
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not calls & {"now", "utcnow", "today", "uuid4", "open", "read_text", "random", "Random"}


def test_there_is_a_domain_to_check() -> None:
    assert len(list(DOMAIN.glob("*.py"))) >= 6
