"""Apps depend on each other in one direction: what a module may import is checked here from
the source, so that a cycle is caught when it is written."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "faxes",
    "fax_numbers",
    "drenfax_portal.accounts",
    "drenfax_portal.audit",
    "drenfax_portal.notifications",
    "drenfax_portal.dashboard",
)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offending(where: str, forbidden: tuple[str, ...]) -> list[str]:
    path = ROOT / where
    found = []
    for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
        for name in imported(source):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{source.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize(
    ("where", "forbidden"),
    [
        ("drenfax_portal/client", ("django", *APPS)),
        ("drenfax_portal/api.py", APPS),
        ("fax_numbers", ("faxes",)),
    ],
    ids=["the client knows no Django", "api.py knows no app", "numbers know no faxes"],
)
def test_modules_import_only_what_lies_below_them(where, forbidden):
    assert offending(where, forbidden) == []
