"""Build the fraud_rules model folder locally: the validated rules folder, as it is registered.

    python model_assets/fraud_rules/build_artifact.py --output DIR

Used by ``model_assets.smoke_local``. Validates ``rules/rules.yaml`` and copies it to
``DIR/rules``; prints that folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(output: Path) -> Path:
    """Validate the rules and copy the rules folder; returns it."""
    spec = importlib.util.spec_from_file_location(
        "fraud_rules_build_engine", HERE / "src" / "rules_engine.py"
    )
    assert spec is not None and spec.loader is not None
    engine = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = engine  # dataclasses look their module up while the class is built
    spec.loader.exec_module(engine)
    engine.load_rules(HERE / "rules" / "rules.yaml")
    target = output / "rules"
    shutil.copytree(HERE / "rules", target, dirs_exist_ok=True)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    print(build(parser.parse_args(argv).output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
