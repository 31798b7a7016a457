"""``estate preview``: the offline preview of one stack or all of them.

Exit status: 0 ok; 1 a mandatory policy failed; 2 a configuration or usage error; 3 the
change would replace or delete a protected resource (refused, as Pulumi refuses it); 4
changes are present and ``--expect-no-changes`` was given, or a dynamic provider could not
start, import or check a resource (exit 3 too: a defect the real CLI would fail on); 70 an
internal error. The JSON
plan (``--json``) is written before the exit status is decided, so a refused change or a
policy failure still leaves the plan to read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from infra.cli.common import (
    JSON_HELP,
    announce,
    current_project,
    emit_json,
    json_to_stdout,
    print_plan_text,
    progress,
    width,
)
from infra.errors import EXIT_CHANGES, EXIT_DEFECT, EXIT_INTERNAL, EXIT_POLICY, ConfigError

if TYPE_CHECKING:
    from infra.engine.runner import Launch


def _program_failed(stack: str, exc: Exception) -> int:
    from infra.cli import internal_error_message

    print(f"error: {stack}: {internal_error_message(exc)}", file=sys.stderr)
    return EXIT_INTERNAL


def unregistered_notes(plan: dict[str, Any]) -> list[str]:
    """One line per slot declared without a registered version (day 0), from the plan's outputs."""
    from infra.settings.models import unregistered_note

    endpoints = (plan.get("outputs") or {}).get("endpoints") or {}
    return [
        unregistered_note(model, slot)
        for model, endpoint in sorted(endpoints.items())
        for slot in endpoint.get("unregistered") or []
    ]


