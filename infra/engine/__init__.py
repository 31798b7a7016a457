"""The offline preview engine: runs the Pulumi program in-process and returns its plan.

``preview(stack)`` reads ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``, validates the settings
(config errors raise :class:`~infra.errors.ConfigError` before anything runs), previews the
``shared`` stack first when the stack references it (a ``StackReference`` is answered with
the shared stack's real offline outputs), runs the program under the recording monitor, and
returns the plan dict (see docs/architecture.md). No credentials, no Pulumi CLI.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from infra.catalog import registry_choice, registry_env
from infra.engine.dynamic import DYNAMIC_TYPE, DynamicProviderError, ProviderCalls
from infra.engine.monitor import EngineError
from infra.engine.plan import SCHEMA, build_plan, dumps, secret_output_names
from infra.engine.project import Project, load_project, load_stack_config
from infra.engine.runner import Launch, ProgramConfigError, ProgramFailedError, run_function, run_program
from infra.engine.urns import align
from infra.errors import ConfigError
from infra.settings import EnvironmentStackSettings, load_settings
from infra.settings.loader import LoadedStack

PROJECT_ROOT = Path(__file__).resolve().parents[2]

__all__ = [
    "PROJECT_ROOT",
    "SCHEMA",
    "DynamicProviderError",
    "EngineError",
    "Launch",
    "ProgramConfigError",
    "ProgramFailedError",
    "ProviderCalls",
    "clear_cache",
    "dumps",
    "preview",
    "preview_function",
    "preview_ref",
    "provider_calls",
    "project_directory",
    "registered_count",
    "stacks",
    "validate",
]

_CACHE: dict[tuple[str, str, str, str], dict[str, Any]] = {}
_CACHE_SECRETS: dict[tuple[str, str], list[str]] = {}
_PROVIDER_CALLS: dict[tuple[str, str], ProviderCalls] = {}


def project_directory(start: Path | None = None) -> Path:
    """The project the CLI works on: the nearest directory up from ``start`` (default: the
    working directory) holding a ``Pulumi.yaml``, as the Pulumi CLI finds it. Outside a
    project this is a :class:`ConfigError` (never the checkout the tool was installed from)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise ConfigError(
        f"no Pulumi.yaml in {here} or any folder above it; run estate inside the project "
        "(the folder that holds Pulumi.yaml, or one below it)",
        key="project",
    )


def clear_cache() -> None:
    """Forget cached plans (tests that compare two fresh runs call this)."""
    _CACHE.clear()
    with _ONCE_LOCK:
        _ONCE.clear()
    _CACHE_SECRETS.clear()


def registered_count() -> int:
    """How many registrations this process's previews made (an environment stack's preview also
    runs the shared program it references); the benchmark's floor registers as many."""
    return sum(len(plan["resources"]) for plan in _CACHE.values())


def stacks(project_dir: Path | None = None) -> list[str]:
    """The project's stacks (``shared`` first)."""
    return load_project(project_dir or project_directory()).stacks()


def _fingerprint(project: Project, stack: str) -> str:
    """What a cached plan depends on besides code: the project file, every stack file (an
    environment stack reads the shared one) and the registry catalog (pinned versions)."""
    digest = hashlib.sha256()
    paths = [project.directory / "Pulumi.yaml", project.stack_file(stack)]
    paths += sorted(project.stack_config_dir.glob("Pulumi.*.yaml"))
    paths.append(project.directory / "model_assets" / "registry-catalog.yaml")
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _referenced_stack(project: Project, reference: str, *, file: str) -> str:
    org, proj, stack = reference.split("/")
    if proj != project.name:
        raise ConfigError(
            f"'{reference}' names project '{proj}', but this project is '{project.name}'",
            file=file,
            key="mlops-estate:sharedStack",
        )
    if not project.stack_file(stack).exists():
        raise ConfigError(
            f"'{reference}' names stack '{stack}', which has no Pulumi.{stack}.yaml",
            file=file,
            key="mlops-estate:sharedStack",
        )
    return stack


