"""``estate cost STACK [--json] [--against REF] [--assumptions FILE]``: monthly cost estimate."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def run_cost(stack: str, *, as_json: bool, against: str | None, assumptions_file: Path | None) -> None:
    """Build the plan(s) with the offline engine, price them and print."""
    from infra.cost import cost_delta, estimate_cost, load_assumptions
    from infra.cost.render import render_cost, render_delta

    assumptions = load_assumptions(assumptions_file)  # validated before anything is built
    engine = importlib.import_module("infra.engine")
    plan = engine.preview(stack)
    if against:
        report = cost_delta(engine.preview_ref(stack, against), plan, assumptions=assumptions)
        report["against"] = against
        show = render_delta
    else:
        report = estimate_cost(plan, assumptions=assumptions)
        show = render_cost
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        show(report, Console(width=180))


def register(app: typer.Typer) -> None:
    """Add the ``cost`` command to ``app``."""

    @app.command("cost")
    def cost(
        stack: Annotated[str, typer.Argument(help="Stack name (shared, dev, qa, prod).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
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
        run_cost(stack, as_json=as_json, against=against, assumptions_file=assumptions)
