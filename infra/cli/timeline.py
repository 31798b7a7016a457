"""``estate timeline STACK [--json] [--against REF] [--parallel N]``: deploy-time estimate."""

from __future__ import annotations

import importlib
import json
from typing import Annotated

import typer
from rich.console import Console

from infra.errors import ConfigError


def run_timeline(stack: str, *, as_json: bool, against: str | None, parallel: int | None) -> None:
    """Build the plan(s) with the offline engine, estimate and print."""
    engine = importlib.import_module("infra.engine")
    diff = importlib.import_module("infra.engine.diff")
    from infra.timeline import estimate_create, estimate_update
    from infra.timeline.render import render

    if parallel is not None and parallel < 1:
        raise ConfigError(f"must be at least 1, got {parallel}", key="--parallel")
    plan = engine.preview(stack)
    if against:
        old = engine.preview_ref(stack, against)
        report = estimate_update(plan, diff.changes(old, plan), old_plan=old, parallel=parallel)
        report["against"] = against
    else:
        report = estimate_create(plan, parallel=parallel)
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        render(report, Console(width=160))


def register(app: typer.Typer) -> None:
    """Add the ``timeline`` command to ``app``."""

    @app.command("timeline")
    def timeline(
        stack: Annotated[str, typer.Argument(help="Stack name (shared, dev, qa, prod).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
        against: Annotated[
            str | None,
            typer.Option("--against", metavar="REF", help="Estimate the update from this git ref."),
        ] = None,
        parallel: Annotated[
            int | None,
            typer.Option("--parallel", metavar="N", help="Concurrent operations (default 4 × CPUs)."),
        ] = None,
    ) -> None:
        """Estimate deploy time: wall time, critical chain and edges that serialize work needlessly."""
        run_timeline(stack, as_json=as_json, against=against, parallel=parallel)
