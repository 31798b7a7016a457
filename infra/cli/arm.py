"""``estate arm STACK PATH``: the stack's offline plan as an ARM deployment template;
``estate scan STACK...``: Checkov's ARM checks on those renderings, judged against
``policy/suppressions.yaml``.

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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
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
    """Add the ``arm`` and ``scan`` commands to ``app``."""
    register_scan(app)

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


def run_scan(
    stacks: list[str], checkov: str, out_dir: Path, suppressions_file: Path | None
) -> dict[str, Any]:
    """Render each stack, run Checkov's ARM checks on it and judge the failures."""
    import subprocess

    from infra.engine.arm import checkov_records, judge
    from infra.errors import ConfigError
    from policy.suppressions import FILE, SuppressionError, keys, parse

    source = suppressions_file or FILE
    try:
        entries = parse(source.read_text(encoding="utf-8"), str(source)) if source.exists() else ()
    except SuppressionError as exc:
        raise ConfigError(str(exc), file=str(source)) from None
    suppressed = set(keys(entries))
    report: dict[str, Any] = {"stacks": {}, "suppressions": len(entries)}
    for stack in stacks:
        path = out_dir / f"{stack}.arm.json"
        run_arm(stack, str(path), None)
        template = json.loads(path.read_text(encoding="utf-8"))
        rendered = {f"{r['type']}.{r['name']}" for r in template["resources"]}
        try:
            done = subprocess.run(
                [checkov, "-f", str(path), "--framework", "arm", "-o", "json", "--skip-download"],
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            raise ConfigError(
                f"'{checkov}' is not installed (make scan installs it)", key="--checkov"
            ) from None
        failed, summary = checkov_records(json.loads(done.stdout))
        if summary.get("parsing_errors"):
            raise RuntimeError(f"Checkov could not parse {path}: {summary}")
        findings, kept, stale = judge(failed, rendered, suppressed)
        report["stacks"][stack] = {
            "template": str(path),
            "resources": len(template["resources"]),
            "checkovResources": summary.get("resource_count"),
            "passed": summary.get("passed"),
            "failed": len(findings),
            "suppressed": len(kept),
            "findings": findings,
            "stale": [{"check": c, "resource": r} for c, r in stale],
        }
    return report


def register_scan(app: typer.Typer) -> None:
    """Add the ``scan`` command to ``app``."""

    @app.command("scan")
    def scan(
        stacks: Annotated[list[str], typer.Argument(help="Stacks to render and scan.")],
        checkov: Annotated[str, typer.Option("--checkov", help="The Checkov executable.")] = "checkov",
        out_dir: Annotated[Path, typer.Option("--out", help="Where the ARM renderings go.")] = Path(
            "out/arm"
        ),
        suppressions: Annotated[
            Path | None,
            typer.Option("--suppressions", help="Suppressions file (default policy/suppressions.yaml)."),
        ] = None,
        json_path: Annotated[
            str | None,
            typer.Option("--json", metavar="PATH", help="Write the report as JSON (- for stdout)."),
        ] = None,
    ) -> None:
        """Checkov's Azure ARM checks on each stack's rendering.

        Exit 1 on an unlisted finding, 3 on a suppression that no longer matches anything."""
        report = run_scan(stacks, checkov, out_dir, suppressions)
        if json_path is not None:
            write_text(json_path, json.dumps(report, indent=2, sort_keys=True) + "\n")
        findings = stale = 0
        for stack, result in report["stacks"].items():
            findings += result["failed"]
            stale += len(result["stale"])
            if json_path != "-":
                typer.echo(
                    f"{stack}: {result['resources']} resources, {result['passed']} passed, "
                    f"{result['suppressed']} suppressed, {result['failed']} failed, {len(result['stale'])} stale"
                )
                for row in result["findings"]:
                    typer.echo(f"  FAILED {row['check']} {row['resource']}: {row['name']}")
                for row in result["stale"]:
                    typer.echo(f"  STALE suppression {row['check']} {row['resource']}")
        if findings:
            raise typer.Exit(1)
        if stale:
            raise typer.Exit(3)
