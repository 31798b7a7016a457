"""Submit a model's Azure ML training pipeline, evaluated against the production champion.

    python -m model_assets.submit_training --model NAME --stack STACK \\
        --subscription ID --resource-group RG --workspace WS [--champion-stack prod] \\
        [--input NAME=VALUE ...] [--registry NAME] [--git-commit SHA] [--build-id ID] \\
        [--wait] [--timeout-minutes N]

``--stack`` is the stack that trains: its workspace runs the job and its identities must hold
the shared registry's writer role (``workspace.registryWriter: true`` in its stack file), so a
stack that only reads the registry (qa, prod) is refused. The champion is the version the
*production* stack pins (``--champion-stack``, default ``prod``), not the training stack's.

Loads ``model_assets/<NAME>/azureml/pipeline.yml`` with azure-ai-ml, sets its inputs (git
commit, build id, registry, each ``--input``) and, when the champion stack pins one, binds every step input
named ``champion_model`` to ``azureml://registries/<registry>/models/<NAME>/versions/<n>``
(and ``champion_version`` to ``n``), then submits it with an ``MLClient``
(``DefaultAzureCredential``). With ``--wait`` it polls the job to a terminal state and exits
1 unless it Completed. Bad arguments or stack config: exit 2 with one message.

Defaults: the git commit from ``BUILD_SOURCEVERSION`` (Azure DevOps) or ``git rev-parse``;
the build id from ``BUILD_BUILDID`` or ``local``; the registry name from the estate's naming
of the ``shared`` stack.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.errors import EXIT_CONFIG, ConfigError
from model_assets import champion

if TYPE_CHECKING:  # azure-ai-ml is imported where it is used: it is slow to import
    from azure.ai.ml.entities import PipelineJob

MODELS_DIR = Path(__file__).resolve().parent
TERMINAL_OK = {"Completed"}
TERMINAL_BAD = {"Failed", "Canceled", "NotResponding"}
REGISTRATION_FILE = "registration.json"
ClientFactory = Callable[[str, str, str], Any]


@dataclass(frozen=True)
class Submission:
    """What was set on the job before submission (for logs and tests)."""

    champion_version: str | None
    registry: str
    inputs: dict[str, str]


def default_client(subscription: str, resource_group: str, workspace: str) -> Any:  # pragma: no cover - Azure
    """An MLClient for the workspace, authenticated with DefaultAzureCredential."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(
        DefaultAzureCredential(),
        subscription_id=subscription,
        resource_group_name=resource_group,
        workspace_name=workspace,
    )


def git_commit(environ: Mapping[str, str] | None = None, project_dir: Path = MODELS_DIR.parent) -> str:
    """The commit being built: ``BUILD_SOURCEVERSION``, else ``git rev-parse HEAD``, else ``unknown``."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    if env.get("BUILD_SOURCEVERSION"):
        return env["BUILD_SOURCEVERSION"]
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def estate_name(stack: str, project_dir: Path, pick: Callable[[Any], str], what: str, flag: str) -> str:
    """A name the estate derives for ``stack`` (its naming rules), or ConfigError asking for ``flag``."""
    try:
        from infra.engine.project import load_project, load_stack_config
        from infra.settings.loader import load_settings

        project = load_project(project_dir)
        config = load_stack_config(project, stack)
        loaded = load_settings(config.values, project=project.name, stack=stack, file=str(config.file))
        return pick(loaded.namer)
    except ConfigError as exc:
        raise ConfigError(
            f"cannot derive the {what} from stack {stack!r} ({exc}); pass {flag}", key=flag
        ) from None
    except Exception as exc:
        raise ConfigError(
            f"cannot derive the {what} from stack {stack!r} ({type(exc).__name__}: {exc}); pass {flag}",
            key=flag,
        ) from None


def registry_name(project_dir: Path) -> str:
    """The central registry's name, as the estate names it in the shared stack."""
    return estate_name(
        "shared", project_dir, lambda namer: namer.name("ml_registry"), "registry name", "--registry"
    )


