"""A model's serving spec: Azure ML CLI v2 YAML beside its code, loaded and converted with azure-ai-ml.

Each model folder ``model_assets/<model>/azureml/`` holds ``endpoint.yml`` and, per serving
mode, ``deployment.yml`` (online) or ``batch-deployment.yml`` (batch). They are loaded with
azure-ai-ml's own loaders (``load_online_endpoint``, ``load_online_deployment``,
``load_batch_endpoint``, ``load_batch_deployment``), so unknown fields and wrong types are
rejected by Microsoft's schemas; an error becomes one :class:`~infra.errors.ConfigError`
naming the file and every bad field.

The conversion to ARM properties is azure-ai-ml's too (``_to_rest_object`` /
``_to_rest_online_endpoint``, then ``as_dict()``): the same JSON the CLI would PUT, which is
the shape of the azure-native ``properties`` input. Only what differs per environment (model
version, sizes, request/probe overrides, auth mode) is changed, on the loaded entity, before
the conversion. Asset ids the CLI would upload and fill in (code, environment, model) are
passed in already resolved.

azure-ai-ml takes about two seconds to import, so it is imported inside the functions that
need it, and every spec is loaded once per file content per process.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from infra.errors import ConfigError

MODEL_ASSETS = Path(__file__).resolve().parents[2] / "model_assets"
"""Where the model folders live."""

SPEC_FILES = {"online": ("endpoint.yml", "deployment.yml"), "batch": ("endpoint.yml", "batch-deployment.yml")}
"""The spec files each serving mode needs, relative to ``model_assets/<model>/azureml/``."""

_CACHE: dict[tuple[str, str, str], tuple[ServingSpec, Path | None, str]] = {}
"""Spec-file content → (spec, conda file, conda digest); the code folder is re-hashed on every load."""

# azure-ai-ml logs "This is an experimental class" for DataCollector and friends on every run;
# the spec's fields are validated by its schemas, the notice is not for estate users.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


@dataclass(frozen=True)
class EnvironmentSpec:
    """The serving environment of a deployment spec (image + conda file), content-versioned."""

    name: str
    version: str
    image: str
    conda_file: str


@dataclass(frozen=True)
class CodeSpec:
    """The scoring code folder of a deployment spec, content-versioned."""

    directory: Path
    scoring_script: str
    version: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class ServingSpec:
    """The loaded, validated spec of one model."""

    model: str
    serving: str
    endpoint_file: Path
    deployment_file: Path
    endpoint: Any
    """The azure-ai-ml endpoint entity (never mutated; conversions work on copies)."""
    deployment: Any
    """The azure-ai-ml deployment entity (never mutated; conversions work on copies)."""
    environment: EnvironmentSpec | None
    code: CodeSpec | None


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(MODEL_ASSETS.parent))
    except ValueError:
        return str(path)


def _flatten_messages(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for key, inner in value.items():
            out.extend(_flatten_messages(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [f"{prefix or '(spec)'}: {' '.join(value)}"]
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_flatten_messages(item, prefix))
        return out
    return [f"{prefix or '(spec)'}: {value}"]


def spec_error(file: Path, exc: Exception) -> ConfigError:
    """Turn an azure-ai-ml/marshmallow load error into one message naming the file and fields."""
    text = str(exc)
    match = re.search(r"failed:\s*(\{.*\})\s*\n", text, re.DOTALL)
    details: list[str] = []
    if match:
        try:
            details = _flatten_messages(json.loads(match.group(1)))
        except json.JSONDecodeError:
            details = []
    if not details:
        details = [text.strip().splitlines()[0] if text.strip() else type(exc).__name__]
    return ConfigError("invalid Azure ML spec: " + "; ".join(details), file=_relative(file))


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _file_digest(path: Path | None) -> str:
    return _digest(path.read_bytes()) if path is not None and path.is_file() else ""


def _conda_path(deployment: Any) -> Path | None:
    env = getattr(deployment, "environment", None)
    path = getattr(env, "_conda_file_path", None)  # where azure-ai-ml read the conda file from
    return Path(path) if path else None


def _code_spec(deployment: Any, base: Path, file: Path) -> CodeSpec | None:
    config = getattr(deployment, "code_configuration", None)
    if config is None or config.code is None:
        return None
    directory = (base / str(config.code)).resolve()
    if not directory.is_dir():
        raise ConfigError(
            f"code_configuration.code: folder '{config.code}' does not exist", file=_relative(file)
        )
    if not (directory / config.scoring_script).is_file():
        raise ConfigError(
            f"code_configuration.scoring_script: '{config.scoring_script}' is not in '{config.code}'",
            file=_relative(file),
        )
    files = tuple(
        sorted(
            str(p.relative_to(directory))
            for p in directory.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
        )
    )
    parts: list[bytes] = []
    for name in files:
        parts += [name.encode(), (directory / name).read_bytes()]
    return CodeSpec(
        directory=directory, scoring_script=config.scoring_script, version=_digest(*parts)[:32], files=files
    )


def _environment_spec(model: str, deployment: Any, file: Path) -> EnvironmentSpec | None:
    env = getattr(deployment, "environment", None)
    if env is None:
        return None
    if isinstance(env, str):
        raise ConfigError(
            f"environment: '{env}' references an environment asset; give it inline (image + conda_file) so the "
            "estate versions it with the code",
            file=_relative(file),
        )
    if not env.image:
        raise ConfigError(
            "environment.image: required (a base image with an explicit tag)", file=_relative(file)
        )
    conda = env._translated_conda_file or ""
    return EnvironmentSpec(
        name=f"{model.replace('_', '-')}-serving",
        version=str(env.version)[:32],
        image=str(env.image),
        conda_file=conda,
    )


def load_serving_spec(model: str, serving: str, *, root: Path | None = None) -> ServingSpec:
    """Load and validate ``model``'s spec for ``serving`` (``online``/``batch``); cached per content."""
    folder = (root or MODEL_ASSETS) / model / "azureml"
    names = SPEC_FILES[serving]
    files = [folder / n for n in names]
    for path in files:
        if not path.is_file():
            raise ConfigError(
                f"{serving} model '{model}' needs the Azure ML spec {_relative(path)} "
                f"({', '.join(names)} in {_relative(folder)})",
                key=f"mlops-estate:models.{model}",
            )
    key = (str(folder), serving, _digest(*(p.read_bytes() for p in files)))
    cached = _CACHE.get(key)
    if cached is not None and _file_digest(cached[1]) == cached[2]:
        spec = cached[0]
        return replace(
            spec, code=_code_spec(spec.deployment, spec.deployment_file.parent, spec.deployment_file)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.ai.ml import (
            load_batch_deployment,
            load_batch_endpoint,
            load_online_deployment,
            load_online_endpoint,
        )

        endpoint_loader = load_online_endpoint if serving == "online" else load_batch_endpoint
        deployment_loader = load_online_deployment if serving == "online" else load_batch_deployment
        loaded = []
        for path, loader in zip(files, (endpoint_loader, deployment_loader), strict=True):
            try:
                loaded.append(loader(path))
            except Exception as exc:
                raise spec_error(path, exc) from None
    endpoint, deployment = loaded
    if getattr(deployment, "model", None) is not None:
        raise ConfigError(
            "model: leave it out; the estate pins azureml://registries/<registry>/models/<model>/versions/<n> "
            "from the stack file",
            file=_relative(files[1]),
        )
    spec = ServingSpec(
        model=model,
        serving=serving,
        endpoint_file=files[0],
        deployment_file=files[1],
        endpoint=endpoint,
        deployment=deployment,
        environment=_environment_spec(model, deployment, files[1]),
        code=_code_spec(deployment, files[1].parent, files[1]),
    )
    conda_path = _conda_path(deployment)
    _CACHE[key] = (spec, conda_path, _file_digest(conda_path))
    return spec


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v not in (None, {}, [])}


