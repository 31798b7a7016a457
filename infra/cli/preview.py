"""``estate preview``: the offline preview of one stack or all of them.

Exit status: 0 ok; 1 a mandatory policy failed (or the program failed); 2 a configuration
or usage error; 3 a dynamic provider could not start, import or check a resource. The JSON
plan (``--json``) is written before the exit status is decided, so a policy failure still
leaves the plan to read.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from infra.errors import EXIT_POLICY, ConfigError

if TYPE_CHECKING:
    from infra.engine.runner import Launch

EXIT_DEFECT = 3
"""A dynamic provider could not start, import or check a resource (see docs/architecture.md)."""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_preview(
    stack: str,
    *,
    json_path: Path | None,
    against: str | None,
    quiet: bool,
    policy: bool,
    launch: Launch | None = None,
) -> int:
    """Preview ``stack``; print the tree unless ``quiet``; return the exit status."""
    from infra.engine import DynamicProviderError, EngineError, dumps, preview, preview_ref
    from infra.engine.diff import changes
    from infra.engine.render import render_outputs, render_policy, render_summary, render_tree
    from infra.maturity import assess, render_maturity

    old = preview_ref(stack, against) if against else None  # its dynamic resources are diffed against
    try:
        plan = preview(stack, policy=policy, launch=launch, against_plan=old)
    except ConfigError:
        raise
    except DynamicProviderError as exc:
        print(f"error: {stack}: {exc}", file=sys.stderr)
        return EXIT_DEFECT
    except EngineError as exc:
        print(f"error: {stack}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a program bug: say where, full trace on request
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
    if against and old is not None:
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
        exec_script: Annotated[
            Path | None,
            typer.Option("--exec", help="Exec script that runs the program (default: the estate's own)."),
        ] = None,
        provider_launcher: Annotated[
            Path | None,
            typer.Option(
                "--provider-launcher",
                help="Launcher that starts dynamic providers (default: the estate's own).",
            ),
        ] = None,
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
        launch = _launch(exec_script, provider_launcher)
        if all_stacks and not against:
            _preview_in_parallel(targets, policy=not no_policy, launch=launch)
        worst = 0
        for target in targets:
            path = json_path
            if all_stacks and json_path is not None:
                path = json_path / f"plan-{target}.json"
            if all_stacks and not quiet:
                print(f"\n=== {target} ===")
            code = run_preview(
                target, json_path=path, against=against, quiet=quiet, policy=not no_policy, launch=launch
            )
            worst = max(worst, code)
        if worst:
            raise typer.Exit(worst)


def _launch(exec_script: Path | None, provider_launcher: Path | None) -> Launch:
    """The exec script and provider launcher to use; both must exist."""
    from infra.engine.runner import Launch

    for option, path in (("--exec", exec_script), ("--provider-launcher", provider_launcher)):
        if path is not None and not path.is_file():
            raise ConfigError(f"'{path}' is not a file", key=option)
    launch = Launch()
    return Launch(
        exec_script=exec_script.resolve() if exec_script else launch.exec_script,
        provider_launcher=provider_launcher.resolve() if provider_launcher else launch.provider_launcher,
        parallel=launch.parallel,
    )


def _preview_in_parallel(targets: list[str], *, policy: bool, launch: Launch) -> None:
    """Compute every stack's plan at once, each program in its own process; a referenced stack
    (``shared``) is computed once, alongside the stacks that read it. Errors are left for the
    ordered pass that prints them, which then reads the plans from the engine's cache."""
    from concurrent.futures import ThreadPoolExecutor

    from infra.engine import preview

    def attempt(stack: str) -> None:
        try:
            preview(stack, policy=False, launch=launch)
        except Exception:  # noqa: BLE001,S110 - reported by the ordered pass
            pass

    readers = [t for t in targets if t != "shared"]
    with ThreadPoolExecutor(max_workers=max(len(readers), 1)) as pool:
        list(pool.map(attempt, readers))
    if "shared" in targets:
        attempt("shared")  # already computed for the readers, unless there were none