def pipeline_file(model: str, models_dir: Path = MODELS_DIR) -> Path:
    """The model's pipeline definition; ConfigError when the model has none."""
    if not champion.MODEL_NAME.fullmatch(model or ""):
        raise ConfigError(
            f"model name {model!r} is not valid; use a lower-case letter then [a-z0-9_]", key="--model"
        )
    path = models_dir / model / "azureml" / "pipeline.yml"
    if not path.is_file():
        known = sorted(p.parent.parent.name for p in models_dir.glob("*/azureml/pipeline.yml"))
        raise ConfigError(
            f"model {model!r} has no pipeline ({path} is missing); models with one: {known}", key="--model"
        )
    return path


def prepare_job(
    model: str,
    stack: str,
    *,
    registry: str,
    commit: str,
    build_id: str,
    project_dir: Path,
    models_dir: Path = MODELS_DIR,
    champion_stack: str = champion.PRODUCTION_STACK,
    extra_inputs: dict[str, str] | None = None,
) -> tuple[PipelineJob, Submission]:
    """Load the pipeline and set its inputs; returns the job and what was set (no network)."""
    path = pipeline_file(model, models_dir)
    champion.require_training_stack(stack, project_dir)
    entry = champion.model_entry(stack, model, project_dir)
    version = champion.champion_version(champion_stack, model, project_dir)
    from azure.ai.ml import Input, load_job
    from azure.ai.ml.entities import PipelineJob

    job = load_job(path)
    if not isinstance(job, PipelineJob):
        raise ConfigError(f"{path} is a {job.type} job, not a pipeline job", key="--model")
    inputs: dict[str, str] = {}
    for name, value in (
        ("git_commit", commit),
        ("build_id", build_id),
        ("registry_name", registry),
        ("model_name", model),
    ):
        if name in job.inputs:
            setattr(job.inputs, name, value)
            inputs[name] = value
    for name, value in (extra_inputs or {}).items():
        if name not in job.inputs:
            raise ConfigError(
                f"the {model} pipeline has no input {name!r}; inputs: {sorted(job.inputs)}", key="--input"
            )
        setattr(job.inputs, name, value)
        inputs[name] = value
    bound = None
    if version is not None:
        uri = f"azureml://registries/{registry}/models/{model}/versions/{version}"
        for step in job.jobs.values():
            # AutoML and other typed steps have no component (and nothing the estate binds).
            step_inputs = getattr(getattr(step, "component", None), "inputs", None) or {}
            if "champion_model" in step_inputs:
                step.inputs.champion_model = Input(type="custom_model", path=uri)
                step.inputs.champion_version = version
                bound = version
                inputs[f"{step.name}.champion_model"] = uri
    job.tags = {
        **(job.tags or {}),
        "stack": stack,
        "champion_stack": champion_stack,
        "model": model,
        "kind": entry.kind,
        "git_commit": commit,
        "build_id": build_id,
        "champion_version": bound or "none",
    }
    return job, Submission(champion_version=bound, registry=registry, inputs=inputs)


def wait_for_job(
    client: Any,
    name: str,
    *,
    poll_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll ``client.jobs.get(name).status`` until terminal or timeout; returns the last status."""
    deadline = clock() + timeout_seconds
    status = "Unknown"
    while True:
        status = str(client.jobs.get(name).status)
        print(f"job {name}: {status}", flush=True)
        if status in TERMINAL_OK | TERMINAL_BAD or clock() >= deadline:
            return status
        sleep(poll_seconds)


def finish(
    client: Any,
    name: str,
    wait: bool,
    poll_seconds: float,
    timeout_minutes: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Exit status after an optional wait: 0 submitted or Completed, 1 otherwise."""
    if not wait:
        return 0
    status = wait_for_job(
        client, name, poll_seconds=poll_seconds, timeout_seconds=timeout_minutes * 60, sleep=sleep
    )
    if status in TERMINAL_OK:
        print(f"job {name} completed")
        return 0
    if status in TERMINAL_BAD:
        print(f"job {name} ended {status}", file=sys.stderr)
    else:
        print(
            f"job {name} still {status} after {timeout_minutes:g} minutes; giving up waiting", file=sys.stderr
        )
    return 1


def parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of ``--input`` as a mapping (ConfigError on a malformed pair)."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{pair!r} is not NAME=VALUE", key="--input")
        out[name.strip()] = value
    return out


