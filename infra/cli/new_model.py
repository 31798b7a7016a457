"""``estate new-model``: scaffold a model folder and declare the model in dev (day 0)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra.scaffold import KINDS, SERVINGS, STACKS, create_model


def register(app: typer.Typer) -> None:
    """Add the ``new-model`` command to ``app``."""

    @app.command("new-model")
    def new_model(
        name: Annotated[
            str,
            typer.Argument(
                help="Model name: 2-31 characters, a lower-case letter first, then lower-case letters, digits or _."
            ),
        ],
        kind: Annotated[str, typer.Option("--kind", help=" | ".join(KINDS))],
        serving: Annotated[str, typer.Option("--serving", help=" | ".join(SERVINGS))],
        project_dir: Annotated[
            Path | None,
            typer.Option(
                "--project-dir",
                help="The project root (holds the stack files). Default: found from the working folder up.",
            ),
        ] = None,
    ) -> None:
        """Render model_assets/NAME/ (code, tests, Azure ML specs, pipeline) and declare NAME in dev."""
        from infra.cli.common import announce, current_project

        if project_dir is None:
            project_dir = current_project()
        result = create_model(name, kind, serving, project_dir)
        announce(project_dir)
        typer.echo(f"created {result.model_dir} ({len(result.files)} files, kind {kind}, serving {serving})")
        typer.echo(
            f"declared {name} in {', '.join(f'Pulumi.{s}.yaml' for s in STACKS)} without a version (slot blue): "
            "the endpoint deploys; its pipeline's register step registers version 1 and records it in "
            f"model_assets/registry-catalog.yaml; then `estate promote dev {name} 1`"
        )
        typer.echo(f"next: .venv/bin/python -m pytest model_assets/{name} && .venv/bin/estate preview dev")
