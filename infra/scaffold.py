"""Scaffold a new model: render ``model_assets/<NAME>/`` from templates and add it to the stacks.

``estate new-model NAME --kind ml|rule-based --serving online|batch [--project-dir DIR]``
(see :mod:`infra.cli.new_model`) calls :func:`create_model`, which

1. validates everything first: the name (a lower-case letter then 1-30 of ``[a-z0-9_]``, the
   stack files' rule), kind, serving, that ``model_assets/<NAME>/`` does not exist, and that
   each of ``Pulumi.dev.yaml``, ``Pulumi.qa.yaml``, ``Pulumi.prod.yaml`` exists, is YAML and
   does not already declare the model;
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
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from infra.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parents[1] / "model_assets" / "templates"
KINDS = ("ml", "rule-based")
SERVINGS = ("online", "batch")
STACKS = ("dev", "qa", "prod")
CONFIG_KEY = "mlops-estate:models"
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
TOKEN = re.compile(r"@@[A-Z_]+@@")
FIRST_VERSION = "1"


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
    """The stack entry of a new model: one slot pinned to the first version the pipeline registers."""
    slot = CommentedMap([("version", DoubleQuotedScalarString(FIRST_VERSION)), ("traffic", 100)])
    slot.fa.set_flow_style()
    entry = CommentedMap([("kind", kind), ("serving", serving)])
    if serving == "online":
        entry["target"] = "managed"
    entry["deployments"] = CommentedMap([("blue", slot)])
    return entry


def updated_stack(path: Path, name: str, kind: str, serving: str) -> str:
    """The stack file's new text with the model added (ConfigError if it cannot be)."""
    if not path.is_file():
        raise ConfigError(
            f"stack file not found; new-model adds {name!r} to every environment stack "
            f"({', '.join(f'Pulumi.{s}.yaml' for s in STACKS)})",
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
        before=f'{name}: scaffolded by `estate new-model`; version "{FIRST_VERSION}" is the first version '
        "its pipeline registers",
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
    """Render the model folder and add the model to every environment stack; all or nothing."""
    check_options(name, kind, serving)
    project_dir = Path(project_dir)
    if not project_dir.is_dir():
        raise ConfigError(f"project directory {str(project_dir)!r} does not exist", key="--project-dir")
    models_dir = project_dir / "model_assets"
    target = models_dir / name
    if target.exists():
        raise ConfigError(f"{target} already exists; choose another name or remove it", key="NAME")
    stack_paths = [project_dir / f"Pulumi.{stack}.yaml" for stack in STACKS]
    new_texts = {path: updated_stack(path, name, kind, serving) for path in stack_paths}
    values = tokens(name, kind, serving)
    sources = template_files(kind, serving)
    rendered = {
        relative: render_text(source.read_text(encoding="utf-8"), values, source=str(source))
        for relative, source in sources.items()
    }

    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".new-model-{name}-"))
    old_texts = {path: path.read_text(encoding="utf-8") for path in stack_paths}
    written: list[Path] = []
    try:
        for relative, text in rendered.items():
            out = staging / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        staging.rename(target)
        for path, text in new_texts.items():
            _write_atomically(path, text)
            written.append(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        for path in written:
            path.write_text(old_texts[path], encoding="utf-8")
        raise
    return Scaffolded(model_dir=target, files=sorted(rendered), stack_files=stack_paths)
