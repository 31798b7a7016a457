"""The loop, step by step, for one sample model (see :mod:`infra.rehearse`)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from infra.engine.project import load_project, load_stack_config
from infra.settings import EnvironmentStackSettings, load_settings
from infra.vocabulary import TRAINING_STACK

from . import drift, edges, serve
from .function_host import FunctionHost
from .models import MODELS_DIR, Profile
from .pipeline import load_yaml, parent_inputs, run_pipeline
from .registry import LocalRegistry
from .report import Note, Report, Skip

PROJECT_DIR = MODELS_DIR.parent
PROD = "prod"
DECISIONS_LOGGER = "retrain.decisions"


RunResult = tuple[Path, dict[str, Any], dict[str, str], list[str]]
"""One pipeline run: its folder, its evaluation report, its inputs, the versions before it."""


@dataclass
class Context:
    """What every model's rehearsal shares: the work folder, the registry, the Function App."""

    workdir: Path
    report: Report
    registry: LocalRegistry
    registry_name: str
    prod: EnvironmentStackSettings
    host: FunctionHost | None
    decisions: list[dict[str, Any]] = field(default_factory=list)


def prod_settings(project_dir: Path = PROJECT_DIR) -> EnvironmentStackSettings:
    """Production's validated settings (the pinned versions and the retraining loop)."""
    project = load_project(project_dir)
    config = load_stack_config(project, PROD)
    settings = load_settings(config.values, project=project.name, stack=PROD, file=config.file.name).settings
    assert isinstance(settings, EnvironmentStackSettings)
    return settings


def prod_pin(settings: EnvironmentStackSettings, model: str) -> str:
    """The version production serves for ``model`` (its champion slot's version)."""
    entry = settings.models[model]
    version = entry.deployments[entry.champion_slot].version
    if version is None:
        raise RuntimeError(
            f"prod's champion slot {entry.champion_slot!r} of {model} pins no registered version"
        )
    return version


def retrain_app_settings(settings: EnvironmentStackSettings) -> dict[str, str]:
    """The retraining app's settings as prod sets them (``RETRAIN_MODELS`` from the stack).

    Account, organisation and pipeline id are rehearsal values: their real ones are outputs of
    other stacks, and every call to them ends at a fake edge anyway.
    """
    from components.retraining.component import landing_container

    models: dict[str, Any] = {}
    for name, triggers in sorted(settings.retraining.models.items()):
        if not triggers.any:
            continue
        models[name] = {
            "cooldownMinutes": settings.retraining.cooldown_minutes,
            "triggers": {
                "drift": bool(triggers.drift),
                "newData": {"container": landing_container(name), "prefix": triggers.landing_prefix or ""}
                if triggers.new_data
                else None,
                "schedule": triggers.schedule,
            },
        }
    return {
        "RETRAIN_MODELS": json.dumps(models, sort_keys=True, separators=(",", ":")),
        "RETRAIN_STATE_ACCOUNT_URL": "https://strehearsal.blob.core.windows.net/",
        "RETRAIN_STATE_CONTAINER": "retrain-state",
        "ADO_ORGANIZATION_URL": "https://dev.azure.com/rehearsal",
        "ADO_PROJECT": "mlops-estate",
        "ADO_TRAIN_PIPELINE_ID": "17",
        "ENVIRONMENT": TRAINING_STACK,  # retraining runs train where training runs (dev)
    }


def git_commit() -> str:
    """The checked-out commit (``unknown`` outside git)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"


class _Decisions(logging.Handler):
    def __init__(self, sink: list[dict[str, Any]]):
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sink.append(json.loads(record.getMessage()))
        except ValueError:
            pass


def attach_decisions(ctx: Context) -> None:
    """Collect the app's decision log lines (one JSON object per decision)."""
    logger = logging.getLogger(DECISIONS_LOGGER)
    logger.addHandler(_Decisions(ctx.decisions))
    logger.setLevel(logging.INFO)


