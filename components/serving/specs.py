"""A model's serving spec: Azure ML CLI v2 YAML beside its code, loaded and converted with azure-ai-ml.

Each model folder ``model_assets/<model>/azureml/`` holds ``endpoint.yml`` and, per serving
mode, ``deployment.yml`` (online) or ``batch-deployment.yml`` (batch). They are loaded with the
azure-ai-ml loader ``az ml`` uses for the file (batch deployments by their ``type``, see
:mod:`components.serving.spec_loader`), so unknown fields and wrong types are rejected by
Microsoft's schemas; every error names the file, line and field.

The conversion is azure-ai-ml's too: the entity's ``_to_rest_object()`` serialized to its wire
dict (what ``az ml`` would PUT), mapped to azure-native's inputs. The estate then applies a
short list of deliberate overrides (pinned model, uploaded code and environment ids, stack
auth mode/identity/compute/sizes), recorded per field (:mod:`components.serving.spec_convert`)
and listed in docs/specs.md; an override of a value the spec stated is a warning.

azure-ai-ml takes about two seconds to import, so it is imported inside the functions that
need it, and every spec is loaded once per file content per process.
"""

from __future__ import annotations

import copy
import hashlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from components.serving.spec_convert import (
    Conversion,
    Override,
    floating_image,
    native_inputs,
    not_json,
    wire,
)
from components.serving.spec_loader import SpecError, SpecIssue, SpecKind, YamlLines, load_entity, spec_kind
from infra.errors import ConfigError

MODEL_ASSETS = Path(__file__).resolve().parents[2] / "model_assets"
"""Where the model folders live."""

SPEC_FILES = {"online": ("endpoint.yml", "deployment.yml"), "batch": ("endpoint.yml", "batch-deployment.yml")}
"""The spec files each serving mode needs, relative to ``model_assets/<model>/azureml/``."""

_CACHE: dict[tuple[str, str, str], tuple[ServingSpec, Path | None, str]] = {}
"""Spec-file content → (spec, conda file, conda digest); the code folder is re-hashed on every load."""

AUTH_MODES = {"key": "Key", "aml_token": "AMLToken", "aad_token": "AADToken"}
"""Auth modes (spec and settings spelling) → ARM ``authMode``."""

NO_CODE_MODEL_TYPES = ("mlflow_model", "triton_model")
"""Model types a deployment without scoring code and environment can serve (Azure ML builds them)."""

DEFAULT_MDC_PATH = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"
"""Where ``az ml`` points a collection's data asset when the spec gives no path (azure-ai-ml's
``DEFAULT_MDC_PATH``); the asset is ``<endpoint>-<deployment>-<collection>`` version ``1``."""

_ENV_REFERENCE = re.compile(r"^azureml:(?P<name>[^:@/]+)(?::(?P<version>[^:@]+)|@(?P<label>\w+))?$")
_ENV_REGISTRY = re.compile(r"^azureml://registries/[^/]+/environments/[^/]+/(versions/[^/]+|labels/\w+)$")


@dataclass(frozen=True)
class StackTargets:
    """What a stack offers a spec: where it serves and which computes exist (names, not ids)."""

    target: str = "managed"
    """``managed`` or ``kubernetes`` (online models)."""
    training_compute: str | None = None
    """The workspace cluster batch deployments run on (``None``: not checked)."""
    kubernetes_compute: str | None = None
    """The AKS compute Kubernetes endpoints attach to (``None``: not checked)."""


@dataclass(frozen=True)
class EnvironmentSpec:
    """The serving environment of a deployment spec, content-versioned (or a pinned reference)."""

    name: str
    version: str
    image: str
    conda_file: str
    properties: dict[str, Any] = field(default_factory=dict)
    """azure-ai-ml's ``EnvironmentVersion`` properties (wire names), after the estate's overrides."""
    reference: str | None = None
    """A pinned environment asset (``azureml:name:version`` or a registry id) instead of an inline one."""


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
    endpoint_raw: YamlLines | None = None
    deployment_raw: YamlLines | None = None
    warnings: tuple[SpecIssue, ...] = ()
    """What the spec said that the estate keeps differently (file, line, field, why)."""
    model_types: tuple[str, ...] = ()
    """The model types a no-code deployment can serve (the spec's stated ``mlflow_model``/
    ``triton_model``, else both); empty when the deployment has scoring code."""


