"""Scaffold a new model: render ``model_assets/<NAME>/`` from templates and add it to dev.

``estate new-model NAME --kind ml|rule-based --serving online|batch [--project-dir DIR]``
(see :mod:`infra.cli.new_model`) calls :func:`create_model`; ``estate onboard NAME
--model-file PATH`` (:mod:`infra.cli.onboard`) calls :func:`onboard_model` for a pre-trained
model. Both add the model to ``Pulumi.dev.yaml`` only, in the day-0 state: one slot declared
without a version (``blue: {traffic: 100}``), so the endpoint deploys and nothing is pinned to a
version the registry does not have. The model's first registration (its pipeline's register
step) records version 1 in ``model_assets/registry-catalog.yaml``; ``estate promote dev NAME 1``
then pins it, and qa/prod get the model by promotion, pinned to a registered version.

:func:`create_model`

1. validates everything first: the name (a lower-case letter then 1-30 of ``[a-z0-9_]``, the
   stack files' rule), kind, serving, that ``model_assets/<NAME>/`` does not exist, and that
   ``Pulumi.dev.yaml`` exists, is YAML and does not already declare the model;
2. renders the template layers ``common``, ``<kind>`` and ``<kind>-<serving>`` from
   ``model_assets/templates/`` (later layers win; ``*.tmpl`` files have their ``@@TOKEN@@``
   placeholders replaced and the suffix dropped) into a hidden staging folder;
3. prepares each stack file with a ``config: mlops-estate:models: <NAME>`` entry, edited
   round-trip with ruamel.yaml so comments, order and quoting stay as they were;
4. moves the staging folder into place and writes the stack files, undoing all of it if a
   write fails. A :class:`~infra.errors.ConfigError` leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parents[1] / "model_assets" / "templates"
KINDS = ("ml", "rule-based")
SERVINGS = ("online", "batch")
STACKS = ("dev",)
"""The stacks a new model goes to: dev only. qa and prod serve registered versions only, so a
model reaches them by promotion once its first version is registered."""
CONFIG_KEY = "mlops-estate:models"
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
TOKEN = re.compile(r"@@[A-Z_]+@@")
STUB_COMMENT = (
    "{name}: scaffolded by `estate {command}`; declared, not yet registered: the endpoint deploys, "
    "the first registration (its pipeline's register step) records version 1 in the registry catalog, "
    "then `estate promote dev {name} 1` pins it"
)


@dataclass(frozen=True)
class Scaffolded:
    """What :func:`create_model` wrote."""

    model_dir: Path
    files: list[str]
    stack_files: list[Path]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def tokens(name: str, kind: str, serving: str) -> dict[str, str]:
    """The placeholder values for one model."""
    return {
        "@@MODEL_NAME@@": name,
        "@@MODEL_SLUG@@": name.replace("_", "-"),
        "@@KIND@@": kind,
        "@@SERVING@@": serving,
    }


def render_text(text: str, values: dict[str, str], *, source: str = "template") -> str:
    """Replace every placeholder; ConfigError if the template uses one that is not known."""
    for token, value in values.items():
        text = text.replace(token, value)
    leftover = sorted(set(TOKEN.findall(text)))
    if leftover:
        raise ConfigError(f"unknown placeholder(s) {leftover}; known: {sorted(values)}", file=source)
    return text


def layers(kind: str, serving: str) -> list[Path]:
    """The template folders for kind × serving, in the order they are applied."""
    return [TEMPLATES / "common", TEMPLATES / kind, TEMPLATES / f"{kind}-{serving}"]


def template_files(kind: str, serving: str) -> dict[str, Path]:
    """Target path (relative, ``.tmpl`` dropped) → template file, later layers overriding."""
    files: dict[str, Path] = {}
    for layer in layers(kind, serving):
        for path in sorted(layer.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                relative = path.relative_to(layer).as_posix()
                files[relative.removesuffix(".tmpl")] = path
    return files


def check_options(name: str, kind: str, serving: str) -> None:
    """ConfigError for a bad name, kind or serving."""
    if not MODEL_NAME.fullmatch(name or ""):
        raise ConfigError(
            f"model name {name!r} is invalid: use 2-31 characters, a lower-case letter first, "
            "then lower-case letters, digits or _",
            key="NAME",
        )
    if kind not in KINDS:
        raise ConfigError(f"kind {kind!r} is not allowed; use one of {', '.join(KINDS)}", key="--kind")
    if serving not in SERVINGS:
        raise ConfigError(
            f"serving {serving!r} is not allowed; use one of {', '.join(SERVINGS)}", key="--serving"
        )


def stub(kind: str, serving: str) -> CommentedMap:
    """The stack entry of a new model: one slot declared without a version (day 0)."""
    slot = CommentedMap([("traffic", 100)])
    slot.fa.set_flow_style()
    entry = CommentedMap([("kind", kind), ("serving", serving)])
    if serving == "online":
        entry["target"] = "managed"
    entry["deployments"] = CommentedMap([("blue", slot)])
    return entry


def updated_stack(path: Path, name: str, kind: str, serving: str, *, command: str = "new-model") -> str:
    """The stack file's new text with the model added (ConfigError if it cannot be)."""
    if not path.is_file():
        raise ConfigError(
            f"stack file not found; {command} adds {name!r} to {', '.join(f'Pulumi.{s}.yaml' for s in STACKS)}",
            file=str(path),
        )
    yaml = _yaml()
    try:
        data: Any = yaml.load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError("a stack file is a mapping with a 'config:' key", file=str(path))
    if data.get("config") is None:
        data["config"] = CommentedMap()
    config = data["config"]
    if not isinstance(config, CommentedMap):
        raise ConfigError("must be a mapping", file=str(path), key="config")
    if config.get(CONFIG_KEY) is None:
        config[CONFIG_KEY] = CommentedMap()
    models = config[CONFIG_KEY]
    if not isinstance(models, CommentedMap):
        raise ConfigError(
            "must be a mapping of model name to settings", file=str(path), key=f"config.{CONFIG_KEY}"
        )
    if name in models:
        raise ConfigError(
            f"model {name!r} is already declared", file=str(path), key=f"config.{CONFIG_KEY}.{name}"
        )
    models[name] = stub(kind, serving)
    models.yaml_set_comment_before_after_key(
        name,
        before=STUB_COMMENT.format(name=name, command=command),
        indent=4,
    )
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_model(name: str, kind: str, serving: str, project_dir: Path) -> Scaffolded:
    """Render the model folder and add the model to dev (day 0); all or nothing."""
    check_options(name, kind, serving)
    project_dir = _check_project(project_dir, name)
    stack_paths = [project_dir / f"Pulumi.{stack}.yaml" for stack in STACKS]
    new_texts = {path: updated_stack(path, name, kind, serving) for path in stack_paths}
    values = tokens(name, kind, serving)
    sources = template_files(kind, serving)
    rendered: dict[str, str | bytes] = {
        relative: render_text(source.read_text(encoding="utf-8"), values, source=str(source))
        for relative, source in sources.items()
    }
    return write_model(project_dir, name, rendered, new_texts)