def seed_registry(ctx: Context, profile: Profile, version: str) -> Path:
    """Put the catalog's versions in the stand-in, with an artifact for the prod pin."""
    catalog = YAML(typ="safe").load((MODELS_DIR / "registry-catalog.yaml").read_text(encoding="utf-8"))
    known = [str(v) for v in (catalog.get("models") or {}).get(profile.name, [])]
    build = ctx.workdir / profile.name / "champion"
    champion = profile.champion(build)
    for existing in known:
        source = champion if existing == version else None
        ctx.registry.seed(
            profile.name, existing, source, f"registered before the rehearsal ({profile.champion_note})"
        )
    if version not in known:
        raise RuntimeError(
            f"prod pins {profile.name} v{version}, which registry-catalog.yaml does not list ({known})"
        )
    return ctx.registry.artifact(profile.name, version)


def training_run(
    ctx: Context, profile: Profile, champion: Path, version: str, build_id: str
) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """One pipeline run; returns its folder, its evaluation report and its parent inputs."""
    pipeline_path = MODELS_DIR / profile.name / "azureml" / "pipeline.yml"
    folder = ctx.workdir / profile.name / build_id
    overrides = {
        "git_commit": git_commit(),
        "build_id": build_id,
        "registry_name": ctx.registry_name,
        "model_name": profile.name,
        **profile.overrides,
    }
    champion_inputs = {"champion_model": str(champion), "champion_version": version}
    pipeline = load_yaml(pipeline_path)
    step_inputs = {job: champion_inputs for job in pipeline.get("jobs") or {}}
    run = run_pipeline(
        pipeline_path, folder, overrides=overrides, step_inputs=step_inputs, registry_root=ctx.registry.root
    )
    report = json.loads(
        (run.output("evaluation_report") / "evaluation_report.json").read_text(encoding="utf-8")
    )
    inputs = parent_inputs(
        pipeline,
        pipeline_path.parent,
        {k: v for k, v in overrides.items() if k in (pipeline.get("inputs") or {})},
    )
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.jobs)
    report["_jobs"] = timings
    return folder, report, inputs


def release_start(
    model: str, version: str, tags: dict[str, str], workspace: str, project_dir: Path = PROJECT_DIR
) -> dict[str, str]:
    """The event that starts the release, and the release parameters it becomes.

    If ``pipelines/release.yml`` is triggered by the train pipeline's completion (a pipeline
    resource with a trigger), that completion is what starts it; otherwise the registry's
    ``ModelRegistered`` Event Grid event is relayed to ``Runs - Run Pipeline``.
    """
    release = load_yaml(project_dir / "pipelines" / "release.yml")
    declared = {str(p["name"]) for p in release.get("parameters") or [] if isinstance(p, dict)}
    resources = (release.get("resources") or {}).get("pipelines") or []
    triggered = [r for r in resources if isinstance(r, dict) and r.get("trigger")]
    if triggered:
        parameters = {"model": model, "version": version}
        shape = f"train pipeline completion (resource {triggered[0].get('pipeline')!r}) with registration {model}:{version}"
    else:
        event = edges.model_registered_event(workspace, model, version, tags)
        if event["eventType"] != "Microsoft.MachineLearningServices.ModelRegistered" or not event[
            "subject"
        ].endswith(f":{version}"):
            raise RuntimeError("the ModelRegistered event does not carry the version")
        parameters = {"model": event["data"]["modelName"], "version": event["data"]["modelVersion"]}
        shape = f"Event Grid {event['eventType']} subject {event['subject']}"
    missing = sorted(k for k in parameters if k not in declared)
    if missing:
        raise RuntimeError(
            f"pipelines/release.yml declares no parameter(s) {missing} (it has {sorted(declared)})"
        )
    return {**parameters, "shape": shape}


