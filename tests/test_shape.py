"""The dialogue layer's shape (issue 13, item 9): channel-free, and no module too big to read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT / "dialogues"
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(DIALOGUES.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_dialogue_imports_nothing_from_bot() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _imported(p) if n == "bot" or n.startswith("bot."))
                 for p in _modules()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_dialogue_module_is_over_500_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert sizes, "no modules found under dialogues/"
    assert {k: n for k, n in sizes.items() if n > MAX_LINES} == {}
