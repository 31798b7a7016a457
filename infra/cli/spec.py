"""``estate spec check PATH... [--stack S] [--target T] [--json PATH]``: check Azure ML specs.

Each file goes through exactly the spec path the ``ModelAssets`` component uses
(:mod:`components.serving.spec_check`). Prints, per file, the azure-native inputs it produces
or its errors and warnings (``file:line: field: message``), within 80 columns. Exit 2 when any
file has an error.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from infra.errors import EXIT_CONFIG, EXIT_OK, ConfigError

STACKS = ("shared", "dev", "qa", "prod")
WIDTH = 80


def stack_targets(stack: str, target: str) -> Any:
    """The compute names a stack offers (the names the platform layer gives its computes)."""
    from components.serving.specs import StackTargets
    from stacks.platform import KUBERNETES_COMPUTE_NAME, TRAINING_COMPUTE_NAME

    if stack not in STACKS:
        raise ConfigError(f"'{stack}' is not a stack (stacks: {', '.join(STACKS)})", key="--stack")
    if target not in ("managed", "kubernetes"):
        raise ConfigError(f"'{target}' is not managed or kubernetes", key="--target")
    return StackTargets(
        target=target, training_compute=TRAINING_COMPUTE_NAME, kubernetes_compute=KUBERNETES_COMPUTE_NAME
    )


def _wrap(text: str, indent: str = "  ") -> str:
    return "\n".join(
        textwrap.wrap(
            text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=True
        )
    )


def render(report: dict[str, Any]) -> str:
    """The human form of one file's report (lines of at most 80 columns)."""
    status = "error" if report["errors"] else "ok"
    lines = [_wrap(f"{report['file']} [{report['kind'] or 'unknown'}]: {status}", indent="")]
    for issue in report["errors"] + report["warnings"]:
        where = f"{issue['file']}:{issue['line']}" if issue["line"] else issue["file"]
        field = f"{issue['field']}: " if issue["field"] else ""
        lines.append(_wrap(f"{issue['severity']}: {where}: {field}{issue['message']}"))
    for path in report["differences"]:
        lines.append(_wrap(f"difference from azure-ai-ml (no documented override): {path}"))
    if not report["errors"] and report["inputs"] is not None:
        body = json.dumps(report["inputs"], indent=2, sort_keys=True)
        for line in body.splitlines():
            lines.append(_wrap(line, indent="    ") if len(line) + 4 > WIDTH else "    " + line)
    if not report["errors"]:
        for asset in report.get("data_assets") or []:
            path = asset["properties"].get("dataUri")
            lines.append(
                _wrap(
                    f"data asset registered first ({asset['collection']}): {asset['name']}:{asset['version']} at {path}"
                )
            )
    return "\n".join(lines)


def write_json(target: str, value: Any) -> None:
    """Write ``value`` as JSON to ``target`` (``-`` = stdout), atomically for files."""
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    if target == "-":
        typer.echo(text, nl=False)
        return
    path = Path(target)
    handle, temp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temp, path)


def run_check(paths: list[Path], *, stack: str, target: str, json_path: str | None) -> int:
    """Check every file; print (or write JSON); 2 when any file has an error."""
    from components.serving.spec_check import check_file

    targets = stack_targets(stack, target)
    reports = [check_file(path, targets).as_dict() for path in paths]
    if json_path is not None:
        write_json(json_path, {"stack": stack, "target": target, "files": reports})
    if json_path != "-":
        for report in reports:
            typer.echo(render(report))
        bad = sum(1 for r in reports if r["errors"])
        typer.echo(f"{len(reports)} file(s): {len(reports) - bad} ok, {bad} with errors")
    return EXIT_CONFIG if any(r["errors"] for r in reports) else EXIT_OK


def register(app: typer.Typer) -> None:
    """Add the ``spec`` command group to ``app``."""
    group = typer.Typer(help="Azure ML CLI v2 specs: check them through the estate's spec path.")
    app.add_typer(group, name="spec")

    @group.command("check")
    def check(
        paths: Annotated[
            list[Path], typer.Argument(help="Spec files (endpoint, deployment, environment, pipeline).")
        ],
        stack: Annotated[
            str, typer.Option("--stack", help="Stack whose computes the specs must name.")
        ] = "dev",
        target: Annotated[
            str, typer.Option("--target", help="managed or kubernetes (online models).")
        ] = "managed",
        json_path: Annotated[
            str | None, typer.Option("--json", metavar="PATH", help="Write JSON here ('-' = stdout).")
        ] = None,
    ) -> None:
        """Print the azure-native inputs each spec produces, or its errors and warnings by file:line."""
        raise typer.Exit(run_check(paths, stack=stack, target=target, json_path=json_path))