def rehearse(ctx: Context, profile: Profile) -> None:
    """Every step of the loop for one model."""
    m, report = profile.name, ctx.report

    def attempt(name: str, body: Callable[[Note], Any]) -> Any:
        try:
            with report.step(m, name) as note:
                return body(note)
        except Skip:
            return None

    version = prod_pin(ctx.prod, m)
    champion = attempt(f"champion v{version} (prod pin)", lambda note: _champion(ctx, profile, version, note))
    first = attempt("pipeline run 1", lambda note: _run(ctx, profile, champion, version, "rehearsal-1", note))
    registered = attempt("gate + register", lambda note: _register(ctx, profile, first, note))
    if registered is None and m not in report.failed_models:
        attempt("release", lambda note: _skip("the gate registered no new version, so nothing is released"))
        return
    with ExitStack() as stack:
        start = attempt("release start", lambda note: _release(ctx, m, registered, note))
        target = attempt(
            "deploy + smoke test", lambda note: _deploy(ctx, profile, registered, start, stack, note)
        )
        breach = attempt(
            "drift (stand-in for the monitor)", lambda note: _drift(ctx, profile, first, target, note)
        )
    run = attempt("drift breach -> queue -> Function", lambda note: _breach(ctx, m, breach, note))
    attempt("new-data blob -> queue -> Function", lambda note: _new_data(ctx, m, run, note))
    attempt("queued run -> pipeline run 2", lambda note: _second_run(ctx, profile, registered, run, note))


def _champion(ctx: Context, profile: Profile, version: str, note: Note) -> Path:
    path = seed_registry(ctx, profile, version)
    served = ""
    if profile.serving == "online":  # production's champion, served as production serves it
        workdir = ctx.workdir / profile.name / "champion-serve"
        workdir.mkdir(parents=True, exist_ok=True)
        with serve.online(profile.name, path, workdir) as url:
            checks = serve.smoke(profile.name, url)
        bad = [f"{c.name}: {c.detail}" for c in checks if not c.ok]
        if bad:
            raise RuntimeError(f"the champion does not serve: {'; '.join(bad)}")
        served = f"; served by azmlinfsrv, smoke {len(checks)} checks passed"
    note.detail = f"Pulumi.prod.yaml pins v{version}; its stand-in: {profile.champion_note}{served}"
    return path


def _skip(reason: str) -> None:
    raise Skip(reason)


def _run(
    ctx: Context, profile: Profile, champion: Path, version: str, build_id: str, note: Note
) -> RunResult:
    before = ctx.registry.versions(profile.name)
    folder, report, inputs = training_run(ctx, profile, champion, version, build_id)
    note.detail = f"{report['_jobs']}; gate: {report['reason']}"
    return folder, report, inputs, before


def _register(ctx: Context, profile: Profile, first: RunResult | None, note: Note) -> str | None:
    if first is None:
        raise RuntimeError("the pipeline did not run")
    folder, report, inputs, versions = first
    newest = versions[-1]
    if not profile.has_register_step and report["register"]:
        # BYOM: no register job in its pipeline (the estate registers the gated artifact).
        ctx.registry.register(
            profile.name, profile.candidate(folder, inputs), {"source": "byom"}, report["reason"]
        )
    after = ctx.registry.versions(profile.name)
    new = [v for v in after if v not in versions]
    if bool(new) != bool(report["register"]):
        raise RuntimeError(
            f"the gate said register={report['register']} but the registry gained {new or 'nothing'}"
        )
    if not new:
        note.detail = f"not registered (latest stays v{newest}): {report['reason']}"
        return None
    candidate = profile.candidate(folder, inputs)
    registered_files = sorted(
        p.name for p in ctx.registry.artifact(profile.name, new[0]).rglob("*") if p.is_file()
    )
    expected = sorted(p.name for p in candidate.rglob("*") if p.is_file())
    if registered_files != expected:
        raise RuntimeError(f"v{new[0]} holds {registered_files}, the candidate has {expected}")
    note.detail = f"registered v{new[0]} in the registry stand-in (tags: {sorted(ctx.registry.meta(profile.name, new[0])['tags'])[:4]}...)"
    return new[0]


def _release(ctx: Context, model: str, version: str, note: Note) -> dict[str, str]:
    start = release_start(model, version, ctx.registry.meta(model, version)["tags"], "mlw-rehearsal")
    note.detail = f"{start['shape']} -> release parameters model={start['model']} version={start['version']}"
    return start


