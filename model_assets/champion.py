"""Which model version is the production champion, and which stack may train?

The champion a training run must beat is the version the *production* stack pins
(:data:`PRODUCTION_STACK`), whatever stack trains. It is the version pinned in that stack's config: among
``config: mlops-estate:models: <name>: deployments:`` it is the slot with the most live
traffic (mirrored traffic does not count); on a tie, the first slot in file order, as
``infra.settings.models.ModelSettings.champion_slot`` decides. A model without deployments
has no champion (``None``).

Only the minimal shape needed here is read (with ruamel.yaml); the full validation of the
models section belongs to ``infra.settings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

CONFIG_KEY = "mlops-estate:models"
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")
PROJECT_DIR = Path(__file__).resolve().parents[1]
PRODUCTION_STACK = "prod"
"""The stack whose pinned version is the champion every candidate is evaluated against."""
WORKSPACE_KEY = "mlops-estate:workspace"


@dataclass(frozen=True)
class ModelEntry:
    """One model of a stack, as far as training and batch invocation need it."""

    name: str
    kind: str
    serving: str
    deployments: dict[str, tuple[str, int]]  # slot -> (version, traffic)


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    """The path of ``Pulumi.<stack>.yaml`` in the project directory."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", stack or ""):
        raise ConfigError(
            f"stack name {stack!r} is not valid; use letters, digits, '.', '_' or '-'", key="--stack"
        )
    return (project_dir or PROJECT_DIR) / f"Pulumi.{stack}.yaml"


def read_models(stack: str, project_dir: Path | None = None) -> dict[str, Any]:
    """The raw ``mlops-estate:models`` mapping of a stack (ConfigError if absent or malformed)."""
    path = stack_file(stack, project_dir)
    if not path.is_file():
        raise ConfigError(f"stack {stack!r} does not exist (no {path.name})", file=str(path))
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
    config = data.get("config") if isinstance(data, dict) else None
    models = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    if models is None:
        raise ConfigError("the stack declares no models", file=str(path), key=f"config.{CONFIG_KEY}")
    if not isinstance(models, dict):
        raise ConfigError(
            f"must be a mapping of model name to settings, got {type(models).__name__}",
            file=str(path),
            key=f"config.{CONFIG_KEY}",
        )
    return models


def _config(stack: str, project_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    path = stack_file(stack, project_dir)
    if not path.is_file():
        raise ConfigError(f"stack {stack!r} does not exist (no {path.name})", file=str(path))
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
    config = data.get("config") if isinstance(data, dict) else None
    return path, config if isinstance(config, dict) else {}


def require_training_stack(stack: str, project_dir: Path | None = None) -> None:
    """ConfigError unless ``stack`` may train: its identities write the shared registry
    (``mlops-estate:workspace.registryWriter: true``); qa and prod only read it."""
    path, config = _config(stack, project_dir)
    workspace = config.get(WORKSPACE_KEY)
    writer = workspace.get("registryWriter") if isinstance(workspace, dict) else None
    if writer is not True:
        raise ConfigError(
            f"stack {stack!r} cannot train: its identities only read the shared registry, so the "
            "register step would fail; train in a stack with registryWriter: true (dev)",
            file=str(path),
            key=f"config.{WORKSPACE_KEY}.registryWriter",
        )


def model_entry(stack: str, model: str, project_dir: Path | None = None) -> ModelEntry:
    """The stack's entry for ``model``; ConfigError when the model or its settings are wrong."""
    if not MODEL_NAME.fullmatch(model or ""):
        raise ConfigError(
            f"model name {model!r} is not valid; use 2-31 characters: a lower-case letter, then [a-z0-9_]",
            key="--model",
        )
    path = stack_file(stack, project_dir)
    models = read_models(stack, project_dir)
    key = f"config.{CONFIG_KEY}.{model}"
    if model not in models:
        known = ", ".join(sorted(str(m) for m in models)) or "none"
        raise ConfigError(
            f"model {model!r} is not in stack {stack!r}; models there: {known}", file=str(path), key=key
        )
    entry = models[model]
    if not isinstance(entry, dict):
        raise ConfigError("must be a mapping", file=str(path), key=key)
    raw = entry.get("deployments") or {}
    if not isinstance(raw, dict):
        raise ConfigError(
            "must be a mapping of slot to {version, traffic}", file=str(path), key=f"{key}.deployments"
        )
    deployments: dict[str, tuple[str, int]] = {}
    for slot, spec in raw.items():
        slot_key = f"{key}.deployments.{slot}"
        if not isinstance(spec, dict) or "version" not in spec:
            raise ConfigError("must be a mapping with a version", file=str(path), key=slot_key)
        version = str(spec["version"]).strip()
        if not VERSION.fullmatch(version):
            raise ConfigError(
                f"version {spec['version']!r} is not an explicit registry version "
                '(digits such as "4" or "1.2.0")',
                file=str(path),
                key=f"{slot_key}.version",
            )
        traffic = spec.get("traffic", 0)
        if isinstance(traffic, bool) or not isinstance(traffic, int) or not 0 <= traffic <= 100:
            raise ConfigError(
                f"traffic {traffic!r} must be an integer from 0 to 100",
                file=str(path),
                key=f"{slot_key}.traffic",
            )
        deployments[str(slot)] = (version, traffic)
    return ModelEntry(
        name=model,
        kind=str(entry.get("kind", "ml")),
        serving=str(entry.get("serving", "online")),
        deployments=deployments,
    )


def champion_version(stack: str, model: str, project_dir: Path | None = None) -> str | None:
    """The champion's registry version in ``stack`` for ``model``, or None when none serves."""
    entry = model_entry(stack, model, project_dir)
    if not entry.deployments:
        return None
    slot = max(entry.deployments, key=lambda name: entry.deployments[name][1])
    return entry.deployments[slot][0]