def _check_project(project_dir: Path, name: str) -> Path:
    project_dir = Path(project_dir)
    if not project_dir.is_dir():
        raise ConfigError(f"project directory {str(project_dir)!r} does not exist", key="--project-dir")
    target = project_dir / "model_assets" / name
    if target.exists():
        raise ConfigError(f"{target} already exists; choose another name or remove it", key="NAME")
    return project_dir


def write_model(
    project_dir: Path, name: str, rendered: dict[str, str | bytes], new_texts: dict[Path, str]
) -> Scaffolded:
    """Write ``model_assets/<name>/`` (through a staging folder) and the stack files; all or nothing."""
    models_dir = project_dir / "model_assets"
    target = models_dir / name
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".new-model-{name}-"))
    old_texts = {path: path.read_text(encoding="utf-8") for path in new_texts}
    written: list[Path] = []
    try:
        for relative, content in rendered.items():
            out = staging / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                out.write_bytes(content)
            else:
                out.write_text(content, encoding="utf-8")
        staging.rename(target)
        for path, text in new_texts.items():
            _write_atomically(path, text)
            written.append(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        for path in written:
            _write_atomically(path, old_texts[path])
        raise
    return Scaffolded(model_dir=target, files=sorted(rendered), stack_files=list(new_texts))


ONBOARD_LAYER = TEMPLATES / "pretrained-online"
MODEL_SUFFIXES = (".pkl", ".joblib", ".pickle", ".onnx", ".pt", ".bin", ".json", ".txt")
MAX_ARTIFACT_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Onboarded:
    """What :func:`onboard_model` wrote and what it costs once its first version serves."""

    scaffolded: Scaffolded
    artifact: str
    own_scoring_script: bool
    own_environment: bool
    smoke_request: bool


def _read_input(path: Path | None, option: str, *, binary: bool = False) -> str | bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(f"{str(path)!r} is not a file", key=option)
    if path.stat().st_size > MAX_ARTIFACT_BYTES:
        raise ConfigError(
            f"{str(path)!r} is larger than 200 MB; upload it and register from storage", key=option
        )
    if binary:
        return path.read_bytes()
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{str(path)!r} is not UTF-8 text", key=option) from None


def _check_environment(text: str, path: Path) -> None:
    """The model's own environment spec: a conda file with a pip section the server can run."""
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise ConfigError(
            f"not valid YAML: {exc.__class__.__name__}", file=str(path), key="--environment"
        ) from None
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, list):
        raise ConfigError("a conda environment file with a 'dependencies' list is expected", file=str(path))
    pip = [d for d in deps if isinstance(d, dict) and "pip" in d]
    pip_lines = [str(x) for d in pip for x in (d["pip"] or [])]
    if not any(x.split("==")[0].split("[")[0].strip() == "azureml-inference-server-http" for x in pip_lines):
        raise ConfigError(
            "the environment's pip section lacks azureml-inference-server-http, which serves the scoring "
            "script; add it (e.g. azureml-inference-server-http==1.5.1)",
            file=str(path),
            key="dependencies.pip",
        )