def _diff(
    plan: dict[str, Any], old: dict[str, Any], against: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The resource and output changes from ``old`` (the plan at ``against``) to ``plan``
    (added to the plan JSON)."""
    from infra.engine.diff import changes, output_changes

    change_list = changes(old, plan)
    outputs = output_changes(old, plan)
    plan["changes"] = change_list
    plan["outputChanges"] = outputs
    plan["against"] = against
    return change_list, outputs


def run_preview(
    stack: str,
    *,
    json_path: Path | None,
    against: str | None,
    quiet: bool,
    policy: bool,
    registry: str | None = None,
    show_same: bool = False,
    expect_no_changes: bool = False,
    launch: Launch | None = None,
) -> int:
    """Preview ``stack``; print the tree unless ``quiet``; return the exit status."""
    from infra.engine import DynamicProviderError, EngineError, dumps, preview, preview_ref
    from infra.engine.diff import protected_violations, refusal_message
    from infra.engine.render import (
        render_changes,
        render_outputs,
        render_policy,
        render_summary,
        render_tree,
    )
    from infra.maturity import assess, render_maturity

    try:
        old = None
        if against:  # the old plan first: its dynamic resources are what the providers diff against
            with progress(f"previewing {stack} at {against}…"):
                old = preview_ref(stack, against)
        with progress(f"previewing {stack}…"):
            plan = preview(stack, policy=policy, registry=registry, launch=launch, against_plan=old)
    except ConfigError:
        raise
    except DynamicProviderError as exc:
        print(f"error: {stack}: {exc}", file=sys.stderr)
        return EXIT_DEFECT
    except (EngineError, Exception) as exc:
        return _program_failed(stack, exc)
    change_list = output_list = None
    if against and old is not None:
        change_list, output_list = _diff(plan, old, against)
    plan["maturity"] = assess(plan)
    emit_json(json_path, dumps(plan))
    refused = protected_violations(change_list or [])
    violations = plan.get("policy", {}).get("violations", [])
    mandatory = [v for v in violations if v["enforcement"] == "mandatory"]
    if not quiet and not json_to_stdout(json_path):
        cols = width()
        title = f"Previewing update ({stack})" + (f" against {against}" if against else "") + " [offline]:"
        parts = [
            title,
            render_tree(plan, change_list, width=cols, show_same=show_same),
            render_changes(change_list or [], width=cols),
            render_outputs(plan, output_list, width=cols),
            render_maturity(plan) if not against else "",
            render_policy(plan, width=cols),
            "\n".join(unregistered_notes(plan)),
            render_summary(plan, change_list),
        ]
        print_plan_text("\n\n".join(p for p in parts if p))
    if refused:
        print(f"error: {stack}: {refusal_message(refused)}", file=sys.stderr)
        return EXIT_DEFECT
    if mandatory:
        return EXIT_POLICY
    if expect_no_changes and change_list:
        print(f"{stack}: {len(change_list)} change(s) present (--expect-no-changes)", file=sys.stderr)
        return EXIT_CHANGES
    return 0


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
            typer.Option("--json", help=JSON_HELP + " With --all: a directory, one plan-<stack>.json each."),
        ] = None,
        against: Annotated[
            str | None,
            typer.Option("--against", help="Git ref to diff against: only what changes, old → new."),
        ] = None,
        show_same: Annotated[
            bool, typer.Option("--show-same", help="With --against: list unchanged resources too.")
        ] = False,
        expect_no_changes: Annotated[
            bool,
            typer.Option("--expect-no-changes", help="With --against: exit 4 when anything changes (CI)."),
        ] = False,
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
        registry: Annotated[
            str | None,
            typer.Option(
                "--registry",
                help="What the offline registry holds: catalog (model_assets/registry-catalog.yaml, "
                "the default) or empty (a brand-new estate, day 0).",
            ),
        ] = None,
    ) -> None:
        """Preview a stack offline: no credentials, no Pulumi CLI, nothing unknown."""
        from infra.engine import stacks, validate

        project = current_project()
        if all_stacks == (stack is not None):
            raise ConfigError("give a STACK or --all (not both)", key="estate preview")
        if expect_no_changes and not against:
            raise ConfigError("needs --against REF (the commit to compare with)", key="--expect-no-changes")
        if all_stacks and json_to_stdout(json_path):
            raise ConfigError("with --all, --json names a directory (one plan per stack)", key="--json")
        targets = stacks() if stack is None else [stack]  # exactly one of the two was given
        if not all_stacks and stack not in stacks():
            raise ConfigError(f"no stack '{stack}' (stacks: {', '.join(stacks())})", key="STACK")
        for target in targets:  # every stack file is valid before any program runs
            validate(str(target))
        if not quiet:
            announce(project)
        launch = _launch(exec_script, provider_launcher)
        if all_stacks and not against:
            with progress("previewing every stack…"):
                _preview_in_parallel(targets, policy=not no_policy, launch=launch, registry=registry)
        worst = 0
        for target in targets:
            path = json_path
            if all_stacks and json_path is not None:
                path = json_path / f"plan-{target}.json"
            if all_stacks and not quiet:
                print(f"\n=== {target} ===")
            code = run_preview(
                str(target),
                json_path=path,
                against=against,
                quiet=quiet,
                policy=not no_policy,
                show_same=show_same,
                expect_no_changes=expect_no_changes,
                registry=registry,
                launch=launch,
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


def _preview_in_parallel(
    targets: list[str], *, policy: bool, launch: Launch, registry: str | None = None
) -> None:
    """Compute every stack's plan at once, each program in its own process; a referenced stack
    (``shared``) is computed once, alongside the stacks that read it. Errors are left for the
    ordered pass that prints them, which then reads the plans from the engine's cache."""
    from concurrent.futures import ThreadPoolExecutor

    from infra.engine import preview

    def attempt(stack: str) -> None:
        try:
            preview(stack, policy=False, launch=launch, registry=registry)
        except Exception:
            pass

    readers = [t for t in targets if t != "shared"]
    with ThreadPoolExecutor(max_workers=max(len(readers), 1)) as pool:
        list(pool.map(attempt, readers))
    if "shared" in targets:
        attempt("shared")  # already computed for the readers, unless there were none
