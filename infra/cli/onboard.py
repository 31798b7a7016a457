"""``estate onboard``: bring a pre-trained model file into the estate, declared in dev (day 0).

estate onboard NAME --model-file PATH [--scoring-script PATH] [--environment PATH]
               [--sample-request PATH] [--project-dir DIR]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra.scaffold import STACKS, first_version_cost, onboard_model


def register(app: typer.Typer) -> None:
    """Add the ``onboard`` command to ``app``."""

    @app.command("onboard")
    def onboard(
        name: Annotated[
            str,
            typer.Argument(
                help="Model name: a lower-case letter, then 1-30 lower-case letters, digits or underscores."
            ),
        ],
        model_file: Annotated[
            Path, typer.Option("--model-file", help="The trained model file (.pkl, .joblib, ...).")
        ],
        scoring_script: Annotated[
            Path | None,
            typer.Option("--scoring-script", help="Its scoring script (init/run). @default a joblib one"),
        ] = None,
        environment: Annotated[
            Path | None,
            typer.Option(
                "--environment", help="Its conda environment file. @default the estate's scikit-learn one"
            ),
        ] = None,
        sample_request: Annotated[
            Path | None, typer.Option("--sample-request", help="A JSON request body for the smoke test.")
        ] = None,
        project_dir: Annotated[
            Path, typer.Option("--project-dir", help="The project root (holds the stack files).")
        ] = Path("."),
    ) -> None:
        """Onboard a pre-trained model: model_assets/NAME/ with the artifact, specs and tests; NAME declared in dev."""
        result = onboard_model(
            name,
            model_file,
            project_dir,
            scoring_script=scoring_script,
            environment=environment,
            sample_request=sample_request,
        )
        made = result.scaffolded
        typer.echo(f"created {made.model_dir} ({len(made.files)} files; artifact {result.artifact})")
        typer.echo(
            f"  scoring script: {'yours' if result.own_scoring_script else 'default (joblib, {data: rows})'}; "
            f"environment: {'yours' if result.own_environment else 'default (scikit-learn 1.9.1)'}; "
            f"smoke request: {'yours' if result.smoke_request else 'none (pass --sample-request)'}"
        )
        typer.echo(
            f"declared {name} in {', '.join(f'Pulumi.{s}.yaml' for s in STACKS)} without a version (slot blue): "
            "the endpoint deploys now; no deployment until version 1 is registered"
        )
        usd, what = first_version_cost(Path(project_dir), name)
        shown = "unpriced" if usd is None else f"${usd:,.2f}/month"
        typer.echo(f"cost in dev: $0.00/month now (endpoint only); {shown} once version 1 serves ({what})")
        typer.echo(
            f"next: .venv/bin/python -m pytest model_assets/{name} && .venv/bin/estate preview dev; "
            f"register: python -m model_assets.register_artifact {name} ... (records the version in the catalog); "
            f"then .venv/bin/estate promote dev {name} 1"
        )