def write_registration(client: Any, name: str, model: str, path: Path) -> dict[str, Any]:
    """Download the job's ``registration`` output and write its ``registration.json`` to ``path``
    (the release pipeline's artifact: which version, if any, the run registered). A pipeline
    without that output records ``registered: false``."""
    import json
    import tempfile

    result: dict[str, Any] = {"model": model, "registered": False, "version": None, "job": name}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            client.jobs.download(name, download_path=tmp, output_name="registration")
        except Exception as exc:
            result["reason"] = f"no registration output ({type(exc).__name__})"
        found = sorted(Path(tmp).rglob(REGISTRATION_FILE))
        if found:
            result.update(json.loads(found[0].read_text(encoding="utf-8")))
            result["job"] = name
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)
    print(f"registration: {result.get('registered')} version {result.get('version')} -> {path}")
    return result


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m model_assets.submit_training", description=__doc__.splitlines()[0]
    )
    p.add_argument("--model", required=True)
    p.add_argument("--stack", required=True, help="the stack that trains (must write the registry)")
    p.add_argument(
        "--champion-stack",
        default=champion.PRODUCTION_STACK,
        help="the stack whose pinned version is the champion (default: prod)",
    )
    p.add_argument("--input", action="append", default=[], metavar="NAME=VALUE", help="set a pipeline input")
    p.add_argument("--subscription", required=True)
    p.add_argument("--resource-group", required=True)
    p.add_argument("--workspace", required=True)
    p.add_argument(
        "--registry", default=None, help="Azure ML registry name (default: the estate's name for it)"
    )
    p.add_argument("--git-commit", default=None)
    p.add_argument("--build-id", default=None)
    p.add_argument("--wait", action="store_true", help="wait for a terminal state; exit 1 unless Completed")
    p.add_argument(
        "--registration-out",
        type=Path,
        default=None,
        help="after a Completed wait, write the registered model/version here (release artifact)",
    )
    p.add_argument("--poll-seconds", type=float, default=30.0)
    p.add_argument("--timeout-minutes", type=float, default=180.0)
    p.add_argument("--project-dir", type=Path, default=MODELS_DIR.parent, help=argparse.SUPPRESS)
    return p


def main(
    argv: Sequence[str] | None = None,
    client_factory: ClientFactory = default_client,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Command line; returns the exit status (``client_factory`` and ``sleep`` are for tests)."""
    args = parser().parse_args(argv)
    try:
        if args.poll_seconds <= 0 or args.timeout_minutes <= 0:
            raise ConfigError("--poll-seconds and --timeout-minutes must be > 0", key="--poll-seconds")
        registry = args.registry or registry_name(args.project_dir)
        commit = args.git_commit or git_commit(project_dir=args.project_dir)
        build_id = args.build_id or os.environ.get("BUILD_BUILDID") or "local"
        extra = parse_inputs(args.input)
        job, submission = prepare_job(
            args.model,
            args.stack,
            registry=registry,
            commit=commit,
            build_id=build_id,
            project_dir=args.project_dir,
            champion_stack=args.champion_stack,
            extra_inputs=extra,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    client = client_factory(args.subscription, args.resource_group, args.workspace)
    submitted = client.jobs.create_or_update(job, experiment_name=args.model)
    champion_text = (
        f"champion v{submission.champion_version}" if submission.champion_version else "no champion"
    )
    print(
        f"submitted {args.model} training job {submitted.name} in {args.stack} "
        f"({champion_text} in {args.champion_stack}, "
        f"registry {registry}, commit {commit}, build {build_id})",
        flush=True,
    )
    if getattr(submitted, "studio_url", None):
        print(f"studio: {submitted.studio_url}")
    status = finish(client, submitted.name, args.wait, args.poll_seconds, args.timeout_minutes, sleep)
    if status == 0 and args.wait and args.registration_out is not None:
        write_registration(client, submitted.name, args.model, args.registration_out)
    return status


if __name__ == "__main__":
    sys.exit(main())