AUTH_MODES = {"key": "Key", "aml_token": "AMLToken", "aad_token": "AADToken"}
"""Settings' auth modes → ARM ``authMode``."""


def online_endpoint_properties(
    spec: ServingSpec, *, auth_mode: str, compute: str | None, location: str
) -> dict[str, Any]:
    """ARM ``properties`` of the online endpoint, without ``traffic``/``mirrorTraffic`` (set separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.ai.ml.entities import KubernetesOnlineEndpoint, ManagedOnlineEndpoint

        source = spec.endpoint
        cls = KubernetesOnlineEndpoint if compute else ManagedOnlineEndpoint
        kwargs: dict[str, Any] = {"compute": compute} if compute else {}
        endpoint = cls(
            name=source.name,
            description=source.description,
            auth_mode=auth_mode,
            tags=dict(source.tags or {}),
            properties=dict(source.properties or {}),
            **kwargs,
        )
        rest = endpoint._to_rest_online_endpoint(location).as_dict()
    properties = dict(rest["properties"])
    properties.pop("traffic", None)
    properties.pop("mirrorTraffic", None)
    if compute:
        properties["compute"] = compute
    return _drop_empty(properties)


def batch_endpoint_properties(spec: ServingSpec, *, location: str) -> dict[str, Any]:
    """ARM ``properties`` of the batch endpoint (the default deployment is set by the component)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        endpoint = copy.deepcopy(spec.endpoint)
        endpoint.defaults = None
        rest = endpoint._to_rest_batch_endpoint(location).as_dict()
    properties = dict(rest["properties"])
    properties.pop("defaults", None)
    properties["authMode"] = "AADToken"
    return _drop_empty(properties)


