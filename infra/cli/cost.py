"""``estate cost STACK [--json PATH] [--against REF] [--assumptions FILE]``: monthly cost estimate."""

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


def run_cost(
    stack: str, *, json_path: Path | None, against: str | None, assumptions_file: Path | None
) -> None:
    """Build the plan(s) with the offline engine, price them and print."""
    from infra import engine
    from infra.cost import cost_delta, estimate_cost, load_assumptions
    from infra.cost.render import render_cost, render_delta
    from infra.engine.urns import align

    assumptions = load_assumptions(assumptions_file)  # validated before anything is built
    with progress(f"previewing {stack}…"):
        plan = engine.preview(stack, policy=False)
    if against:
        with progress(f"previewing {stack} at {against}…"):
            old = align(engine.preview_ref(stack, against), plan)
        report = cost_delta(old, plan, assumptions=assumptions)
        report["against"] = against
        show = render_delta
    else:
        report = estimate_cost(plan, assumptions=assumptions)
        show = render_cost
    emit_json(json_path, json.dumps(report, indent=2, sort_keys=True))
    if not json_to_stdout(json_path):
        show(report, console())


def set_budget(stack: str, project_dir: Path, report: dict[str, object]) -> str:
    """Write the estimate (idle monthly total, rounded up to whole dollars) as the stack's
    budget amount (``mlops-estate:budget.amountUsd``), in place and crash-safe."""
    import io
    import math

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    from infra.atomic import write_text

    totals = report["totals"]
    assert isinstance(totals, dict)
    amount = int(math.ceil(float(totals["idle_usd"])))
    path = project_dir / f"Pulumi.{stack}.yaml"
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(path.read_text(encoding="utf-8"))
    config = document["config"]
    budget = config.get("mlops-estate:budget")
    if budget is None:
        budget = CommentedMap()
        config["mlops-estate:budget"] = budget
    budget["amountUsd"] = amount
    out = io.StringIO()
    yaml.dump(document, out)
    write_text(path, out.getvalue())
    unpriced = len(report["unpriced"]) if isinstance(report["unpriced"], list) else 0
    note = f" ({unpriced} unpriced resource(s) not included)" if unpriced else ""
    return f"{path.name}: mlops-estate:budget.amountUsd = {amount} (the idle monthly estimate{note})"


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
        write_budget: Annotated[
            bool,
            typer.Option("--set-budget", help="Write the idle estimate as the stack's budget amount."),
        ] = False,
    ) -> None:
        """Estimate the monthly cost per resource and in total, idle and under the assumed load."""
        from infra.cost import estimate_cost
        from infra.engine import preview, validate
        from infra.errors import ConfigError

        project = current_project()
        validate(stack)
        announce(project)
        if write_budget:
            if against:
                raise ConfigError(
                    "--set-budget writes the current estimate; leave out --against", key="--set-budget"
                )
            with progress(f"previewing {stack}…"):
                report = estimate_cost(preview(stack, policy=False))
            typer.echo(set_budget(stack, project, report))
            return
        run_cost(stack, json_path=json_path, against=against, assumptions_file=assumptions)
