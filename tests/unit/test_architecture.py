"""The arrows point inwards: the domain imports no framework, ORM or parser."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "watchfloor"
ALLOWED_IN_DOMAIN = {"numpy", "watchfloor.domain"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _outside(name: str) -> bool:
    top = name.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return False
    return not any(name == a or name.startswith(a + ".") for a in ALLOWED_IN_DOMAIN)


@pytest.mark.parametrize("path", sorted((SRC / "domain").glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_only_the_standard_library_numpy_and_the_domain(path: Path) -> None:
    bad = sorted(n for n in _imports(path) if _outside(n))
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("service", "watchfloor.entrypoints"),
        ("adapters", "watchfloor.entrypoints"),
        ("engines", "watchfloor.entrypoints"),
        ("service", "watchfloor.adapters"),
    ],
)
def test_arrows_point_inwards(package: str, forbidden: str) -> None:
    offenders = {
        str(p.relative_to(SRC)): sorted(n for n in _imports(p) if n.startswith(forbidden))
        for p in (SRC / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
