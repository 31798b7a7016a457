"""``estate preview``: the offline preview of one stack or all of them.

Exit status: 0 ok; 1 a mandatory policy failed (or the program failed); 2 a configuration
or usage error. The JSON plan (``--json``) is written before the exit status is decided, so
a policy failure still leaves the plan to read.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from infra.errors import EXIT_POLICY, ConfigError


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_preview(stack: str, *, json_path: Path | None, against: str | None, quiet: bool, policy: bool) -> int:
    """Preview ``stack``; print the tree unless ``quiet``; return the exit status."""
    from infra.engine import EngineError, dumps, preview, preview_ref
    from infra.engine.diff import changes
    from infra.engine.render import render_outputs, render_policy, render_summary, render_tree
    from infra.maturity import assess, render_maturity

    try:
        plan = preview(stack, policy=policy)
    except ConfigError:
        raise
    except EngineError as exc:
        print(f"error: {stack}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("ESTATE_DEBUG"):
            traceback.print_exc()
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        print(
            f"error: {stack}: the program failed: {type(exc).__name__}: {exc}\n"
            f"  at {frame.filename}:{frame.lineno} (set ESTATE_DEBUG=1 for the full traceback)",
            file=sys.stderr,
        )
        return 1
    change_list = None
    if against:
        old = preview_ref(stack, against)
        change_list = changes(old, plan)
        plan["changes"] = [{k: c[k] for k in ("urn", "type", "action", "keys")} for c in change_list]
        plan["against"] = against
    plan["maturity"] = assess(plan)
    if json_path is not None:
        _write(json_path, dumps(plan))
    violations = plan.get("policy", {}).get("violations", [])
    mandatory = [v for v in violations if v["enforcement"] == "mandatory"]
    if not quiet:
        title = f"Previewing update ({stack})" + (f" against {against}" if against else "") + " [offline]:"
        parts = [
            title,
            render_tree(plan, change_list),
            render_outputs(plan),
            render_maturity(plan),
            render_policy(plan),
            render_summary(plan, change_list),
        ]
        print("\n\n".join(p for p in parts if p))
    return EXIT_POLICY if mandatory else 0


def register(app: typer.Typer) -> None:
    """Add ``preview`` to the CLI."""

    @app.command("preview")
    def preview_command(
        stack: Annotated[
            str | None, typer.Argument(help="Stack to preview: shared, dev, qa or prod.")
        ] = None,
        all_stacks: Annotated[
            bool, typer.Option("--all", help="Preview every stack (shared first).")
        ] = False,
        json_path: Annotated[
            Path | None,
            typer.Option(
                "--json",
                help="Write the plan JSON here (with --all: a directory, one plan-<stack>.json each).",
            ),
        ] = None,
        against: Annotated[
            str | None,
            typer.Option(
                "--against", help="Git ref to diff against: prints create/update/replace/delete per resource."
            ),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
        no_policy: Annotated[bool, typer.Option("--no-policy", help="Skip the policy pack.")] = False,
    ) -> None:
        """Preview a stack offline: no credentials, no Pulumi CLI, nothing unknown."""
        from infra.engine import stacks, validate

        if all_stacks == (stack is not None):
            raise ConfigError("give a STACK or --all (not both)", key="estate preview")
        targets = stacks() if all_stacks else [stack]
        if not all_stacks and stack not in stacks():
            raise ConfigError(f"no stack '{stack}' (stacks: {', '.join(stacks())})", key="STACK")
        for target in targets:  # every stack file is valid before any program runs
            validate(target)
        worst = 0
        for target in targets:
            path = json_path
            if all_stacks and json_path is not None:
                path = json_path / f"plan-{target}.json"
            if all_stacks and not quiet:
                print(f"\n=== {target} ===")
            code = run_preview(target, json_path=path, against=against, quiet=quiet, policy=not no_policy)
            worst = max(worst, code)
        if worst:
            raise typer.Exit(worst)
