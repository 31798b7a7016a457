"""Temporary copies of the project, for tests that edit stack files or run the CLI on them.

The copy holds ``Pulumi.yaml`` and the stack files as real files (edit them freely) and
links to the code directories, so the program that runs is this checkout's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from infra.engine import PROJECT_ROOT

CODE_DIRS = ("infra", "stacks", "components", "model_assets", "policy", "pipelines")


def copy_project(destination: Path) -> Path:
    """A temp project at ``destination`` (stack files copied, code linked)."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, destination / path.name)
    for name in CODE_DIRS:
        if (PROJECT_ROOT / name).exists():
            (destination / name).symlink_to(PROJECT_ROOT / name, target_is_directory=True)
    (destination / "__main__.py").symlink_to(PROJECT_ROOT / "__main__.py")  # the program entry
    return destination


def edit_stack(project: Path, stack: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Load ``Pulumi.<stack>.yaml`` round-trip, let ``change`` edit its ``config`` map, save."""
    yaml = YAML()
    path = project / f"Pulumi.{stack}.yaml"
    data = yaml.load(path.read_text())
    change(data["config"])
    with path.open("w") as handle:
        yaml.dump(data, handle)