def _deploy(
    ctx: Context, profile: Profile, version: str, start: dict[str, str] | None, stack: ExitStack, note: Note
) -> str | Path:
    if start is None:
        raise RuntimeError("no release was started")
    artifact = ctx.registry.artifact(profile.name, start["version"])
    workdir = ctx.workdir / profile.name / "deploy"
    workdir.mkdir(parents=True, exist_ok=True)
    if profile.serving == "online":
        url = stack.enter_context(serve.online(profile.name, artifact, workdir))
        checks = serve.smoke(profile.name, url)
        bad = [f"{c.name}: {c.detail}" for c in checks if not c.ok]
        if bad:
            raise RuntimeError(f"smoke test: {'; '.join(bad)}")
        note.detail = f"v{version} served by azmlinfsrv at {url}; smoke: {len(checks)} checks passed"
        return url
    sample = MODELS_DIR / profile.name / "sample" / "customers.csv"
    lines = serve.batch(profile.name, artifact, [sample], sys.executable)
    expected = sum(1 for _ in sample.open(encoding="utf-8")) - 1
    probabilities = [float(line.split(",")[2]) for line in lines]
    if len(lines) != expected or not all(0.0 <= p <= 1.0 for p in probabilities):
        raise RuntimeError(f"batch smoke: {len(lines)} lines for {expected} customers: {lines[:3]}")
    crafted = workdir / "crafted.csv"
    header, first = sample.read_text(encoding="utf-8").splitlines()[:2]
    crafted.write_text(f'{header}\n"C-1\nX-9,0.99,1",{first.split(",", 1)[1]}\n', encoding="utf-8")
    try:
        injected = serve.batch(profile.name, artifact, [crafted], sys.executable)
    except RuntimeError as exc:
        if "BadInput" not in str(exc):
            raise RuntimeError(f"a crafted customer_id failed the scorer without BadInput: {exc}") from None
    else:
        raise RuntimeError(f"a crafted customer_id was scored: {injected}")
    note.detail = (
        f"v{version} batch-scored {len(lines)} customers with score.py init()/run(); "
        "a customer_id with a line break is refused (BadInput)"
    )
    return artifact


def _drift(
    ctx: Context, profile: Profile, first: RunResult | None, target: str | Path | None, note: Note
) -> dict[str, Any]:
    if target is None or first is None:
        raise RuntimeError("nothing is deployed")
    folder = first[0]
    reference = profile.reference(folder)
    production = profile.production(folder)
    shifted = profile.shift(production)
    if isinstance(target, str):
        sent = serve.send(target, production) + serve.send(target, shifted)
        how = f"sent {sent} rows to the endpoint"
    else:
        files = [
            serve.write_customers(
                [{"customer_id": f"P-{i:04d}", **row} for i, row in enumerate(rows)],
                ctx.workdir / profile.name / f"{name}.csv",
            )
            for name, rows in (("production", production), ("shifted", shifted))
        ]
        lines = serve.batch(profile.name, target, files, sys.executable)
        how = f"batch-scored {len(lines)} rows"

    def columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
        return {key: [row[key] for row in rows] for key in rows[0]}

    baseline = drift.drift(columns(reference), columns(production))
    moved = drift.drift(columns(reference), columns(shifted))
    false_alarms = [d for d in baseline if d.breached]
    breached = [d for d in moved if d.breached]
    if false_alarms:
        raise RuntimeError(f"unshifted data already breaches: {[(d.feature, d.value) for d in false_alarms]}")
    if not breached:
        raise RuntimeError(f"shifted data breaches nothing: {[(d.feature, d.value) for d in moved]}")
    worst = max(breached, key=lambda d: d.value)
    note.detail = (
        f"{how}; LOCAL STAND-IN for Azure ML's monitor: unshifted max {max(d.value for d in baseline):.3f}, "
        f"shifted breaches {len(breached)} feature(s), worst {worst.feature} {worst.metric}={worst.value:.3f} > {worst.threshold}"
    )
    return edges.monitor_breach_event(
        profile.name.replace("_", "-"),
        f"{worst.feature} {worst.metric}={worst.value:.3f} violates threshold {worst.threshold}",
    )


