"""``estate cost STACK [--json PATH] [--against REF] [--assumptions FILE]``: monthly cost estimate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from infra.cli.common import JSON_HELP, console, current_project, emit_json, json_to_stdout, progress


def run_cost(stack: str, *, json_path: Path | None, against: str | None, assumptions_file: Path | None) -> None:
    """Build the plan(s) with the offline engine, price them and print."""
    from infra import engine
    from infra.cost import cost_delta, estimate_cost, load_assumptions
    from infra.cost.render import render_cost, render_delta

    assumptions = load_assumptions(assumptions_file)  # validated before anything is built
    with progress(f"previewing {stack}…"):
        plan = engine.preview(stack, policy=False)
    if against:
        with progress(f"previewing {stack} at {against}…"):
            old = engine.preview_ref(stack, against)
        report = cost_delta(old, plan, assumptions=assumptions)
        report["against"] = against
        show = render_delta
    else:
        report = estimate_cost(plan, assumptions=assumptions)
        show = render_cost
    emit_json(json_path, json.dumps(report, indent=2, sort_keys=True))
    if not json_to_stdout(json_path):
        show(report, console())


def register(app: typer.Typer) -> None:
    """Add the ``cost`` command to ``app``."""

    @app.command("cost")
    def cost(
        stack: Annotated[str, typer.Argument(help="Stack name (shared, dev, qa, prod).")],
        json_path: Annotated[Path | None, typer.Option("--json", metavar="PATH", help=JSON_HELP)] = None,
        against: Annotated[
            str | None,
            typer.Option("--against", metavar="REF", help="Show the monthly delta from this git ref."),
        ] = None,
        assumptions: Annotated[
            Path | None,
            typer.Option("--assumptions", metavar="FILE", help="YAML overriding usage assumptions."),
        ] = None,
    ) -> None:
        """Estimate the monthly cost per resource and in total, idle and under the assumed load."""
        from infra.engine import validate

        current_project()
        validate(stack)
        run_cost(stack, json_path=json_path, against=against, assumptions_file=assumptions)
