"""The repository's Python sources, parsed once when the architecture tests are collected.

The architecture tests read the syntax tree of every module. They parse at collection time,
before any test starts a thread: CPython 3.11's parser keeps one recursion counter per
interpreter, and a parse in the main thread racing one in another thread (a thread formatting
a traceback parses source lines for its carets) fails with "AST constructor recursion depth
mismatch". Parsing up front keeps the tests independent of what earlier tests left running.
"""

from __future__ import annotations

import ast
from pathlib import Path

from infra.engine import PROJECT_ROOT

FOLDERS = ("components", "stacks", "infra", "policy", "model_assets", "tests")


def _sources() -> list[Path]:
    paths = sorted(PROJECT_ROOT.glob("*.py"))
    for folder in FOLDERS:
        paths.extend(sorted((PROJECT_ROOT / folder).rglob("*.py")))
    return paths


_TREES: dict[Path, ast.Module] = {
    path.resolve(): ast.parse(path.read_text(), filename=str(path)) for path in _sources()
}


def parse(path: Path) -> ast.Module:
    """The syntax tree of ``path`` (parsed at collection; a file outside the folders above, or
    one written since, is parsed now)."""
    tree = _TREES.get(path.resolve())
    return tree if tree is not None else ast.parse(path.read_text(), filename=str(path))
