"""Fixtures of the flows tests: the real plans (previewed once) and real copies of the project."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.engine import PROJECT_ROOT, preview

COPIED = ("infra", "stacks", "components", "model_assets", "policy", "pipelines")


def repository_plan(name: str) -> dict[str, Any]:
    """The offline plan of a stack of this checkout (cached by the engine for the session)."""
    return preview(name, project_dir=PROJECT_ROOT, policy=False)


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """A real copy of the project (files, not links), safe to break on purpose."""
    root = tmp_path / "project"
    root.mkdir()
    for path in [*PROJECT_ROOT.glob("Pulumi*.yaml"), PROJECT_ROOT / "__main__.py", PROJECT_ROOT / "Makefile"]:
        shutil.copy(path, root / path.name)
    for name in COPIED:
        shutil.copytree(
            PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv")
        )
    return root


def replace_in(root: Path, relative: str, old: str, new: str) -> None:
    """Edit one file of a project copy; the text to replace must be there."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{relative} no longer contains {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


PlanOf = Callable[[str], dict[str, Any]]
