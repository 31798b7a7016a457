"""``estate timeline STACK [--json PATH] [--against REF] [--parallel N]``: deploy-time estimate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from infra.cli.common import (
    JSON_HELP,
    announce,
    console,
    current_project,
    emit_json,
    json_to_stdout,
    progress,
)
from infra.errors import ConfigError


def run_timeline(stack: str, *, json_path: Path | None, against: str | None, parallel: int | None) -> None:
    """Build the plan(s) with the offline engine, estimate and print."""
    from infra import engine
    from infra.engine.diff import changes
    from infra.engine.urns import align
    from infra.timeline import estimate_create, estimate_update
    from infra.timeline.render import render

    if parallel is not None and parallel < 1:
        raise ConfigError(f"must be at least 1, got {parallel}", key="--parallel")
    with progress(f"previewing {stack}…"):
        plan = engine.preview(stack, policy=False)
    if against:
        with progress(f"previewing {stack} at {against}…"):
            old = align(engine.preview_ref(stack, against), plan)
        report = estimate_update(plan, changes(old, plan), old_plan=old, parallel=parallel)
        report["against"] = against
    else:
        report = estimate_create(plan, parallel=parallel)
    emit_json(json_path, json.dumps(report, indent=2, sort_keys=True))
    if not json_to_stdout(json_path):
        render(report, console())


def register(app: typer.Typer) -> None:
    """Add the ``timeline`` command to ``app``."""

    @app.command("timeline")
    def timeline(
        stack: Annotated[str, typer.Argument(help="Stack name (shared, dev, qa, prod).")],
        json_path: Annotated[Path | None, typer.Option("--json", metavar="PATH", help=JSON_HELP)] = None,
        against: Annotated[
            str | None,
            typer.Option("--against", metavar="REF", help="Estimate the update from this git ref."),
        ] = None,
        parallel: Annotated[
            int | None,
            typer.Option(
                "--parallel",
                metavar="N",
                help="Concurrent operations (default 8: Pulumi's 4 × CPUs on a 2-vCPU agent).",
            ),
        ] = None,
    ) -> None:
        """Estimate deploy time: wall time, critical chain and edges that serialize work needlessly."""
        from infra.engine import validate

        project = current_project()
        validate(stack)
        announce(project)
        run_timeline(stack, json_path=json_path, against=against, parallel=parallel)
