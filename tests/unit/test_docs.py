"""The README documents every setting, page and command; every page has an AppTest."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS
from core.settings import FIELD_DOCS, Settings, env_example, env_name
from ingest.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def dashboard_pages() -> list[tuple[str, str]]:
    """(file, title) of every st.Page in dashboard.py."""
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    pages = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            title = next(k.value.value for k in node.keywords if k.arg == "title")
            pages.append((node.args[0].value, title))
    return pages


@pytest.mark.parametrize("name", [env_name(f.name) for f in fields(Settings)])
def test_readme_lists_every_setting(name: str) -> None:
    assert re.search(rf"`{name}`", README), f"{name} is missing from the README's configuration table"


def test_every_setting_has_a_description() -> None:
    assert set(FIELD_DOCS) == {f.name for f in fields(Settings)}


@pytest.mark.parametrize("page", dashboard_pages(), ids=lambda p: p[1])
def test_readme_lists_every_page(page: tuple[str, str]) -> None:
    assert f"| {page[1]} |" in README


@pytest.mark.parametrize("page", dashboard_pages(), ids=lambda p: p[1])
def test_every_page_has_an_app_test(page: tuple[str, str]) -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "app").glob("test_*.py"))
    name = Path(page[0]).name
    assert re.search(rf"""["'/]{re.escape(name)}["']""", tests) and "AppTest.from_file" in tests, \
        f"no AppTest loads {page[0]}"


def test_every_page_file_is_in_the_navigation() -> None:
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files == {file for file, _ in dashboard_pages()}


def test_readme_lists_every_command() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command in sub.choices:
        assert f"| `{command}" in README, f"`{command}` is missing from the README's command table"


def test_readme_starts_with_the_two_commands() -> None:
    assert README.index("make demo") < README.index("make test") < README.index("## Configuration")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_has_measured_figures(name: str) -> None:
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    section = text.split(f"`python -m bench {name}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| measurement")]
    assert rows and all(re.search(r"\d", row.split("|")[2]) for row in rows), f"{name}: a row without a figure"
    assert not re.search(r"^[A-Z][A-Z_]{3,}$", section, re.M), f"{name}: a placeholder is left in the text"


def test_env_example_lists_every_setting_with_its_default() -> None:
    written = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert written == env_example(), (".env.example is out of date: python -c \"from core.settings import "
                                      "env_example; print(env_example(), end='')\" > .env.example")
    for f in fields(Settings):
        assert f"#{env_name(f.name)}=" in written
