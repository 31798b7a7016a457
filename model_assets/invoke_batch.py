"""Invoke a batch model's endpoint (the scheduled batch pipeline runs this).

    python -m model_assets.invoke_batch --model NAME --stack STACK \\
        --subscription ID --resource-group RG --workspace WS \\
        [--input URI | --smoke] [--endpoint NAME] [--deployment SLOT] [--wait] [--timeout-minutes N]

``--smoke`` is the release's smoke test of a batch model: the input is the local folder its
batch smoke spec ``model_assets/<NAME>/smoke/batch.json`` names (``{"input": "sample"}``),
uploaded by azure-ai-ml with the invocation; the release runs it with ``--wait``.

The model must be a ``serving: batch`` model of the stack. The deployment invoked is the
stack's default slot (the one with traffic 100), named explicitly so the job runs exactly the
pinned version. The input is a folder URI (default
``azureml://datastores/workspaceblobstore/paths/batch/<NAME>/input/``). The endpoint name
defaults to the estate's name for the model's batch endpoint in that stack. With ``--wait``
the job is polled to a terminal state; exit 1 unless it Completed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from infra.errors import EXIT_CONFIG, ConfigError
from model_assets import champion
from model_assets.submit_training import ClientFactory, default_client, estate_name, finish

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = "azureml://datastores/workspaceblobstore/paths/batch/{model}/input/"
INPUT_PREFIXES = ("azureml://", "https://", "abfss://", "wasbs://")
SMOKE_SPEC = "smoke/batch.json"


def smoke_input(model: str, project_dir: Path) -> str:
    """The local folder a batch model's smoke spec names (ConfigError naming the file and key)."""
    import json

    spec = project_dir / "model_assets" / model / SMOKE_SPEC
    if not spec.is_file():
        raise ConfigError(f"batch model {model!r} has no smoke spec", file=str(spec))
    try:
        data = json.loads(spec.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc}", file=str(spec)) from None
    folder = data.get("input") if isinstance(data, dict) else None
    if not isinstance(folder, str) or not (spec.parent.parent / folder).is_dir():
        raise ConfigError(
            f"input {folder!r} must name a folder of {model}'s model assets", file=str(spec), key="input"
        )
    return str((spec.parent.parent / folder).resolve())


def endpoint_name(stack: str, model: str, project_dir: Path) -> str:
    """The estate's name for the model's batch endpoint in ``stack``."""
    return estate_name(
        stack, project_dir, lambda namer: namer.endpoint(model, "batch"), "batch endpoint name", "--endpoint"
    )


def plan(
    model: str,
    stack: str,
    project_dir: Path,
    *,
    endpoint: str | None,
    deployment: str | None,
    data: str | None,
    smoke: bool = False,
) -> dict[str, str]:
    """Check the request against the stack and fill the defaults; no network."""
    entry = champion.model_entry(stack, model, project_dir)
    file = str(champion.stack_file(stack, project_dir))
    if entry.serving != "batch":
        raise ConfigError(
            f"model {model!r} is served {entry.serving!r} in stack {stack!r}; only batch models are invoked",
            file=file,
            key=f"config.{champion.CONFIG_KEY}.{model}.serving",
        )
    if not entry.deployments:
        raise ConfigError(
            f"model {model!r} has no deployment in stack {stack!r}",
            file=file,
            key=f"config.{champion.CONFIG_KEY}.{model}.deployments",
        )
    if deployment is None:
        deployment = max(entry.deployments, key=lambda slot: entry.deployments[slot][1])
    elif deployment not in entry.deployments:
        raise ConfigError(
            f"deployment {deployment!r} is not a slot of {model!r} in {stack!r} "
            f"(slots: {', '.join(entry.deployments)})",
            key="--deployment",
        )
    if smoke:
        if data is not None:
            raise ConfigError("--smoke takes its input from the smoke spec; drop --input", key="--input")
        data = smoke_input(model, project_dir)
    data = data or DEFAULT_INPUT.format(model=model)
    if not smoke and not data.startswith(INPUT_PREFIXES):
        raise ConfigError(
            f"input {data!r} is not a folder URI; use one of {', '.join(INPUT_PREFIXES)}", key="--input"
        )
    return {
        "endpoint": endpoint or endpoint_name(stack, model, project_dir),
        "deployment": deployment,
        "input": data,
        "version": entry.deployments[deployment][0],
    }


def main(
    argv: Sequence[str] | None = None,
    client_factory: ClientFactory = default_client,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Command line; returns the exit status (``client_factory`` and ``sleep`` are for tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m model_assets.invoke_batch", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--input", default=None, help="folder URI of the files to score")
    parser.add_argument("--endpoint", default=None, help="batch endpoint name (default: the estate's name)")
    parser.add_argument(
        "--deployment", default=None, help="slot to run (default: the stack's traffic-100 slot)"
    )
    parser.add_argument("--smoke", action="store_true", help="invoke on the batch smoke spec's sample")
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--timeout-minutes", type=float, default=120.0)
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.poll_seconds <= 0 or args.timeout_minutes <= 0:
            raise ConfigError("--poll-seconds and --timeout-minutes must be > 0", key="--poll-seconds")
        target = plan(
            args.model,
            args.stack,
            args.project_dir,
            endpoint=args.endpoint,
            deployment=args.deployment,
            data=args.input,
            smoke=args.smoke,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from azure.ai.ml import Input

    client: Any = client_factory(args.subscription, args.resource_group, args.workspace)
    job = client.batch_endpoints.invoke(
        endpoint_name=target["endpoint"],
        deployment_name=target["deployment"],
        inputs={"input": Input(type="uri_folder", path=target["input"])},
    )
    print(
        f"invoked {target['endpoint']}/{target['deployment']} ({args.model} v{target['version']}) on "
        f"{target['input']}: job {job.name}",
        flush=True,
    )
    return finish(client, job.name, args.wait, args.poll_seconds, args.timeout_minutes, sleep)


if __name__ == "__main__":
    sys.exit(main())
