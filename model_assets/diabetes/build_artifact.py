"""Build the diabetes model folder locally, exactly as the pipeline's prep and train steps do.

    python model_assets/diabetes/build_artifact.py --output DIR

Used by ``model_assets.smoke_local`` to serve the model with the real inference server, and
handy to inspect the artifact. Writes ``DIR/data`` (prepared splits) and ``DIR/model``
(``model.joblib`` + ``model_meta.json``); prints the model folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

SRC = Path(__file__).resolve().parent / "src"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"diabetes_build_{name}", SRC / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build(output: Path, alpha: float = 1.0) -> Path:
    """Prepare the data and train; returns the model folder."""
    _load("prep").prepare(output / "data", SRC / "reference_stats.json")
    _load("train").train(output / "data", output / "model", alpha)
    return output / "model"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    print(build(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