def _mapping(value: object) -> dict[str, Any]:
    """``value`` as a plain dict (``{}`` when it is not a mapping)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(MODEL_ASSETS.parent))
    except ValueError:
        return str(path)


def spec_error(file: Path, exc: Exception) -> ConfigError:
    """Turn an azure-ai-ml/marshmallow load error into one message naming the file and fields."""
    from components.serving.spec_loader import load_issues

    raw = YamlLines(file, _relative(file))
    issues = load_issues(raw, exc, "Azure ML")
    return ConfigError(
        "invalid Azure ML spec: "
        + "; ".join(f"{i.field}: {i.message}" if i.field else i.message for i in issues),
        file=_relative(file),
    )


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


def _code_spec(deployment: Any, base: Path, raw: YamlLines) -> CodeSpec | None:
    config = getattr(deployment, "code_configuration", None)
    if config is None or config.code is None:
        return None
    code = str(config.code)
    if code.startswith("azureml:"):
        raise SpecError(
            [
                raw.issue(
                    "error",
                    "code_configuration.code",
                    f"'{code}' references a registered code asset; give the folder (e.g. ../src) so "
                    "the estate uploads and versions it with the spec",
                )
            ]
        )
    directory = (base / code).resolve()
    if not directory.is_dir():
        raise SpecError([raw.issue("error", "code_configuration.code", f"folder '{code}' does not exist")])
    if not (directory / config.scoring_script).is_file():
        raise SpecError(
            [
                raw.issue(
                    "error",
                    "code_configuration.scoring_script",
                    f"'{config.scoring_script}' is not in '{code}'",
                )
            ]
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


def environment_from_reference(reference: str, raw: YamlLines, where: str) -> EnvironmentSpec:
    """A pinned environment asset reference, or a :class:`SpecError` saying how to pin it."""
    stated = raw.get(where)
    reference = str(stated) if isinstance(stated, str) else reference  # azure-ai-ml strips "azureml:"
    if not reference.startswith("azureml:"):
        reference = f"azureml:{reference}"
    if _ENV_REGISTRY.match(reference):
        if "/labels/" in reference:
            raise SpecError(
                [raw.issue("error", where, f"'{reference}' floats with its label; write .../versions/<n>")]
            )
        return EnvironmentSpec(name="", version="", image="", conda_file="", reference=reference)
    match = _ENV_REFERENCE.match(reference)
    if match is None:
        raise SpecError(
            [
                raw.issue(
                    "error",
                    where,
                    f"'{reference}' is not an environment reference; write azureml:<name>:<version>, "
                    "azureml://registries/<registry>/environments/<name>/versions/<n> or an inline "
                    "environment (image + conda_file)",
                )
            ]
        )
    if match.group("version") is None:
        label = match.group("label") or "latest"
        raise SpecError(
            [
                raw.issue(
                    "error",
                    where,
                    f"'{reference}' floats ({label}); pin it: azureml:{match.group('name')}:<version> "
                    f"(az ml environment list --name {match.group('name')} shows the versions)",
                )
            ]
        )
    return EnvironmentSpec(
        name=match.group("name"),
        version=match.group("version") or "",
        image="",
        conda_file="",
        reference=f"azureml:{match.group('name')}:{match.group('version')}",
    )


def environment_spec(
    env: Any, raw: YamlLines, *, where: str, name: str, issues: list[SpecIssue]
) -> EnvironmentSpec | None:
    """An inline environment as the estate registers it (content-versioned), or a pinned reference."""
    if env is None:
        return None
    if isinstance(env, str):
        return environment_from_reference(env, raw, where)
    prefix = f"{where}." if where else ""
    if env.build is not None:
        context = str(env.build.path or "")
        if not re.match(r"^(https?|azureml)://", context):
            raise SpecError(
                [
                    raw.issue(
                        "error",
                        f"{prefix}build",
                        f"docker build context '{context}' is a local folder, which az ml uploads; the "
                        "estate does not: build and push the image to the registry and write "
                        "image: <registry>/<name>:<tag>",
                    )
                ]
            )
    elif not env.image:
        raise SpecError([raw.issue("error", f"{prefix}image", "required: a base image with an explicit tag")])
    elif floating_image(str(env.image)):
        raise SpecError(
            [
                raw.issue(
                    "error",
                    f"{prefix}image",
                    f"'{env.image}' floats (no tag or latest) and the policy pack refuses it; pin a "
                    "tag, e.g. mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250601.v1",
                )
            ]
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rest = wire(env._to_rest_object())
    properties = _mapping(rest.get("properties"))
    conversion = Conversion(
        baseline={"properties": copy.deepcopy(properties)}, converted={"properties": properties}
    )
    for key, reason in (
        ("isAnonymous", "the estate registers a named, content-versioned environment"),
        ("isArchived", "false is Azure's default"),
    ):
        conversion.apply(Override(f"properties.{key}", None, reason))
    stated_name = raw.get(f"{prefix}name") if where else raw.get("name")
    stated_version = raw.get(f"{prefix}version") if where else raw.get("version")
    # azure-ai-ml's own content hash of an anonymous environment (image, conda file, inference
    # config); a named inline one has none (version None), so the estate hashes the same content.
    anonymous = bool(getattr(env, "_is_anonymous", False)) and env.version
    content = (
        str(env.version)[:32]
        if anonymous
        else _digest(repr(sorted((k, repr(v)) for k, v in properties.items())).encode())[:32]
    )
    if where and stated_name and str(stated_name) != name:
        issues.append(
            raw.issue(
                "warning",
                f"{prefix}name",
                f"registered as '{name}' (the estate names serving environments per model)",
            )
        )
    if stated_version is not None:
        issues.append(
            raw.issue(
                "warning",
                f"{prefix}version",
                f"'{stated_version}' replaced by the content version {content[:12]}…: environment "
                "versions are immutable, the estate versions them by content",
            )
        )
    return EnvironmentSpec(
        name=name,
        version=content,
        image=str(env.image or ""),
        conda_file=str(properties.get("condaFile") or ""),
        properties=_mapping(conversion.converted.get("properties")),
    )


def _spec_model_type(deployment: Any) -> str | None:
    model = getattr(deployment, "model", None)
    kind = getattr(model, "type", None)
    return str(kind) if kind else None


@dataclass(frozen=True)
class CollectionAsset:
    """The data asset ``az ml`` registers for one data-collector collection of a deployment
    before it sends the deployment (azure-ai-ml's ``_register_collection_data_assets``): a
    ``uri_folder`` in the deployment's workspace, whose id becomes the collection's ``dataId``."""

    collection: str
    name: str
    version: str
    path: str

    @property
    def data_id(self) -> str:
        """The id ``az ml`` sends, with ``@@workspace@@`` for the workspace's ARM id."""
        return f"@@workspace@@/data/{self.name}/versions/{self.version}"


def collection_assets(deployment: Any, *, endpoint_name: str, slot: str) -> tuple[CollectionAsset, ...]:
    """One data asset per collection, named, versioned and placed as ``az ml`` does: the spec's
    ``data`` name/version/path where given, else ``<endpoint>-<slot>-<collection>``, ``1`` and
    ``<DEFAULT_MDC_PATH>/<endpoint>/<slot>/<collection>`` (every collection, enabled or not)."""
    collector = getattr(deployment, "data_collector", None)
    assets: list[CollectionAsset] = []
    for collection, value in (getattr(collector, "collections", None) or {}).items():
        data = getattr(value, "data", None)
        name = getattr(data, "name", None) or f"{endpoint_name}-{slot}-{collection}"
        version = getattr(data, "version", None) or "1"
        path = getattr(data, "path", None) or f"{DEFAULT_MDC_PATH}/{endpoint_name}/{slot}/{collection}"
        assets.append(CollectionAsset(str(collection), str(name), str(version), str(path)))
    return tuple(assets)


def check_collections(deployment: Any, raw: YamlLines, issues: list[SpecIssue]) -> None:
    """Refuse collection ``data`` that ``az ml`` cannot register or that the estate would have
    to upload; warn where ``az ml`` ignores what the spec says."""
    from azure.ai.ml._utils.utils import is_url

    collector = getattr(deployment, "data_collector", None)
    for collection, value in (getattr(collector, "collections", None) or {}).items():
        where = f"data_collector.collections.{collection}.data"
        data = getattr(value, "data", None)
        if data is None:
            continue
        if isinstance(data, str):
            raise SpecError(
                [
                    raw.issue(
                        "error",
                        where,
                        f"'{data}' is a string; az ml registers the collection's data asset itself and "
                        "fails on a string: write data: {name: <asset>, version: <n>, path: "
                        "azureml://datastores/<datastore>/paths/<folder>} or leave data out",
                    )
                ]
            )
        path = getattr(data, "path", None)
        if path and not is_url(str(path)):
            raise SpecError(
                [
                    raw.issue(
                        "error",
                        f"{where}.path",
                        f"'{path}' is a local folder, which az ml uploads; the estate does not: write a "
                        "datastore URI, e.g. azureml://datastores/workspaceblobstore/paths/<folder>",
                    )
                ]
            )
        if getattr(data, "data_id", None):
            issues.append(
                raw.issue(
                    "warning",
                    f"{where}.data_id",
                    "ignored, as az ml ignores it: the collection's asset is registered from "
                    "name/version/path (defaults <endpoint>-<deployment>-<collection>, 1)",
                )
            )


def deployment_warnings(
    deployment: Any, raw: YamlLines, issues: list[SpecIssue], *, has_code: bool
) -> tuple[str, ...]:
    """Checks of a deployment's own fields; returns the model types a no-code deployment can serve."""
    model = getattr(deployment, "model", None)
    needed: tuple[str, ...] = ()
    if not has_code:
        kind = _spec_model_type(deployment)
        if kind in NO_CODE_MODEL_TYPES:
            needed = (str(kind),)
        elif kind is None and getattr(deployment, "environment", None) is None:
            needed = NO_CODE_MODEL_TYPES
    if model is not None:
        must = f"; the pinned version must be a {needed[0]} (no scoring code)" if len(needed) == 1 else ""
        issues.append(
            raw.issue(
                "warning",
                "model",
                "replaced by the version the stack file pins "
                f"(azureml://registries/<registry>/models/<model>/versions/<n>); leave it out{must}",
            )
        )
    elif not has_code and isinstance(raw.data, dict) and getattr(deployment, "environment", None) is None:
        issues.append(
            raw.issue(
                "warning",
                "model",
                "no scoring code and no environment: Azure ML builds both only for mlflow_model or "
                "triton_model versions; the pinned version must be one (checked against the type "
                "the registry reports, offline the type the registry catalog records)",
            )
        )
    check_collections(deployment, raw, issues)
    return needed


def load_serving_spec(
    model: str, serving: str, *, root: Path | None = None, targets: StackTargets | None = None
) -> ServingSpec:
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
        assert spec.deployment_raw is not None
        return replace(
            spec, code=_code_spec(spec.deployment, spec.deployment_file.parent, spec.deployment_raw)
        )
    raws = [YamlLines(path, _relative(path)) for path in files]
    kinds: tuple[SpecKind, SpecKind] = (
        ("online-endpoint", "online-deployment")
        if serving == "online"
        else ("batch-endpoint", "batch-deployment")
    )
    for raw, kind in zip(raws, kinds, strict=True):
        found = spec_kind(raw)
        if found is not None and found != kind:
            raise SpecError(
                [
                    raw.issue(
                        "error", "$schema", f"this is a {found} spec; a {serving} model needs a {kind} here"
                    )
                ]
            )
    endpoint, deployment = (load_entity(raw, kind) for raw, kind in zip(raws, kinds, strict=True))
    issues: list[SpecIssue] = []
    if type(deployment).__name__ == "PipelineComponentBatchDeployment":
        raise SpecError(
            [
                raws[1].issue(
                    "error",
                    "type",
                    "a pipeline-component batch deployment serves no model; ModelAssets serves a pinned "
                    "registry model: write type: model with a scoring script",
                )
            ]
        )
    code = _code_spec(deployment, files[1].parent, raws[1])
    environment = environment_spec(
        getattr(deployment, "environment", None),
        raws[1],
        where="environment",
        name=f"{model.replace('_', '-')}-serving",
        issues=issues,
    )
    needed = deployment_warnings(deployment, raws[1], issues, has_code=code is not None)
    spec = ServingSpec(
        model=model,
        serving=serving,
        endpoint_file=files[0],
        deployment_file=files[1],
        endpoint=endpoint,
        deployment=deployment,
        environment=environment,
        code=code,
        endpoint_raw=raws[0],
        deployment_raw=raws[1],
        warnings=tuple(issues),
        model_types=needed,
    )
    conda_path = _conda_path(deployment)
    _CACHE[key] = (spec, conda_path, _file_digest(conda_path))
    return spec


# -- endpoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointOverrides:
    """What the stack sets on an endpoint (``None`` keeps the spec's value)."""

    auth_mode: str | None = None
    """The stack file's explicit auth mode (``None``: the spec's, else the estate default)."""
    compute: str | None = None
    """Kubernetes endpoints: the AKS compute id (or a placeholder)."""
    user_assigned_identity_id: str | None = None
    """The stack's user-assigned identity (``None``: the spec's identity, else system-assigned)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Stack tags, merged over the spec's."""


def _stated(raw: YamlLines | None, key: str) -> bool:
    return raw is not None and raw.has(key)


def online_endpoint_conversion(
    spec: ServingSpec, overrides: EndpointOverrides, *, location: str, issues: list[SpecIssue] | None = None
) -> Conversion:
    """azure-ai-ml's wire dict of the online endpoint and the estate's overrides applied to it."""
    issues = issues if issues is not None else []
    raw = spec.endpoint_raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        endpoint = copy.deepcopy(spec.endpoint)
        baseline = wire(endpoint._to_rest_online_endpoint(location))
    conversion = Conversion(baseline=copy.deepcopy(baseline), converted=baseline)
    kubernetes = overrides.compute is not None
    conversion.apply(
        Override("properties.traffic", None, "set by EndpointTraffic after the deployments exist")
    )
    conversion.apply(
        Override("properties.mirrorTraffic", None, "set by EndpointTraffic after the deployments exist")
    )
    spec_mode = str(spec.endpoint.auth_mode or "") if _stated(raw, "auth_mode") else ""
    mode = overrides.auth_mode or spec_mode or ("aml_token" if kubernetes else "aad_token")
    if raw is not None and spec_mode and overrides.auth_mode and overrides.auth_mode != spec_mode:
        issues.append(
            raw.issue(
                "warning", "auth_mode", f"'{spec_mode}' replaced by the stack's '{overrides.auth_mode}'"
            )
        )
    if kubernetes and mode == "aad_token":
        where = "auth_mode" if spec_mode == "aad_token" else ""
        raise SpecError(
            [
                (
                    raw.issue(
                        "error",
                        where,
                        "aad_token is not available on Kubernetes endpoints; write auth_mode: aml_token or key",
                    )
                    if raw is not None
                    else SpecIssue(
                        "error", "", None, "auth_mode", "aad_token is not available on Kubernetes endpoints"
                    )
                )
            ]
        )
    reason = (
        "the stack's auth mode"
        if overrides.auth_mode
        else (
            "the spec's auth mode"
            if spec_mode
            else "unstated: the estate default (aad_token managed, aml_token kubernetes)"
        )
    )
    conversion.apply(Override("properties.authMode", AUTH_MODES[mode], reason))
    if kubernetes:
        conversion.apply(Override("properties.compute", overrides.compute, "the stack's AKS compute"))
    if overrides.user_assigned_identity_id:
        if raw is not None and _stated(raw, "identity"):
            issues.append(raw.issue("warning", "identity", "replaced by the stack's user-assigned identity"))
        conversion.apply(
            Override(
                "identity",
                {"type": "UserAssigned", "userAssignedIdentities": {overrides.user_assigned_identity_id: {}}},
                "the stack's user-assigned identity",
            )
        )
    elif not _mapping(baseline.get("identity")).get("type"):
        conversion.apply(Override("identity", {"type": "SystemAssigned"}, "unstated: system-assigned"))
    conversion.apply(
        Override(
            "tags", {**dict(spec.endpoint.tags or {}), **overrides.tags}, "stack tags merged over the spec's"
        )
    )
    conversion.apply(Override("location", None, "set by the stack"))
    return conversion


def online_endpoint_inputs(
    spec: ServingSpec, overrides: EndpointOverrides, *, location: str, issues: list[SpecIssue] | None = None
) -> dict[str, Any]:
    """azure-native inputs of the online endpoint: ``properties``, ``identity``, ``tags``."""
    return native_inputs(
        online_endpoint_conversion(spec, overrides, location=location, issues=issues).converted
    )


def online_endpoint_properties(
    spec: ServingSpec, *, auth_mode: str | None, compute: str | None, location: str
) -> dict[str, Any]:
    """ARM ``properties`` of the online endpoint, without ``traffic``/``mirrorTraffic`` (set separately)."""
    inputs = online_endpoint_inputs(
        spec, EndpointOverrides(auth_mode=auth_mode, compute=compute), location=location
    )
    return _mapping(inputs["properties"])


def batch_endpoint_conversion(
    spec: ServingSpec, overrides: EndpointOverrides, *, location: str
) -> Conversion:
    """azure-ai-ml's wire dict of the batch endpoint and the estate's overrides applied to it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        endpoint = copy.deepcopy(spec.endpoint)
        baseline = wire(endpoint._to_rest_batch_endpoint(location))
    conversion = Conversion(baseline=copy.deepcopy(baseline), converted=baseline)
    conversion.apply(
        Override("properties.defaults", None, "the default deployment is set by EndpointTraffic")
    )
    conversion.apply(
        Override(
            "properties.authMode",
            "AADToken",
            "batch endpoints accept Entra tokens only (same value, ARM casing)",
        )
    )
    if overrides.user_assigned_identity_id:
        conversion.apply(
            Override(
                "identity",
                {"type": "UserAssigned", "userAssignedIdentities": {overrides.user_assigned_identity_id: {}}},
                "the stack's user-assigned identity",
            )
        )
    elif not _mapping(baseline.get("identity")).get("type"):
        conversion.apply(Override("identity", {"type": "SystemAssigned"}, "unstated: system-assigned"))
    conversion.apply(
        Override(
            "tags", {**dict(spec.endpoint.tags or {}), **overrides.tags}, "stack tags merged over the spec's"
        )
    )
    conversion.apply(Override("location", None, "set by the stack"))
    return conversion


def endpoint_inputs(
    spec: ServingSpec, overrides: EndpointOverrides, *, location: str, warn: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The endpoint's azure-native ``properties``, ``identity`` and ``tags`` (online or batch);
    each stated spec value the stack overrides is passed to ``warn``."""
    issues: list[SpecIssue] = []
    if spec.serving == "online":
        conversion = online_endpoint_conversion(spec, overrides, location=location, issues=issues)
    else:
        conversion = batch_endpoint_conversion(spec, overrides, location=location)
    for issue in issues:
        warn(str(issue))
    inputs = native_inputs(conversion.converted)
    tags = inputs.get("tags")
    return (
        _mapping(inputs["properties"]),
        _mapping(inputs.get("identity")),
        {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
    )


def batch_endpoint_properties(spec: ServingSpec, *, location: str) -> dict[str, Any]:
    """ARM ``properties`` of the batch endpoint (the default deployment is set by the component)."""
    inputs = native_inputs(batch_endpoint_conversion(spec, EndpointOverrides(), location=location).converted)
    return _mapping(inputs["properties"])


# -- deployments ---------------------------------------------------------------------------------


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
    tags: dict[str, str] = field(default_factory=dict)
    endpoint_name: str | None = None
    """The endpoint the slot deploys to (names collection data assets); ``None``: the spec's."""


_DURATIONS = {
    "request_timeout_ms": ("requestSettings.requestTimeout", 1000),
    "max_queue_wait_ms": ("requestSettings.maxQueueWait", 1000),
    "max_concurrent_requests_per_instance": ("requestSettings.maxConcurrentRequestsPerInstance", 0),
}
_PROBE = {
    "initial_delay": ("initialDelay", 1),
    "period": ("period", 1),
    "timeout": ("timeout", 1),
    "success_threshold": ("successThreshold", 0),
    "failure_threshold": ("failureThreshold", 0),
}


def _iso_seconds(seconds: float) -> str:
    from azure.ai.ml._utils.utils import to_iso_duration_format

    return str(to_iso_duration_format(seconds))


def _apply_online_overrides(conversion: Conversion, overrides: DeploymentOverrides) -> None:
    if overrides.instance_type is not None:
        conversion.apply(
            Override("properties.instanceType", overrides.instance_type, "the stack's slot size")
        )
    if overrides.instance_count is not None:
        conversion.apply(
            Override("sku.capacity", overrides.instance_count, "the stack's slot instance count")
        )
    if overrides.app_insights is not None:
        conversion.apply(
            Override("properties.appInsightsEnabled", overrides.app_insights, "the stack's app_insights")
        )
    for key, value in (overrides.request_settings or {}).items():
        path, scale = _DURATIONS[key]
        conversion.apply(
            Override(f"properties.{path}", _iso_ms(value) if scale else value, "the stack's request settings")
        )
    for probe, values in (
        ("livenessProbe", overrides.liveness_probe),
        ("readinessProbe", overrides.readiness_probe),
    ):
        for key, value in (values or {}).items():
            name, is_duration = _PROBE[key]
            conversion.apply(
                Override(
                    f"properties.{probe}.{name}",
                    _iso_seconds(value) if is_duration else value,
                    f"the stack's {probe}",
                )
            )


def _iso_ms(ms: int) -> str:
    from azure.ai.ml._utils.utils import to_iso_duration_format_ms

    return str(to_iso_duration_format_ms(ms))


MANAGED_ONLY = ("egressPublicNetworkAccess",)
"""Managed deployment fields a Kubernetes deployment does not have."""


def online_deployment_conversion(
    spec: ServingSpec,
    slot: str,
    overrides: DeploymentOverrides,
    *,
    location: str,
    issues: list[SpecIssue] | None = None,
) -> Conversion:
    """azure-ai-ml's wire dict of one online deployment slot and the estate's overrides."""
    issues = issues if issues is not None else []
    raw = spec.deployment_raw
    source = spec.deployment
    spec_kubernetes = type(source).__name__ == "KubernetesOnlineDeployment"
    if spec_kubernetes and not overrides.kubernetes:
        raise SpecError(
            [
                (
                    raw.issue(
                        "error",
                        "type" if raw.has("type") else "$schema",
                        "a Kubernetes deployment spec on a managed target; set target: kubernetes for this "
                        "model in the stack file, or use a managedOnlineDeployment spec",
                    )
                    if raw is not None
                    else SpecIssue("error", "", None, "type", "Kubernetes spec on a managed target")
                )
            ]
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deployment = copy.deepcopy(source)
        deployment.name = slot
        deployment.model = "@@spec-model@@" if deployment.model is not None else None
        if deployment.environment is not None:
            deployment.environment = "@@spec-environment@@"
        if deployment.code_configuration is not None:
            deployment.code_configuration.code = "@@spec-code@@"
        # az ml registers a data asset per collection first and sends its id (CollectionAsset).
        endpoint_name = overrides.endpoint_name or str(getattr(source, "endpoint_name", "") or "")
        for asset in collection_assets(deployment, endpoint_name=endpoint_name, slot=slot):
            deployment.data_collector.collections[asset.collection].data = asset.data_id
        baseline = wire(deployment._to_rest_object(location=location))
    leaked = not_json(baseline)
    if leaked:
        raise SpecError(
            [
                SpecIssue(
                    "error", raw.shown if raw else "", None, path, "azure-ai-ml left a Python object here"
                )
                for path in leaked
            ]
        )
    conversion = Conversion(baseline=copy.deepcopy(baseline), converted=baseline)
    conversion.apply(Override("properties.model", overrides.model, "the version the stack file pins"))
    if overrides.environment_id is not None:
        conversion.apply(
            Override(
                "properties.environmentId", overrides.environment_id, "the environment the estate registers"
            )
        )
    if overrides.code_id is not None:
        conversion.apply(
            Override(
                "properties.codeConfiguration.codeId", overrides.code_id, "the code asset the estate uploads"
            )
        )
    if overrides.kubernetes and not spec_kubernetes:
        properties = baseline["properties"]
        assert isinstance(properties, dict)
        if str(properties.get("egressPublicNetworkAccess") or "").lower() == "disabled":
            raise SpecError(
                [
                    (
                        raw.issue(
                            "error",
                            "egress_public_network_access",
                            "disabled cannot be honoured on a Kubernetes target (egress is the AKS network's); "
                            "serve this model on managed, or remove it",
                        )
                        if raw is not None
                        else SpecIssue(
                            "error", "", None, "egress_public_network_access", "disabled on kubernetes"
                        )
                    )
                ]
            )
        conversion.apply(
            Override(
                "properties.endpointComputeType", "Kubernetes", "the stack serves this model on Kubernetes"
            )
        )
        for key in MANAGED_ONLY:
            if properties.get(key) not in (None, {}, "Enabled", "enabled"):
                if raw is not None:
                    issues.append(
                        raw.issue(
                            "warning", _snake(key), "dropped: Kubernetes deployments have no such field"
                        )
                    )
            conversion.apply(Override(f"properties.{key}", None, "not a Kubernetes deployment field"))
        if overrides.instance_type is None:
            conversion.apply(
                Override(
                    "properties.instanceType",
                    "defaultinstancetype",
                    "a managed VM size is not a Kubernetes instance type",
                )
            )
    _apply_online_overrides(conversion, overrides)
    spec_tags = dict(getattr(source, "tags", None) or {})
    conversion.apply(Override("tags", {**spec_tags, **overrides.tags}, "stack tags merged over the spec's"))
    conversion.apply(Override("location", None, "set by the stack"))
    return conversion


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def online_deployment_arm(
    spec: ServingSpec, slot: str, overrides: DeploymentOverrides, *, location: str
) -> dict[str, Any]:
    """azure-native inputs of one online deployment slot: ``properties``, ``sku``, ``tags``."""
    inputs = native_inputs(online_deployment_conversion(spec, slot, overrides, location=location).converted)
    return {"properties": inputs["properties"], "sku": inputs.get("sku"), "tags": inputs.get("tags", {})}


def check_compute(spec_compute: str | None, available: str | None, raw: YamlLines | None, where: str) -> None:
    """A compute the spec names must be the stack's (``azureml:<name>`` or an id ending in it)."""
    if not spec_compute or available is None:
        return
    name = str(spec_compute).removeprefix("azureml:").rsplit("/", 1)[-1]
    if name != available:
        message = f"'{spec_compute}' is not a compute of this stack; write {where}: azureml:{available}"
        raise SpecError(
            [
                raw.issue("error", where, message)
                if raw is not None
                else SpecIssue("error", "", None, where, message)
            ]
        )


def batch_deployment_conversion(
    spec: ServingSpec, slot: str, overrides: DeploymentOverrides, *, location: str
) -> Conversion:
    """azure-ai-ml's wire dict of one batch deployment slot and the estate's overrides."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deployment = copy.deepcopy(spec.deployment)
        deployment.name = slot
        if deployment.model is not None:
            deployment.model = "@@spec-model@@"
        if deployment.environment is not None:
            deployment.environment = "@@spec-environment@@"
        if deployment.code_configuration is not None:
            deployment.code_configuration.code = "@@spec-code@@"
        baseline = wire(deployment._to_rest_object(location=location))
    conversion = Conversion(baseline=copy.deepcopy(baseline), converted=baseline)
    conversion.apply(
        Override(
            "properties.model",
            {"assetId": overrides.model, "referenceType": "Id"},
            "the version the stack file pins",
        )
    )
    if overrides.environment_id is not None:
        conversion.apply(
            Override(
                "properties.environmentId", overrides.environment_id, "the environment the estate registers"
            )
        )
    if overrides.code_id is not None:
        conversion.apply(
            Override(
                "properties.codeConfiguration.codeId", overrides.code_id, "the code asset the estate uploads"
            )
        )
    if overrides.compute is not None:
        conversion.apply(Override("properties.compute", overrides.compute, "the stack's cluster id"))
    if overrides.instance_count is not None:
        conversion.apply(
            Override(
                "properties.resources.instanceCount",
                overrides.instance_count,
                "the stack's slot instance count",
            )
        )
    spec_tags = dict(getattr(spec.deployment, "tags", None) or {})
    conversion.apply(Override("tags", {**spec_tags, **overrides.tags}, "stack tags merged over the spec's"))
    conversion.apply(Override("location", None, "set by the stack"))
    return conversion


def batch_deployment_arm(
    spec: ServingSpec, slot: str, overrides: DeploymentOverrides, *, location: str
) -> dict[str, Any]:
    """azure-native inputs of one batch deployment slot (on ``overrides.compute``)."""
    inputs = native_inputs(batch_deployment_conversion(spec, slot, overrides, location=location).converted)
    return {"properties": inputs["properties"], "tags": inputs.get("tags", {})}


def environment_properties(spec: ServingSpec, *, description: str, tags: dict[str, str]) -> dict[str, Any]:
    """azure-native ``properties`` of the serving ``EnvironmentVersion`` (azure-ai-ml's, plus the estate's)."""
    assert spec.environment is not None and spec.environment.reference is None
    properties = dict(spec.environment.properties)
    properties.setdefault("osType", "Linux")
    properties["description"] = description
    properties["tags"] = tags
    return properties


def data_version_conversion(asset: CollectionAsset, *, description: str, tags: dict[str, str]) -> Conversion:
    """azure-ai-ml's wire dict of the ``Data`` entity ``az ml`` registers for a collection (a
    ``uri_folder`` at the asset's path), with the estate's description and tags."""
    from azure.ai.ml.entities import Data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rest = wire(Data(name=asset.name, version=asset.version, path=asset.path)._to_rest_object())
    conversion = Conversion(baseline=copy.deepcopy(rest), converted=rest)
    conversion.apply(
        Override("properties.description", description, "the estate describes what it registers")
    )
    conversion.apply(Override("properties.tags", tags, "the stack's tags"))
    return conversion


def data_version_properties(
    asset: CollectionAsset, *, description: str, tags: dict[str, str]
) -> dict[str, Any]:
    """azure-native ``properties`` of a collection's ``DataVersion`` (:func:`data_version_conversion`)."""
    inputs = native_inputs(data_version_conversion(asset, description=description, tags=tags).converted)
    return _mapping(inputs["properties"])


def data_container_properties(version_properties: dict[str, Any]) -> dict[str, Any]:
    """azure-native ``properties`` of the ``DataContainer`` holding a collection's versions (Azure
    creates it implicitly on ``az ml``'s version PUT, with the version's data type)."""
    return {
        key: version_properties[key]
        for key in ("dataType", "description", "tags")
        if version_properties.get(key) is not None
    }


def substitute(value: Any, replacements: dict[str, str]) -> Any:
    """Replace placeholder strings anywhere in ``value`` (ids resolved after conversion)."""
    if isinstance(value, str):
        for key, new in replacements.items():
            if key in value and key != value:
                value = value.replace(key, new)
        return replacements.get(value, value)
    if isinstance(value, dict):
        return {k: substitute(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, replacements) for v in value]
    return value


def environment_reference_id(reference: str, workspace_id: Any) -> Any:
    """The id ``az ml`` sends for a pinned environment reference (workspace-scoped or registry)."""
    import pulumi

    if reference.startswith("azureml://"):
        return pulumi.Output.from_input(reference)
    name, version = reference.removeprefix("azureml:").split(":", 1)
    return pulumi.Output.from_input(workspace_id).apply(
        lambda ws: f"{ws}/environments/{name}/versions/{version}"
    )
