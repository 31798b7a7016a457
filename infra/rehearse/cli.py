"""Command line of the rehearsal (``make rehearse``).

    .venv/bin/python -m infra.rehearse [--model NAME ...] [--workdir DIR] [--json PATH]

``--json PATH`` writes every step (model, step, status, seconds, detail) and the summary
(``-`` = stdout). Exit status: 0 every step passed or was skipped with its reason, 1 a step
failed, 2 bad arguments or stack settings, 70 internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from infra.errors import EXIT_CONFIG, ConfigError
from infra.settings import EnvironmentStackSettings

from .models import PROFILES
from .registry import LocalRegistry
from .report import Report

EXIT_FAILED = 1
EXIT_INTERNAL = 70
SCHEMA = "mlops-estate/rehearsal@1"


def write_json(report: Report, summary: str, path: str) -> None:
    """The results as JSON, to ``path`` (through a temp file + rename) or stdout for ``-``."""
    body = json.dumps(
        {
            "schema": SCHEMA,
            "summary": summary,
            "steps": [
                {
                    "model": r.model,
                    "step": r.step,
                    "status": r.status,
                    "seconds": round(r.seconds, 2),
                    "detail": r.detail,
                }
                for r in report.results
            ],
        },
        indent=2,
    )
    if path == "-":
        print(body)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(body + "\n", encoding="utf-8")
    os.replace(temporary, target)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rehearsal; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m infra.rehearse", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", default=None, help=f"one of {sorted(PROFILES)} (repeatable)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep every artifact here (default: a temp folder)"
    )
    parser.add_argument("--json", default=None, metavar="PATH", help="write the steps as JSON ('-' = stdout)")
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
        _run(args.workdir, workdir, models, prod, report)
    except Exception as exc:  # a defect of the harness itself, not of a rehearsed step
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    summary = report.summary(time.monotonic() - started)
    print(f"[rehearse] {summary}", flush=True)
    if args.json:
        write_json(report, summary, args.json)
    return EXIT_FAILED if any(r.status == "FAIL" for r in report.results) else 0


def _run(
    keep: Path | None, workdir: Path, models: list[str], prod: EnvironmentStackSettings, report: Report
) -> None:
    from . import loop

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
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
