"""Every action a person can take on the dashboard goes through the audit trail under a known name (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

from core.access import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
WORKER_ONLY = {"reply.stage", "reply.withdraw"}  # taken by the worker in core/closing.py
READ_ONLY = {"audit.read"}  # a permission to read, not an action to record


def actions_named_in(path: Path) -> set[str]:
    """String literals naming an action in ``audit.performed(...)`` calls and in the Replies page's ``act``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in ("performed", "act", "set_status", "record"):
            found.update(a for a in args if a in ACTIONS or "." in a and " " not in a and a.islower())
    return found


def test_every_person_action_is_recorded_by_some_page() -> None:
    named = set().union(*(actions_named_in(p) for p in (ROOT / "pages").glob("*.py")))
    assert named <= set(ACTIONS), f"unknown action names in pages: {sorted(named - set(ACTIONS))}"
    assert set(ACTIONS) - WORKER_ONLY - READ_ONLY == named


def test_the_worker_records_its_own_actions_under_known_names() -> None:
    named = actions_named_in(ROOT / "core" / "closing.py")
    assert WORKER_ONLY <= named and named <= set(ACTIONS)
