"""The layering rules: core never imports streamlit; pages hold no SQL and no HTTP."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(r"\bselect\s+[\w*, ]+\s+from\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b"
                 r"|\.execute\(|\.query\(", re.IGNORECASE)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_hold_no_sql_or_http(path: Path) -> None:
    assert not imported_modules(path) & {"sqlite3", "sqlite_utils", "httpx", "requests"}
    source = path.read_text(encoding="utf-8")
    match = SQL.search(source)
    assert match is None, f"{path.name} holds SQL ({match.group(0)!r}): move it to core/"


def test_the_checks_above_see_every_module() -> None:
    assert len(list((ROOT / "core").rglob("*.py"))) >= 8
    assert len(list((ROOT / "pages").glob("*.py"))) >= 7