@dataclass(frozen=True)
class DeploymentOverrides:
    """What the stack file and settings change on a deployment spec (``None`` keeps the spec's value)."""

    model: str
    code_id: str | None
    environment_id: str | None
    instance_type: str | None = None
    instance_count: int | None = None
    app_insights: bool | None = None
    request_settings: dict[str, int] | None = None
    liveness_probe: dict[str, int] | None = None
    readiness_probe: dict[str, int] | None = None
    kubernetes: bool = False
    compute: str | None = None


def _probe(values: dict[str, int] | None, base: Any) -> Any:
    if values is None:
        return base
    from azure.ai.ml.entities import ProbeSettings

    merged = (
        {
            k: getattr(base, k)
            for k in ("initial_delay", "period", "timeout", "success_threshold", "failure_threshold")
        }
        if base is not None
        else {}
    )
    merged.update(values)
    return ProbeSettings(**merged)


def online_deployment_arm(
    spec: ServingSpec, slot: str, overrides: DeploymentOverrides, *, location: str
) -> dict[str, Any]:
    """ARM ``properties`` and ``sku`` of one online deployment slot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.ai.ml.entities import KubernetesOnlineDeployment, OnlineRequestSettings

        source = copy.deepcopy(spec.deployment)
        if overrides.kubernetes:
            deployment = KubernetesOnlineDeployment(
                name=slot,
                endpoint_name=source.endpoint_name,
                description=source.description,
                tags=source.tags,
                properties=source.properties,
                code_configuration=source.code_configuration,
                environment_variables=source.environment_variables,
                app_insights_enabled=source.app_insights_enabled,
                request_settings=source.request_settings,
                liveness_probe=source.liveness_probe,
                readiness_probe=source.readiness_probe,
                instance_count=source.instance_count,
                data_collector=source.data_collector,
                instance_type="defaultinstancetype",
            )
        else:
            deployment = source
            deployment.name = slot
        deployment.model = overrides.model
        deployment.environment = overrides.environment_id
        if deployment.code_configuration is not None:
            deployment.code_configuration.code = overrides.code_id
        if overrides.instance_type is not None:
            deployment.instance_type = overrides.instance_type
        if overrides.instance_count is not None:
            deployment.instance_count = overrides.instance_count
        if overrides.app_insights is not None:
            deployment.app_insights_enabled = overrides.app_insights
        if overrides.request_settings is not None:
            base = deployment.request_settings
            merged = (
                {
                    k: getattr(base, k)
                    for k in (
                        "request_timeout_ms",
                        "max_concurrent_requests_per_instance",
                        "max_queue_wait_ms",
                    )
                }
                if base is not None
                else {}
            )
            merged.update(overrides.request_settings)
            deployment.request_settings = OnlineRequestSettings(**merged)
        deployment.liveness_probe = _probe(overrides.liveness_probe, deployment.liveness_probe)
        deployment.readiness_probe = _probe(overrides.readiness_probe, deployment.readiness_probe)
        rest = deployment._to_rest_object(location=location).as_dict()
    properties = _drop_empty(dict(rest["properties"]))
    return {"properties": properties, "sku": rest.get("sku")}


def batch_deployment_arm(
    spec: ServingSpec, slot: str, overrides: DeploymentOverrides, *, location: str
) -> dict[str, Any]:
    """ARM ``properties`` of one batch deployment slot (on ``overrides.compute``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deployment = copy.deepcopy(spec.deployment)
        deployment.name = slot
        deployment.model = overrides.model
        deployment.environment = overrides.environment_id
        deployment.compute = overrides.compute
        if deployment.code_configuration is not None:
            deployment.code_configuration.code = overrides.code_id
        if overrides.instance_count is not None:
            deployment.resources.instance_count = overrides.instance_count
        rest = deployment._to_rest_object(location=location).as_dict()
    properties = _drop_empty(dict(rest["properties"]))
    return {"properties": properties}


def substitute(value: Any, replacements: dict[str, str]) -> Any:
    """Replace placeholder strings anywhere in ``value`` (ids resolved after conversion)."""
    if isinstance(value, str):
        return replacements.get(value, value)
    if isinstance(value, dict):
        return {k: substitute(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, replacements) for v in value]
    return value
