"""``estate bench``: benchmark the offline preview (a benchmark, never a timed test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from infra.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the CLI."""

    @app.command("bench")
    def bench_command(
        quick: Annotated[
            bool, typer.Option("--quick", help="One run each, scale to 10 models (CI).")
        ] = False,
        runs: Annotated[
            int | None, typer.Option("--runs", help="Runs per measurement (default 5, quick 1).")
        ] = None,
        json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
        markdown: Annotated[
            Path | None,
            typer.Option(
                "--markdown", help="Write the tables here (default docs/benchmarks.md unless --quick)."
            ),
        ] = None,
    ) -> None:
        """Measure preview time and memory per stack, the SDK floor, and scaling per model."""
        from infra.bench import render_markdown, run_bench
        from infra.cli.common import progress
        from infra.engine import project_directory

        if runs is not None and not 1 <= runs <= 50:
            raise ConfigError(f"{runs} is out of range; use 1-50", key="--runs")
        with progress("benchmarking the offline preview of every stack (minutes)…"):
            report = run_bench(quick=quick, runs=runs)
        text = render_markdown(report)
        print(text)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        target = (
            markdown
            if markdown is not None
            else (None if quick else project_directory() / "docs" / "benchmarks.md")
        )
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