def _smoke(sample: str, path: Path) -> str:
    """A smoke file from a sample request: send it, expect a 200 with a non-empty body."""
    import json

    try:
        request = json.loads(sample)
    except ValueError:
        raise ConfigError("the sample request is not JSON", file=str(path), key="--sample-request") from None
    return json.dumps({"request": request}, indent=2) + "\n"


def onboard_model(
    name: str,
    model_file: Path,
    project_dir: Path,
    *,
    scoring_script: Path | None = None,
    environment: Path | None = None,
    sample_request: Path | None = None,
) -> Onboarded:
    """Onboard a pre-trained model: ``model_assets/<name>/`` with the artifact committed under
    ``model/``, its registration spec, scoring script, environment, specs and tests, and the model
    declared in dev without a version (day 0). All inputs are checked before anything is written."""
    check_options(name, "ml", "online")
    project_dir = _check_project(project_dir, name)
    model_file = Path(model_file)
    if model_file.suffix.lower() not in MODEL_SUFFIXES:
        raise ConfigError(
            f"{model_file.name!r} is not a model file this command onboards ({', '.join(MODEL_SUFFIXES)})",
            key="--model-file",
        )
    artifact = _read_input(model_file, "--model-file", binary=True)
    score = _read_input(scoring_script, "--scoring-script")
    env_text = _read_input(environment, "--environment")
    if env_text is not None and environment is not None:
        _check_environment(str(env_text), environment)
    sample = _read_input(sample_request, "--sample-request")
    stack_paths = [project_dir / f"Pulumi.{stack}.yaml" for stack in STACKS]
    new_texts = {path: updated_stack(path, name, "ml", "online", command="onboard") for path in stack_paths}
    values = {**tokens(name, "ml", "online"), "@@MODEL_FILE@@": model_file.name}
    rendered: dict[str, str | bytes] = {}
    for path in sorted(ONBOARD_LAYER.rglob("*.tmpl")):
        relative = path.relative_to(ONBOARD_LAYER).as_posix().removesuffix(".tmpl")
        rendered[relative] = render_text(path.read_text(encoding="utf-8"), values, source=str(path))
    assert isinstance(artifact, bytes)
    rendered[f"model/{model_file.name}"] = artifact
    if score is not None:
        rendered["src/score.py"] = score
    if env_text is not None:
        rendered["environment/serve.yml"] = env_text
    if sample is not None and sample_request is not None:
        rendered["smoke/request.json"] = str(sample)
        rendered["smoke/smoke.json"] = _smoke(str(sample), sample_request)
    scaffolded = write_model(project_dir, name, rendered, new_texts)
    return Onboarded(
        scaffolded=scaffolded,
        artifact=f"model/{model_file.name}",
        own_scoring_script=score is not None,
        own_environment=env_text is not None,
        smoke_request=sample is not None,
    )


def first_version_cost(project_dir: Path, name: str) -> tuple[float | None, str]:
    """Monthly USD of the model's dev slot once its first version serves (the endpoint alone costs
    nothing while no version is registered), priced from the slot's spec with :mod:`infra.cost`."""
    from ruamel.yaml import YAML

    from infra.cost.estimate import estimate_cost

    spec = YAML(typ="safe").load(
        (project_dir / "model_assets" / name / "azureml" / "deployment.yml").read_text()
    )
    size, count = str(spec.get("instance_type", "Standard_DS3_v2")), int(spec.get("instance_count", 1))
    resource = {
        "urn": f"urn:pulumi:dev::mlops-estate::azure-native:machinelearningservices:OnlineDeployment::{name}-blue",
        "type": "azure-native:machinelearningservices:OnlineDeployment",
        "custom": True,
        "inputs": {"properties": {"instanceType": size}, "sku": {"capacity": count}},
    }
    cost = estimate_cost({"stack": "dev", "resources": [resource]})
    return cost["totals"]["idle_usd"], f"{count} × {size}"
