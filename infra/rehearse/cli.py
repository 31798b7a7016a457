"""Command line of the rehearsal (``make rehearse``).

    .venv/bin/python -m infra.rehearse [--model NAME ...] [--workdir DIR]

Exit status: 0 every step passed or was skipped with its reason, 1 a step failed, 2 bad
arguments or stack settings, 70 internal error.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from infra.errors import EXIT_CONFIG, ConfigError

from .models import PROFILES
from .registry import LocalRegistry
from .report import Report

EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rehearsal; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m infra.rehearse", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", default=None, help=f"one of {sorted(PROFILES)} (repeatable)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep every artifact here (default: a temp folder)"
    )
    args = parser.parse_args(argv)
    models = args.model or sorted(PROFILES)
    unknown = [m for m in models if m not in PROFILES]
    started = time.monotonic()
    try:
        if unknown:
            raise ConfigError(
                f"{unknown} are not sample models; choose from {sorted(PROFILES)}", key="--model"
            )
        from . import loop  # imports the stack settings machinery

        prod = loop.prod_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rehearse-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = Report()
    try:
        from model_assets import submit_training

        from .function_host import FunctionHost

        host_started = time.monotonic()
        host = FunctionHost(loop.retrain_app_settings(prod), loop.PROJECT_DIR / "pipelines" / "train.yml")
        print(
            f"[rehearse] retraining Function App loaded ({', '.join(sorted(host.functions))}) in "
            f"{time.monotonic() - host_started:.1f} s; the Functions host itself cannot be installed here",
            flush=True,
        )
        ctx = loop.Context(
            workdir=workdir,
            report=report,
            registry=LocalRegistry(workdir / "registry"),
            registry_name=submit_training.registry_name(loop.PROJECT_DIR),
            prod=prod,
            host=host,
        )
        loop.attach_decisions(ctx)
        for model in models:
            loop.rehearse(ctx, PROFILES[model])
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = report.summary(time.monotonic() - started)
    print(f"[rehearse] {summary}", flush=True)
    return EXIT_FAILED if any(r.status == "FAIL" for r in report.results) else 0
