"""``estate flows STACK [--json PATH]``: trace the MLOps flows F1–F7 link by link.

Exit 0 every traced link ✓ (undecidable links do not fail), 3 a broken link, 2 bad input
(a stack, setting or flows.yaml key named in one line). ``--json -`` writes JSON to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_BROKEN = 3


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def run_flows(stack: str, *, json_path: str | None) -> int:
    """Trace ``stack``; print the report (unless JSON goes to stdout); return the exit status."""
    from infra.engine import stacks
    from infra.errors import ConfigError
    from infra.flows import trace
    from infra.flows.evidence import BROKEN
    from infra.flows.render import render

    if stack not in stacks():
        raise ConfigError(f"no stack '{stack}' (stacks: {', '.join(stacks())})", key="STACK")
    report = trace(stack)
    if json_path is not None:
        _write(json_path, json.dumps(report.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    if json_path != "-":
        print(render(report))
    return EXIT_BROKEN if report.counts()[BROKEN] else 0


def register(app: typer.Typer) -> None:
    """Add ``flows`` to the CLI."""

    @app.command("flows")
    def flows_command(
        stack: Annotated[str, typer.Argument(help="Stack to trace: dev, qa or prod.")],
        json_path: Annotated[
            str | None, typer.Option("--json", metavar="PATH", help="Write the trace as JSON ('-' = stdout).")
        ] = None,
    ) -> None:
        """Trace each MLOps flow (F1-F7) per model: every link ✓, ✗ or undecidable, with evidence."""
        code = run_flows(stack, json_path=json_path)
        if code:
            raise typer.Exit(code)