def _breach(ctx: Context, model: str, event: dict[str, Any] | None, note: Note) -> dict[str, Any]:
    if event is None or ctx.host is None:
        raise RuntimeError("no threshold breach to deliver")
    from retrain import contract

    before, logged = len(ctx.host.devops.runs), len(ctx.decisions)
    answer = ctx.host.deliver_to_queue(contract.QUEUE_DRIFT_EVENT, event)
    if answer.error:
        raise RuntimeError(f"the invocation of {answer.function} failed: {answer.error}")
    decisions = [d for d in ctx.decisions[logged:] if d.get("model") == model]
    actions = [d.get("action") for d in decisions]
    if not decisions or actions[0] in ("unknown_model", "disabled"):
        raise Skip(
            f"prod's RETRAIN_MODELS does not retrain {model} on drift: the Function logged {actions or 'nothing'}"
        )
    if actions != ["submitted"]:
        raise RuntimeError(f"expected one submitted decision, got {decisions}")
    queued = ctx.host.devops.runs[before:]
    if len(queued) != 1:
        raise RuntimeError(f"{len(queued)} training runs were queued, expected exactly 1")
    note.detail = (
        f"RunStatusChanged {event['data']['ExperimentName']} (breach tag) -> queue {contract.QUEUE_DRIFT_EVENT} "
        f"-> {answer.function}: queued train run {queued[0]['id']} {queued[0]['templateParameters']}"
    )
    return queued[0]


def _new_data(ctx: Context, model: str, run: dict[str, Any] | None, note: Note) -> None:
    if run is None or ctx.host is None:
        raise Skip("no retraining run was queued, so there is no cooldown to honour")
    from retrain import contract

    models = json.loads(ctx.host.settings["RETRAIN_MODELS"])
    landing = (models.get(model, {}).get("triggers") or {}).get("newData")
    if not landing:
        raise Skip(f"prod's RETRAIN_MODELS watches no landing container for {model}")
    before, logged = len(ctx.host.devops.runs), len(ctx.decisions)
    event = edges.blob_created_event(
        "strehearsalland", landing["container"], f"{landing['prefix']}batch-0001.csv", 2048
    )
    answer = ctx.host.deliver_to_queue(contract.QUEUE_NEW_DATA, event)
    if answer.error:
        raise RuntimeError(f"the invocation failed: {answer.error}")
    decisions = [d for d in ctx.decisions[logged:] if d.get("model") == model]
    if len(ctx.host.devops.runs) != before:
        raise RuntimeError("a second training run was queued inside the cooldown")
    if [d.get("action") for d in decisions] != ["cooldown"]:
        raise RuntimeError(f"expected one cooldown decision, got {decisions}")
    note.detail = f"BlobCreated {event['subject']}: {decisions[0]['reason']}"


def _second_run(
    ctx: Context,
    profile: Profile,
    released: str | None,
    run: dict[str, Any] | None,
    note: Note,
) -> None:
    """The queued run trains again; its champion is now the version the rehearsed release put in
    production (the release pipeline's promotion; the stack file itself is not edited here)."""
    if run is None or released is None:
        raise Skip("no training run was queued")
    parameters = run["templateParameters"]
    if parameters.get("model") != profile.name:
        raise RuntimeError(f"the queued run trains {parameters.get('model')!r}, not {profile.name!r}")
    before = ctx.registry.versions(profile.name)
    champion = ctx.registry.artifact(profile.name, released)
    folder, report, inputs = training_run(ctx, profile, champion, released, f"ado-{run['id']}")
    candidate = profile.candidate(folder, inputs)
    if not any(candidate.rglob("*")):
        raise RuntimeError("the second run produced no candidate")
    new = [v for v in ctx.registry.versions(profile.name) if v not in before]
    if bool(new) != bool(report["register"]):
        raise RuntimeError(
            f"the gate said register={report['register']} but the registry gained {new or 'nothing'}"
        )
    outcome = f"registered v{new[0]}" if new else "not registered"
    note.detail = (
        f"run {run['id']} (stack={parameters.get('stack')}): new candidate at "
        f"{_shown(candidate, ctx.workdir)} vs released v{released}: {outcome} ({report['reason']})"
    )


def _shown(path: Path, workdir: Path) -> str:
    """``path`` relative to the rehearsal's folder when it lies there (a rule-based model's
    candidate is its rules folder in the project)."""
    try:
        return str(path.relative_to(workdir))
    except ValueError:
        return str(path.relative_to(PROJECT_DIR)) if path.is_relative_to(PROJECT_DIR) else str(path)
