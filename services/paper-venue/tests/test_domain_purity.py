"""The domain stays pure: no I/O, no clock, no bus, no asyncio, no hidden randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import deltadesk.paper_venue.domain as domain

DOMAIN = Path(domain.__file__).parent
MODULES = sorted(DOMAIN.glob("*.py"))
FORBIDDEN_IMPORTS = {
    "nats",
    "psycopg",
    "httpx",
    "fastapi",
    "asyncio",
    "time",
    "uuid",
    "os",
    "socket",
    "logging",
}
FORBIDDEN_CALLS = {
    "now",
    "today",
    "utcnow",
    "uuid4",
    "random",
    "gauss",
    "seed",
}  # module-level, not rng.gauss()


def test_the_domain_has_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_a_domain_module_imports_no_io_and_reads_no_clock(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        else:
            roots = set()
        line = getattr(node, "lineno", "?")
        assert not roots & FORBIDDEN_IMPORTS, f"{module.name}:{line} imports {roots & FORBIDDEN_IMPORTS}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            module_level = isinstance(owner, ast.Name) and owner.id in {"datetime", "date", "random", "uuid"}
            assert not (module_level and node.func.attr in FORBIDDEN_CALLS), (
                f"{module.name}:{line} calls {ast.unparse(node.func)}"
            )
