"""The gateway's domain is pure: no I/O library, no asyncio, no clock (house rule)."""

import ast
from pathlib import Path

import deltadesk.gateway.domain as domain

FORBIDDEN = {"nats", "psycopg", "httpx", "fastapi", "starlette", "uvicorn", "asyncio", "jinja2", "socket"}
DOMAIN = Path(domain.__file__).parent


def _modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


def test_the_domain_has_modules_to_check() -> None:
    assert {p.name for p in _modules()} >= {"accounts.py", "dashboard.py", "figures.py"}


def test_domain_modules_import_no_io_or_asyncio() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_domain_modules_never_read_the_clock() -> None:
    for path in _modules():
        source = path.read_text()
        assert ".now(" not in source, path.name
        assert "time.time(" not in source, path.name
