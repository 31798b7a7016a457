"""``estate promote``: pin a model version in a stack file and show what that changes.

    estate promote STACK MODEL VERSION [--slot SLOT] [--traffic N] [--force] [--record [--model-type T]]

Edits ``Pulumi.<STACK>.yaml`` in place (comments, key order and formatting preserved), then
prints the file diff and the offline diff (create/update/replace/delete per resource with the
changed inputs). Refuses, writing nothing, on an unknown model or slot, a traffic share out of
range, a version the registry catalog does not have, or a prod promotion of a version qa does
not run (``--force`` overrides that last rule). Exit status 2 on any of these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra.cli.common import JSON_HELP


def run_promote(
    stack: str,
    model: str,
    version: str,
    *,
    slot: str | None = None,
    traffic: int | None = None,
    force: bool = False,
    project_dir: Path | None = None,
    record: bool = False,
    model_type: str | None = None,
    json_path: Path | None = None,
) -> str:
    """Promote, write the stack file, and return what to print. Raises ConfigError (nothing written)."""
    from infra.cli.common import announce, current_project, progress, width
    from infra.promotion import prepare, render

    project_dir = project_dir or current_project()
    with progress(f"checking and previewing {stack}…"):
        promotion = prepare(
            stack,
            model,
            version,
            slot=slot,
            traffic=traffic,
            force=force,
            project_dir=project_dir,
            record=record,
            model_type=model_type,
        )
    announce(project_dir)
    if promotion.changed:
        promotion.write()
    written = [promotion.file.name] + (
        [f"model_assets/{promotion.catalog_file.name}"]
        if promotion.catalog_file is not None and promotion.catalog_before != promotion.catalog_after
        else []
    )
    note = f"\nwrote {', '.join(written)} in {project_dir}" if promotion.changed else ""
    if json_path is not None:
        import json

        from infra.cli.common import emit_json

        report = {
            "stack": stack,
            "model": model,
            "slot": promotion.slot,
            "oldVersion": promotion.old_version,
            "newVersion": promotion.new_version,
            "oldTraffic": promotion.old_traffic,
            "newTraffic": promotion.new_traffic,
            "written": written if promotion.changed else [],
            "changes": promotion.changes,
        }
        emit_json(json_path, json.dumps(report, indent=2, sort_keys=True))
    return render(promotion, width=width()) + note


def register(app: typer.Typer) -> None:
    """Add ``promote`` to the CLI."""

    @app.command("promote")
    def promote_command(
        stack: Annotated[str, typer.Argument(help="Stack whose file to edit: dev, qa or prod.")],
        model: Annotated[str, typer.Argument(help="Model key under mlops-estate:models.")],
        version: Annotated[str, typer.Argument(help="Explicit registry version, e.g. 4.")],
        slot: Annotated[
            str | None,
            typer.Option(
                "--slot", help="Deployment slot to change (default: the slot with the most traffic)."
            ),
        ] = None,
        traffic: Annotated[
            int | None,
            typer.Option(
                "--traffic", help="Live traffic percent for the slot; the other slot takes the rest."
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Promote to prod a version qa does not run.")
        ] = False,
        record: Annotated[
            bool,
            typer.Option(
                "--record", help="Add VERSION to model_assets/registry-catalog.yaml (it was just registered)."
            ),
        ] = False,
        model_type: Annotated[
            str | None,
            typer.Option(
                "--model-type",
                help="With --record: the type VERSION was registered as (custom_model, mlflow_model or "
                "triton_model); the offline preview checks no-code deployments against it.",
            ),
        ] = None,
        json_path: Annotated[Path | None, typer.Option("--json", metavar="PATH", help=JSON_HELP)] = None,
    ) -> None:
        """Pin MODEL to VERSION in Pulumi.<STACK>.yaml and print the offline diff of the change."""
        from infra.cli.common import json_to_stdout, print_plan_text

        text = run_promote(
            stack,
            model,
            version,
            slot=slot,
            traffic=traffic,
            force=force,
            record=record,
            model_type=model_type,
            json_path=json_path,
        )
        if not json_to_stdout(json_path):
            print_plan_text(text)
