"""``estate arm STACK PATH [--json PATH]``: the stack's offline plan as an ARM deployment template.

Writes PATH (``-`` = stdout) through a temporary file in the same folder and a rename, so a
scanner never reads a half-written template. ``--json`` writes a summary (resources rendered,
non-ARM resources skipped, by ARM type). Exit 0, or 2 on a configuration error.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-`` = stdout) atomically: temp file in the same folder + rename."""
    if path == "-":
        typer.echo(text, nl=False)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run_arm(stack: str, path: str, json_path: str | None) -> dict[str, Any]:
    """Preview ``stack`` offline, render it and write the template; returns the summary."""
    from infra.engine import preview
    from infra.engine.arm import render

    template = render(preview(stack, policy=False))
    write_text(path, json.dumps(template, indent=1, sort_keys=True) + "\n")
    summary = {
        "stack": stack,
        "path": path,
        "resources": len(template["resources"]),
        "skippedNonArmResources": template["metadata"]["skippedNonArmResources"],
        "types": dict(sorted(Counter(r["type"] for r in template["resources"]).items())),
    }
    if json_path is not None:
        write_text(json_path, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


def register(app: typer.Typer) -> None:
    """Add the ``arm`` command to ``app``."""

    @app.command("arm")
    def arm(
        stack: Annotated[str, typer.Argument(help="Stack name (shared, dev, qa, prod).")],
        path: Annotated[str, typer.Argument(help="Where to write the ARM template (- for stdout).")],
        json_path: Annotated[
            str | None, typer.Option("--json", metavar="PATH", help="Write a JSON summary (- for stdout).")
        ] = None,
    ) -> None:
        """Render the stack's plan as an ARM deployment template (for Checkov and other ARM scanners)."""
        summary = run_arm(stack, path, json_path)
        if json_path != "-" and path != "-":
            typer.echo(
                f"{stack}: {summary['resources']} ARM resources written to {path} "
                f"({summary['skippedNonArmResources']} non-ARM resources skipped)"
            )