def preview(
    stack: str,
    *,
    project_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    policy: bool = True,
    cache: bool = True,
    registry: str | None = None,
    launch: Launch | None = None,
    against_plan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Preview ``stack`` offline and return its plan.

    ``registry="empty"`` previews against a brand-new registry (no version is registered: day 0);
    the default answers version lookups from the registry catalog. The choice travels to the
    answers layer as ``$ESTATE_REGISTRY`` (see :mod:`infra.catalog`), so a program run in another
    process sees it too.
    ``overrides`` replaces config keys (``"mlops-estate:models"`` → a Python value) before
    validation, e.g. for benchmarks and tests. With ``policy`` the CrossGuard rules run on the
    plan and their violations are added under ``"policy"``. ``cache=False`` runs the program
    again even when this process already previewed the same stack files.
    """
    project = load_project(project_dir or project_directory())
    with registry_env(registry):
        key = (
            str(project.directory),
            stack,
            json.dumps(overrides or {}, sort_keys=True, default=str),
            _fingerprint(project, stack) + registry_choice(),
        )
        cached = _CACHE.get(key) if cache and against_plan is None else None
        if cached is None:
            cached = _run(project, stack, overrides, launch, against_plan)
            _CACHE[key] = cached
    plan = json.loads(json.dumps(cached))  # callers get their own copy
    if policy:
        from infra.engine.policy_runner import evaluate

        violations = evaluate(
            plan["resources"], environment=cached["_environment"], enforcement=cached["_enforcement"]
        )
        plan["policy"] = {
            "enforcement": cached["_enforcement"],
            "violations": [v.to_json() for v in violations],
        }
    plan.pop("_environment", None)
    plan.pop("_enforcement", None)
    plan.pop("_secretOutputs", None)
    return plan


def validate(stack: str, *, project_dir: Path | None = None, overrides: dict[str, Any] | None = None) -> None:
    """Check a stack's file and settings without running the program (raises ConfigError)."""
    project = load_project(project_dir or project_directory())
    config = load_stack_config(project, stack, overrides)
    loaded = load_settings(config.values, project=project.name, stack=stack, file=config.file.name)
    check_model_folders(project, loaded)
    check_own_names(project, stack, loaded)


def check_model_folders(project: Project, loaded: LoadedStack) -> None:
    """Every served model has its folder under ``model_assets/`` (checked before the program
    runs, naming the stack file and key and listing the models the project has)."""
    settings = loaded.settings
    if not isinstance(settings, EnvironmentStackSettings):
        return
    if settings.models:
        from infra.catalog import catalog_path, load_catalog

        load_catalog(catalog_path(project.directory))  # a broken catalog is blamed on itself
    root = project.directory / "model_assets"
    known = sorted(p.parent.name for p in root.glob("*/azureml") if p.is_dir())
    for name, model in settings.models.items():
        folder = model.spec or name
        if not (root / folder / "azureml").is_dir():
            key = f"mlops-estate:models.{name}" + (".spec" if model.spec else "")
            raise ConfigError(
                f"no model folder model_assets/{folder}/ with Azure ML specs (azureml/); "
                f"known models: {', '.join(known) or 'none'} (estate new-model NAME creates one)",
                file=loaded.file,
                key=key,
            )


def check_own_names(project: Project, stack: str, loaded: LoadedStack) -> None:
    """Refuse a stack whose names are another stack's (a stack file copied under a new name
    without new settings): both would deploy the same resource group, vault, workspace…

    Names come from workload, environment and location (``infra/naming.py``); only globally
    unique names carry a per-stack suffix, so the resource group name (in its subscription)
    identifies the set.
    """
    resource_group = loaded.namer.name("resource_group")
    for other in project.stacks():
        if other == stack:
            continue
        try:
            other_config = load_stack_config(project, other)
            other_loaded = load_settings(
                other_config.values, project=project.name, stack=other, file=other_config.file.name
            )
        except ConfigError:
            continue  # that file's own problems are reported when it is previewed
        same_subscription = other_loaded.settings.subscription_id == loaded.settings.subscription_id
        if same_subscription and other_loaded.namer.name("resource_group") == resource_group:
            raise ConfigError(
                f"gives the same names as Pulumi.{other}.yaml (resource group '{resource_group}'): both "
                "stacks would deploy the same resources; give this stack its own names by changing "
                "mlops-estate:workload, mlops-estate:location or mlops-estate:subscriptionId",
                file=project.stack_file(stack).name,
            )


class LazyReferences(Mapping[str, tuple[dict[str, Any], list[str]]]):
    """Referenced stacks' ``(outputs, secret output names)``, each computed in the background;
    looking one up waits for it (and re-raises its error)."""

    def __init__(self, futures: dict[str, Future[tuple[dict[str, Any], list[str]]]]) -> None:
        self._futures = futures

    def __getitem__(self, name: str) -> tuple[dict[str, Any], list[str]]:
        return self._futures[name].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)


_ONCE_LOCK = threading.Lock()
_ONCE: dict[tuple[str, str, str], Future[tuple[dict[str, Any], list[str]]]] = {}


