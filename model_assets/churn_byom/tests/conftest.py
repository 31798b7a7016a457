"""Fixtures of the churn_byom tests: load the scripts by path."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

MODEL_DIR = Path(__file__).resolve().parents[1]
SRC = MODEL_DIR / "src"


def load_src(name: str) -> ModuleType:
    """Import ``src/<name>.py`` under a unique module name (the step scripts are not a package).

    ``src`` is on ``sys.path`` only while the script is imported, as it is in an Azure ML job,
    and sibling modules it imports are dropped from ``sys.modules`` afterwards so that two
    models' ``src`` folders never share a module by accident.
    """
    module_name = f"_{MODEL_DIR.name}_src_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location(module_name, SRC / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(SRC))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SRC))
        for added in set(sys.modules) - before - {module_name}:
            origin = getattr(sys.modules[added], "__file__", None)
            if origin and Path(origin).resolve().parent == SRC:
                del sys.modules[added]
    return module


@pytest.fixture(scope="session")
def src() -> Callable[[str], ModuleType]:
    """The loader, as a fixture."""
    return load_src
