"""Projects for the review tests: stack files and the registry catalog as real, writable
copies; the code linked from this checkout (so the program that runs is this one's)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT
from tests.support.project import copy_project

CATALOG = "registry-catalog.yaml"


def writable_project(destination: Path) -> Path:
    """A project copy whose ``model_assets/registry-catalog.yaml`` is a real file (``--record``
    writes it); every other model folder is linked."""
    copy_project(destination)
    (destination / "model_assets").unlink()
    assets = destination / "model_assets"
    assets.mkdir()
    for child in (PROJECT_ROOT / "model_assets").iterdir():
        if child.name == CATALOG:
            shutil.copy(child, assets / CATALOG)
        else:
            (assets / child.name).symlink_to(child, target_is_directory=child.is_dir())
    return destination


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return writable_project(tmp_path / "project")