def _outputs_once(
    project: Project, stack: str, launch: Launch | None
) -> Future[tuple[dict[str, Any], list[str]]]:
    """``stack``'s outputs, computed once per stack files even when several previews ask at once."""
    key = (str(project.directory), stack, _fingerprint(project, stack))
    with _ONCE_LOCK:
        future = _ONCE.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            return future
        future = Future()
        _ONCE[key] = future

    def compute() -> None:
        try:
            plan = preview(stack, project_dir=project.directory, policy=False, launch=launch)
            secrets = _CACHE_SECRETS.get((str(project.directory), stack), [])
            future.set_result((plan["outputs"], secrets))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=compute, name=f"preview-{stack}", daemon=True).start()
    return future


def _old_states(plan: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The dynamic resources' state in an older plan, by URN (what Diff compares against)."""
    if plan is None:
        return {}
    return {
        r["urn"]: {"id": r.get("id"), "inputs": r.get("inputs") or {}, "outputs": r.get("outputs") or {}}
        for r in plan.get("resources", [])
        if r.get("type") == DYNAMIC_TYPE
    }


def provider_calls(stack: str, *, project_dir: Path | None = None) -> ProviderCalls | None:
    """The dynamic-provider calls of the last run of ``stack`` in this process (None if it was
    not run here, e.g. served from the cache)."""
    directory = (project_dir or project_directory()).resolve()
    return _PROVIDER_CALLS.get((str(directory), stack))


def _run(
    project: Project,
    stack: str,
    overrides: dict[str, Any] | None,
    launch: Launch | None = None,
    against_plan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    config = load_stack_config(project, stack, overrides)
    loaded = load_settings(config.values, project=project.name, stack=stack, file=config.file.name)
    check_model_folders(project, loaded)
    check_own_names(project, stack, loaded)
    settings = loaded.settings
    references: dict[str, Future[tuple[dict[str, Any], list[str]]]] = {}
    if isinstance(settings, EnvironmentStackSettings):
        shared = _referenced_stack(project, settings.shared_stack, file=config.file.name)
        # The referenced program runs alongside this one; its outputs are awaited only when the
        # StackReference is read, so both programs start (and import) at the same time.
        references[settings.shared_stack] = _outputs_once(project, shared, launch)
    disabled = json.loads(config.values.get("pulumi:disable-default-providers", "[]"))
    from infra.catalog import project_catalog

    with project_catalog(project.directory):  # the registry lookup reads this project's catalog
        run = run_program(
            project,
            config,
            stack_references=LazyReferences(references),
            disabled_default_providers=disabled,
            location=settings.location,
            launch=launch,
            old_states=_old_states(against_plan),
        )
    state = run.state
    _PROVIDER_CALLS[(str(project.directory), stack)] = run.provider_calls
    plan = build_plan(state, project=project.name, stack=stack)
    _CACHE_SECRETS[(str(project.directory), stack)] = secret_output_names(state)
    plan["_environment"] = settings.environment
    plan["_enforcement"] = settings.enforcement
    return plan


def preview_function(
    fn: Callable[[], Any], *, stack: str = "unit", location: str = "westeurope"
) -> dict[str, Any]:
    """The plan of an arbitrary function run as a program (component tests): same monitor and answers."""
    state = run_function(fn, stack=stack, location=location)
    return build_plan(state, project="mlops-estate", stack=stack)


def preview_ref(stack: str, ref: str, *, project_dir: Path | None = None) -> dict[str, Any]:
    """The plan of ``stack`` as of git commit ``ref``, produced by that commit's own program.

    The commit is exported with ``git archive`` into a temporary directory and previewed in a
    subprocess whose import path starts there, so old code produces the old plan.
    """
    root = (project_dir or project_directory()).resolve()
    with tempfile.TemporaryDirectory(prefix="estate-ref-") as tmp:
        archive = Path(tmp) / "ref.tar"
        result = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", "-o", str(archive), ref],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ConfigError(
                f"cannot read git ref '{ref}': {result.stderr.strip() or 'git archive failed'}",
                key="--against",
            )
        tree = Path(tmp) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        if not (tree / "infra" / "engine").is_dir():
            raise ConfigError(
                f"commit '{ref}' has no offline engine (infra/engine); compare against a newer commit",
                key="--against",
            )
        out = Path(tmp) / "plan.json"
        env_path = str(tree)
        proc = subprocess.run(
            [sys.executable, "-m", "infra.cli", "preview", stack, "--json", str(out), "--quiet"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
            env={**_clean_env(), "PYTHONPATH": env_path},
        )
        if not out.exists():
            message = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise ConfigError(
                f"preview of '{stack}' at '{ref}' failed: {message[-1] if message else proc.returncode}",
                key="--against",
            )
        # URNs in the engine's form, whichever engine version wrote the old plan.
        return align(json.loads(out.read_text()), {})


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
