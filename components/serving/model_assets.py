"""One served model: its endpoint, one deployment per slot pinned to a registry version, traffic.

``ModelAssets`` (``mlops:model_assets:ModelAssets``) turns a model's Azure ML CLI v2 spec
(``model_assets/<model>/azureml/*.yml``, loaded and converted with azure-ai-ml, see
:mod:`components.serving.specs`) plus per-environment args (versions, traffic, sizes) into:

- online: a ``OnlineEndpoint`` (managed, or Kubernetes on the AKS compute) and one
  ``OnlineDeployment`` per slot; batch: a ``BatchEndpoint`` and one ``BatchDeployment`` per slot
  on the scale-to-zero cluster;
- every deployment's model is ``azureml://registries/<registry>/models/<name>/versions/<n>``;
  each pinned version is looked up first (``getRegistryModelVersion``), so a version the
  registry does not have fails the preview naming the stack file key (offline: the registry
  catalog answers);
- the serving environment (an ``EnvironmentVersion`` from the spec's image + conda file) and
  the scoring code (a ``ServingCode`` asset uploaded by azure-ai-ml), both content-versioned;
- Azure Monitor autoscale per managed slot (CPU), when asked;
- diagnostics of the endpoint to Log Analytics;
- BYOM: an external artifact registered as a ``RegistryModelVersion`` in the shared registry,
  then deployed like any other version.

Traffic ordering (why ``EndpointTraffic`` exists): Azure refuses traffic for a deployment that
does not exist yet, and a deployment needs its endpoint. Putting ``traffic`` on the endpoint
would need the deployments first (a cycle). So the endpoint is created without traffic and
with ``ignore_changes`` on ``properties.traffic``/``properties.mirrorTraffic`` (batch:
``properties.defaults``); the deployments depend on the endpoint; ``EndpointTraffic`` — a
small dynamic resource calling azure-ai-ml ``online_endpoints.begin_create_or_update`` with
only the split changed — depends on every deployment and sets traffic and mirror traffic.
Its diff reports only traffic changes, so a version bump touches one deployment and a traffic
shift touches only the traffic resource; the endpoint never fights it. On delete it zeroes
the split first, because Azure refuses to delete a deployment that takes traffic (see
:mod:`components.serving.traffic`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import monitor

from components.common import (
    LifecycleArgs,
    ProgramConfigError,
    arg_error,
    check_unknown_args,
    require,
    stateful_options,
)
from components.diagnostics import send_to_log_analytics
from components.serving import specs
from components.serving.byom import ByomArgs, register_byom
from components.serving.code_asset import ServingCode
from components.serving.traffic import EndpointTraffic
from infra.errors import ConfigError

COMPONENT = "ModelAssets"
BYOM_MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
REQUIRED_ARGS = (
    "model",
    "serving",
    "endpoint_name",
    "resource_group_name",
    "workspace_name",
    "workspace_id",
    "location",
    "registry_name",
    "registry_resource_group_name",
    "deployments",
)
PROJECT_ROOT = Path(__file__).resolve().parents[2]

_MODEL = "@@model@@"
_CODE = "@@code@@"
_ENV = "@@environment@@"


class SlotArgs(TypedDict):
    """One deployment slot."""

    version: NotRequired[str]
    """Optional. Explicit registry version (digits), never latest or a label. Without it the slot is
    declared but not yet registered (day 0): no deployment, no traffic. @default none"""
    traffic: NotRequired[int]
    """Optional. Live traffic percent. @default 0"""
    instance_type: NotRequired[str]
    """Optional. VM size (managed/batch) or cluster instance type (kubernetes). @default from the spec"""
    instance_count: NotRequired[int]
    """Optional. @default from the spec"""


class AutoscaleArgs(TypedDict):
    """CPU autoscale of managed online slots."""

    min_instances: int
    """Required."""
    max_instances: int
    """Required."""
    target_cpu_percent: int
    """Required. Scale out above, in below (minus 20 points)."""


class ModelAssetsArgs(TypedDict):
    """Arguments of :class:`ModelAssets`."""

    model: str
    """Required. Model name (the key in settings; by default also the registry model name and the
    folder under model_assets/)."""
    spec_folder: NotRequired[str]
    """Optional. Folder under model_assets/ holding the Azure ML specs and scoring code. @default model"""
    registry_model: NotRequired[str]
    """Optional. The model's name in the shared registry. @default model"""
    serving: Literal["online", "batch"]
    """Required. Online or batch endpoint."""
    endpoint_name: str
    """Required. Azure name of the endpoint (infra.naming ``Namer.endpoint``)."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the workspace."""
    workspace_name: pulumi.Input[str]
    """Required. The Azure ML workspace the endpoint lives in."""
    workspace_id: pulumi.Input[str]
    """Required. ARM id of that workspace (code assets are uploaded there)."""
    location: str
    """Required. Azure region."""
    registry_name: pulumi.Input[str]
    """Required. The shared Azure ML registry the versions come from."""
    registry_resource_group_name: pulumi.Input[str]
    """Required. Resource group of the registry (for the version lookup)."""
    deployments: dict[str, SlotArgs]
    """Required. Slots by name."""
    target: NotRequired[Literal["managed", "kubernetes"]]
    """Optional. Online only. @default managed"""
    kubernetes_compute_id: NotRequired[pulumi.Input[str]]
    """Conditional. Required with target kubernetes: the workspace's Kubernetes compute id."""
    batch_compute_id: NotRequired[pulumi.Input[str]]
    """Conditional. Required for batch: the scale-to-zero cluster's compute id."""
    batch_compute_name: NotRequired[str]
    """Optional. Batch only: that cluster's name, so a spec naming another compute fails before any
    child is declared. @default checked against batch_compute_id once its value is known"""
    mirror_traffic: NotRequired[dict[str, int]]
    """Optional. Online only: shadow traffic per slot. @default {}"""
    auth_mode: NotRequired[Literal["key", "aml_token", "aad_token"]]
    """Optional. @default aad_token (managed), aml_token (kubernetes); batch is always aad_token"""
    user_assigned_identity_id: NotRequired[str]
    """Optional. Endpoint identity. @default system-assigned"""
    public_network_access: NotRequired[Literal["Enabled", "Disabled"]]
    """Optional. Managed online endpoints only: scoring from the internet (Enabled) or only through
    the workspace's private endpoint (Disabled). @default Disabled"""
    app_insights: NotRequired[bool]
    """Optional. Online only. @default from the spec"""
    request_settings: NotRequired[dict[str, int]]
    """Optional. Online only: request_timeout_ms, max_concurrent_requests_per_instance, max_queue_wait_ms.
    @default from the spec"""
    liveness_probe: NotRequired[dict[str, int]]
    """Optional. Online only (snake_case probe fields). @default from the spec"""
    readiness_probe: NotRequired[dict[str, int]]
    """Optional. Online only (snake_case probe fields). @default from the spec"""
    autoscale: NotRequired[AutoscaleArgs]
    """Optional. Managed online only. @default none (fixed instance count)"""
    byom: NotRequired[ByomArgs]
    """Optional. Register an external artifact as a registry version. @default none"""
    registry_provider: NotRequired[pulumi.ProviderResource]
    """Conditional. With byom: the azure-native provider of the registry's subscription. @default the inherited one"""
    log_analytics_id: NotRequired[pulumi.Input[str]]
    """Optional. Endpoint diagnostics go here. @default no diagnostic setting"""
    spec_root: NotRequired[str]
    """Optional. Folder holding ``<model>/azureml/``. @default model_assets/"""
    config_file: NotRequired[str]
    """Optional. Stack file named in version errors. @default 'stack file'"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""
    lifecycle: NotRequired[LifecycleArgs]
    """Optional. protect of the endpoint. @default not protected"""


def _in_apply(check: Callable[[], None]) -> None:
    """Run a check inside an ``apply``: its ``ConfigError`` becomes a :class:`ProgramConfigError`,
    which the language host prints as one line (and the offline engine exits 2 on)."""
    try:
        check()
    except ConfigError as exc:
        if isinstance(exc, ProgramConfigError):
            raise
        raise ProgramConfigError(exc.detail, file=exc.file, key=exc.key) from None


def _first_reference(values: list[str], *, model: str, version: str) -> str:
    """The model reference in the registry named by ``values[0]``."""
    return model_reference(values[0], model, version)


def model_reference(registry: str, model: str, version: str) -> str:
    """``azureml://registries/<registry>/models/<model>/versions/<version>``."""
    return f"azureml://registries/{registry}/models/{model}/versions/{version}"


def _revision(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


class ModelAssets(pulumi.ComponentResource):
    """A model's endpoint, pinned deployments and traffic (``mlops:model_assets:ModelAssets``)."""

    endpoint_id: pulumi.Output[str]
    """ARM id of the endpoint."""
    endpoint_name: pulumi.Output[str]
    """Azure name of the endpoint."""
    scoring_uri: pulumi.Output[str]
    """Scoring URI (online: ``/score``; batch: ``/jobs``)."""
    endpoint_principal_id: pulumi.Output[str]
    """Principal id of the endpoint's system-assigned identity ('' with a user-assigned one)."""
    deployment_ids: dict[str, pulumi.Output[str]]
    """ARM id per slot."""
    versions: dict[str, str]
    """Pinned registry version per slot."""

    def __init__(self, name: str, args: ModelAssetsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:model_assets:ModelAssets", name, {}, opts)
        check_unknown_args(COMPONENT, args, ModelAssetsArgs)
        require(COMPONENT, args, *REQUIRED_ARGS)
        model, serving = args["model"], args["serving"]
        target = args.get("target", "managed")
        slots = dict(args["deployments"])
        self._validate(args, serving, target, slots)
        spec = specs.load_serving_spec(
            args.get("spec_folder", model),
            serving,
            root=Path(args["spec_root"]) if "spec_root" in args else None,
        )
        if serving == "batch" and args.get("batch_compute_name"):  # before any child
            specs.check_compute(
                spec.deployment.compute, args.get("batch_compute_name"), spec.deployment_raw, "compute"
            )
        for issue in spec.warnings:  # spec fields the estate keeps differently (see docs/specs.md)
            pulumi.log.warn(str(issue), resource=self)
        registered = {slot: s for slot, s in slots.items() if s.get("version") is not None}
        self.unregistered = [slot for slot in slots if slot not in registered]
        references = self._references(name, args, registered, spec)
        environment_id, code_id = self._serving_assets(name, model, spec, args)
        collected = self._collection_data(name, model, spec, args, registered)
        endpoint, revision, scoring_uri = self._endpoint(name, spec, args, serving, target)
        deployments = self._deployments(
            name, spec, args, registered, references, endpoint, code_id, environment_id, collected
        )
        if deployments:
            EndpointTraffic(
                f"{name}-traffic",
                endpoint_id=endpoint.id,
                traffic={slot: int(s.get("traffic", 0)) for slot, s in registered.items()},
                mirror_traffic={
                    slot: int(p)
                    for slot, p in (args.get("mirror_traffic") or {}).items()
                    if slot in registered
                },
                endpoint_revision=revision,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(deployments.values())),
            )

        self.endpoint_id = endpoint.id
        self.endpoint_name = pulumi.Output.from_input(args["endpoint_name"])
        self.scoring_uri = scoring_uri
        self.endpoint_principal_id = endpoint.identity.apply(  # type: ignore[attr-defined]
            lambda i: (i.principal_id if i is not None else None) or ""
        )
        self.deployment_ids = {slot: d.id for slot, d in deployments.items()}
        self.versions = {slot: str(s["version"]) for slot, s in registered.items()}
        self.register_outputs(
            {
                "endpoint_id": self.endpoint_id,
                "endpoint_name": self.endpoint_name,
                "scoring_uri": self.scoring_uri,
                "endpoint_principal_id": self.endpoint_principal_id,
                "deployment_ids": self.deployment_ids,
                "versions": self.versions,
            }
        )

    # -- versions ----------------------------------------------------------------------------
    def _references(
        self, name: str, args: ModelAssetsArgs, registered: dict[str, SlotArgs], spec: specs.ServingSpec
    ) -> dict[str, pulumi.Output[str]]:
        """Per registered slot, its model reference: registered here (BYOM) or looked up in the
        registry before anything uses it."""
        model = args["model"]
        registry_model = args.get("registry_model", model)
        config_file = args.get("config_file", "stack file")
        byom = args.get("byom")
        byom_version: ml.RegistryModelVersion | None = None
        if byom is not None:
            byom_version = register_byom(
                name,
                registry_model,
                byom,
                registry_name=args["registry_name"],
                registry_resource_group_name=args["registry_resource_group_name"],
                parent=self,
                provider=args.get("registry_provider"),
            )
        references: dict[str, pulumi.Output[str]] = {}
        for slot, slot_args in registered.items():
            version = str(slot_args["version"])
            if byom is not None and byom_version is not None and version == str(byom["version"]):
                references[slot] = pulumi.Output.all(args["registry_name"], byom_version.id).apply(
                    functools.partial(_first_reference, model=registry_model, version=version)
                )
            else:
                references[slot] = self._pinned(
                    registry_model,
                    slot,
                    version,
                    args,
                    config_file,
                    setting=model,
                    model_types=spec.model_types,
                )
        return references

    # -- serving environment and code (content-versioned) --------------------------------------
    def _serving_assets(
        self, name: str, model: str, spec: specs.ServingSpec, args: ModelAssetsArgs
    ) -> tuple[pulumi.Output[str] | None, pulumi.Output[str] | None]:
        child = pulumi.ResourceOptions(parent=self)
        environment_id: pulumi.Output[str] | None = None
        if spec.environment is not None and spec.environment.reference is not None:
            environment_id = specs.environment_reference_id(spec.environment.reference, args["workspace_id"])
        elif spec.environment is not None:
            arm: dict[str, Any] = {  # the ARM JSON shape azure-ai-ml converted
                "properties": specs.environment_properties(
                    spec,
                    description=f"Serving environment of {model} (from {_relative(spec.deployment_file)})",
                    tags=dict(args.get("tags", {})),
                )
            }
            environment = ml.EnvironmentVersion(
                f"{name}-environment",
                name=spec.environment.name,
                version=spec.environment.version,
                resource_group_name=args["resource_group_name"],
                workspace_name=args["workspace_name"],
                opts=child,
                **arm,
            )
            environment_id = environment.id
        code_id: pulumi.Output[str] | None = None
        if spec.code is not None:
            code = ServingCode(
                f"{name}-code",
                workspace_id=args["workspace_id"],
                asset_name=f"{model.replace('_', '-')}-scoring",
                version=spec.code.version,
                path=_relative(spec.code.directory),
                opts=child,
            )
            code_id = code.id
        return environment_id, code_id

    # -- data-collector destinations (registered first, as az ml does) ---------------------------
    def _collection_data(
        self,
        name: str,
        model: str,
        spec: specs.ServingSpec,
        args: ModelAssetsArgs,
        registered: dict[str, SlotArgs],
    ) -> dict[str, dict[str, pulumi.Output[str]]]:
        """Per registered online slot, per data-collector collection, the id of the data asset
        ``az ml`` would register for it (a ``DataContainer`` and its ``DataVersion`` in the
        workspace, shared by slots that name the same asset)."""
        if args["serving"] != "online":
            return {}
        tags = dict(args.get("tags", {}))
        created: dict[tuple[str, str], pulumi.Output[str]] = {}
        containers: dict[str, ml.DataContainer] = {}
        found: dict[str, dict[str, pulumi.Output[str]]] = {}
        for slot in registered:
            for asset in specs.collection_assets(
                spec.deployment, endpoint_name=args["endpoint_name"], slot=slot
            ):
                key = (asset.name, asset.version)
                if key not in created:
                    properties = specs.data_version_properties(
                        asset,
                        description=f"Production data collected by {model}'s deployments ({asset.collection})",
                        tags=tags,
                    )
                    container = containers.get(asset.name)
                    if container is None:
                        arm: dict[str, Any] = {"properties": specs.data_container_properties(properties)}
                        container = containers[asset.name] = ml.DataContainer(
                            f"{name}-data-{asset.name}",
                            name=asset.name,
                            resource_group_name=args["resource_group_name"],
                            workspace_name=args["workspace_name"],
                            opts=pulumi.ResourceOptions(parent=self),
                            **arm,
                        )
                    arm = {"properties": properties}
                    version = ml.DataVersion(
                        f"{name}-data-{asset.name}-{asset.version}",
                        name=asset.name,
                        version=asset.version,
                        resource_group_name=args["resource_group_name"],
                        workspace_name=args["workspace_name"],
                        **arm,
                        opts=pulumi.ResourceOptions(
                            parent=self,
                            depends_on=[container],
                            # versions are immutable: a new path under the same version replaces it
                            replace_on_changes=["properties.dataUri"],
                            delete_before_replace=True,
                        ),
                    )
                    created[key] = version.id
                found.setdefault(slot, {})[asset.collection] = created[key]
        return found

    # -- endpoint and its diagnostics -----------------------------------------------------------
    def _endpoint(
        self, name: str, spec: specs.ServingSpec, args: ModelAssetsArgs, serving: str, target: str
    ) -> tuple[pulumi.CustomResource, str, pulumi.Output[str]]:
        """The endpoint (created without traffic), its revision (for the traffic resource) and
        scoring URI."""
        location = args["location"]
        endpoint_overrides = specs.EndpointOverrides(
            auth_mode=args.get("auth_mode"),
            compute="@@compute@@" if serving == "online" and target == "kubernetes" else None,
            user_assigned_identity_id=args.get("user_assigned_identity_id"),
            tags=dict(args.get("tags", {})),
        )
        endpoint_props, identity, endpoint_tags = specs.endpoint_inputs(
            spec,
            endpoint_overrides,
            location=location,
            warn=lambda text: pulumi.log.warn(text, resource=self),
        )
        lifecycle = args.get("lifecycle")
        common: dict[str, Any] = {
            "endpoint_name": args["endpoint_name"],
            "resource_group_name": args["resource_group_name"],
            "workspace_name": args["workspace_name"],
            "location": location,
            "identity": identity,
            "tags": endpoint_tags,
        }
        endpoint: pulumi.CustomResource
        if serving == "online":
            compute_id = args.get("kubernetes_compute_id") if target == "kubernetes" else None
            if compute_id is None:
                endpoint_props["publicNetworkAccess"] = args.get("public_network_access", "Disabled")
            revision = _revision({"properties": endpoint_props, "identity": identity, "tags": endpoint_tags})
            props_input: Any = endpoint_props
            if compute_id is not None:
                props_input = pulumi.Output.from_input(compute_id).apply(
                    lambda cid: specs.substitute(endpoint_props, {"@@compute@@": cid})
                )
            endpoint = ml.OnlineEndpoint(
                f"{name}-endpoint",
                kind="Kubernetes" if target == "kubernetes" else "Managed",
                properties=props_input,
                opts=stateful_options(
                    self,
                    lifecycle,
                    data_bearing=False,
                    ignore_changes=["properties.traffic", "properties.mirrorTraffic"],
                ),
                **common,
            )
            if args.get("log_analytics_id") is not None:
                send_to_log_analytics(
                    f"{name}-endpoint",
                    resource_id=endpoint.id,
                    workspace_id=args["log_analytics_id"],
                    parent=self,
                )
        else:
            revision = _revision({"properties": endpoint_props, "identity": identity, "tags": endpoint_tags})
            common["properties"] = endpoint_props
            endpoint = ml.BatchEndpoint(
                f"{name}-endpoint",
                opts=stateful_options(
                    self, lifecycle, data_bearing=False, ignore_changes=["properties.defaults"]
                ),
                **common,
            )
        scoring_uri = endpoint.properties.apply(lambda p: p.scoring_uri)
        return endpoint, revision, scoring_uri

    # -- deployments, one per registered slot ---------------------------------------------------
    def _deployments(
        self,
        name: str,
        spec: specs.ServingSpec,
        args: ModelAssetsArgs,
        registered: dict[str, SlotArgs],
        references: dict[str, pulumi.Output[str]],
        endpoint: pulumi.CustomResource,
        code_id: pulumi.Output[str] | None,
        environment_id: pulumi.Output[str] | None,
        collected: dict[str, dict[str, pulumi.Output[str]]],
    ) -> dict[str, pulumi.CustomResource]:
        serving, target = args["serving"], args.get("target", "managed")
        rg, ws, location = args["resource_group_name"], args["workspace_name"], args["location"]
        tags = dict(args.get("tags", {}))
        deployments: dict[str, pulumi.CustomResource] = {}
        autoscale = args.get("autoscale")
        for slot, slot_args in registered.items():
            overrides = specs.DeploymentOverrides(
                model=_MODEL,
                code_id=_CODE if code_id is not None else None,
                environment_id=_ENV if environment_id is not None else None,
                instance_type=slot_args.get("instance_type"),
                instance_count=slot_args.get("instance_count"),
                app_insights=args.get("app_insights"),
                request_settings=args.get("request_settings"),
                liveness_probe=args.get("liveness_probe"),
                readiness_probe=args.get("readiness_probe"),
                kubernetes=target == "kubernetes",
                compute="@@batch-compute@@",
                tags=tags,
                endpoint_name=args["endpoint_name"],
            )
            collections = collected.get(slot, {})
            ids: list[pulumi.Input[str]] = [
                references[slot],
                code_id or "",
                environment_id or "",
                args.get("batch_compute_id") or "",
                args["workspace_id"],
                *collections.values(),
            ]

            def fill(
                values: list[str], arm: dict[str, Any], names: tuple[str, ...] = tuple(collections)
            ) -> dict[str, Any]:
                if serving == "batch" and not args.get("batch_compute_name"):  # checked by id, once known
                    cluster = values[3].rsplit("/", 1)[-1] or None
                    _in_apply(
                        lambda: specs.check_compute(
                            spec.deployment.compute, cluster, spec.deployment_raw, "compute"
                        )
                    )
                filled: dict[str, Any] = specs.substitute(
                    arm,
                    {
                        _MODEL: values[0],
                        _CODE: values[1],
                        _ENV: values[2],
                        "@@batch-compute@@": values[3],
                        "@@workspace@@": values[4],
                    },
                )
                for collection, data_id in zip(names, values[5:], strict=True):  # the registered assets
                    filled["dataCollector"]["collections"][collection]["dataId"] = data_id
                return filled

            deployment_opts = pulumi.ResourceOptions(parent=self, depends_on=[endpoint])
            if serving == "online":
                arm = specs.online_deployment_arm(spec, slot, overrides, location=location)
                if autoscale is not None:
                    deployment_opts = pulumi.ResourceOptions(
                        parent=self, depends_on=[endpoint], ignore_changes=["sku.capacity"]
                    )
                inputs: dict[str, Any] = {  # ARM JSON, ids filled in once known
                    "properties": pulumi.Output.all(*ids).apply(
                        functools.partial(fill, arm=arm["properties"])
                    ),
                    "sku": arm["sku"],
                    "tags": arm["tags"],
                }
                deployment: pulumi.CustomResource = ml.OnlineDeployment(
                    f"{name}-{slot}",
                    deployment_name=slot,
                    endpoint_name=args["endpoint_name"],
                    resource_group_name=rg,
                    workspace_name=ws,
                    location=location,
                    kind="Kubernetes" if target == "kubernetes" else "Managed",
                    opts=deployment_opts,
                    **inputs,
                )
            else:
                arm = specs.batch_deployment_arm(spec, slot, overrides, location=location)
                inputs = {
                    "properties": pulumi.Output.all(*ids).apply(
                        functools.partial(fill, arm=arm["properties"])
                    ),
                    "tags": arm["tags"],
                }
                deployment = ml.BatchDeployment(
                    f"{name}-{slot}",
                    deployment_name=slot,
                    endpoint_name=args["endpoint_name"],
                    resource_group_name=rg,
                    workspace_name=ws,
                    location=location,
                    opts=deployment_opts,
                    **inputs,
                )
            deployments[slot] = deployment
            if autoscale is not None:
                self._autoscale(
                    name, slot, deployment, autoscale, arm, args["endpoint_name"], rg, location, tags
                )
        return deployments

    # -- validation --------------------------------------------------------------------------
    @staticmethod
    def _validate(args: ModelAssetsArgs, serving: str, target: str, slots: dict[str, SlotArgs]) -> None:
        if serving not in ("online", "batch"):
            raise arg_error(COMPONENT, "serving", f"'{serving}' is not online or batch")
        if target not in ("managed", "kubernetes"):
            raise arg_error(COMPONENT, "target", f"'{target}' is not managed or kubernetes")
        if not slots:
            raise arg_error(COMPONENT, "deployments", "needs at least one slot")
        access = args.get("public_network_access", "Disabled")
        if access not in ("Enabled", "Disabled"):
            raise arg_error(COMPONENT, "public_network_access", f"'{access}' is not Enabled or Disabled")
        for slot, slot_args in slots.items():
            if slot_args.get("version") is None:
                continue  # declared, not yet registered (day 0)
            version = str(slot_args["version"]).strip()
            if not version or not version.replace(".", "").isdigit():
                raise arg_error(
                    COMPONENT,
                    f"deployments.{slot}.version",
                    f"'{version}' is not an explicit registry version (digits, e.g. '4')",
                )
        byom = args.get("byom")
        if byom is not None and byom.get("model_type", "custom_model") not in BYOM_MODEL_TYPES:
            raise arg_error(
                COMPONENT,
                "byom.model_type",
                f"'{byom.get('model_type')}' is not custom_model, mlflow_model or triton_model",
            )
        traffic = {slot: int(s.get("traffic", 0)) for slot, s in slots.items()}
        pending = [slot for slot, s in slots.items() if s.get("version") is None]
        if pending and len(pending) < len(slots):
            mirrored = args.get("mirror_traffic") or {}
            for slot in pending:
                if traffic[slot] or mirrored.get(slot):
                    raise arg_error(
                        COMPONENT,
                        f"deployments.{slot}",
                        "has no version but takes traffic; while other slots are pinned it takes traffic 0",
                    )
        if sum(traffic.values()) != 100:
            raise arg_error(
                COMPONENT, "deployments", f"traffic adds up to {sum(traffic.values())}, not 100 ({traffic})"
            )
        for slot, percent in (args.get("mirror_traffic") or {}).items():
            if slot not in slots:
                raise arg_error(
                    COMPONENT, f"mirror_traffic.{slot}", f"no such slot (slots: {', '.join(slots)})"
                )
            if percent and traffic[slot]:
                raise arg_error(
                    COMPONENT, f"mirror_traffic.{slot}", "mirror only a slot without live traffic"
                )
        if serving == "online" and target == "kubernetes" and args.get("kubernetes_compute_id") is None:
            raise arg_error(COMPONENT, "kubernetes_compute_id", "is required with target kubernetes")
        if serving == "batch":
            if args.get("batch_compute_id") is None:
                raise arg_error(COMPONENT, "batch_compute_id", "is required for batch models")
            if target != "managed":
                raise arg_error(COMPONENT, "target", "batch models run on the workspace cluster (managed)")
            if sorted(traffic.values()).count(100) != 1:
                raise arg_error(
                    COMPONENT, "deployments", "a batch model has exactly one slot with traffic 100"
                )
            for key in (
                "mirror_traffic",
                "autoscale",
                "app_insights",
                "request_settings",
                "liveness_probe",
                "readiness_probe",
            ):
                if args.get(key):
                    raise arg_error(COMPONENT, key, "applies to online models only")
        if args.get("autoscale") is not None and target != "managed":
            raise arg_error(COMPONENT, "autoscale", "applies to managed online deployments only")

    # -- children ----------------------------------------------------------------------------
    def _pinned(
        self,
        model: str,
        slot: str,
        version: str,
        args: ModelAssetsArgs,
        config_file: str,
        *,
        setting: str,
        model_types: tuple[str, ...] = (),
    ) -> pulumi.Output[str]:
        """The model reference of a slot, after the registry confirmed the version exists
        (``model`` is the registry model name, ``setting`` the key under mlops-estate:models)."""
        key = f"mlops-estate:models.{setting}.deployments.{slot}.version"
        registry_provider = args.get("registry_provider")

        def lookup(values: list[str]) -> str:
            registry, registry_rg = values
            try:
                found = ml.get_registry_model_version(
                    model_name=model,
                    version=version,
                    registry_name=registry,
                    resource_group_name=registry_rg,
                    opts=pulumi.InvokeOptions(parent=self, provider=registry_provider),
                )
            except Exception as exc:
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                detail = detail.split(" failed: ", 1)[-1]  # the SDK's "invoke of <token> failed: " prefix
                if "is not in registry" not in detail:
                    detail = f"version '{version}' of model '{model}' was not found in registry {registry}: {detail}"
                raise ProgramConfigError(detail, file=config_file, key=key) from None
            kind = getattr(getattr(found, "model_version_properties", None), "model_type", None) or getattr(
                getattr(found, "properties", None), "model_type", None
            )
            if model_types and kind and kind not in model_types:  # a no-code deployment needs its type
                needed = " or ".join(model_types)
                raise ProgramConfigError(
                    f"version '{version}' of model '{model}' is a {kind}; the spec deploys it without scoring "
                    f"code, which needs a {needed}: pin a {needed} version or add code_configuration",
                    file=config_file,
                    key=key,
                )
            return model_reference(registry, model, version)

        return pulumi.Output.all(args["registry_name"], args["registry_resource_group_name"]).apply(lookup)

    def _autoscale(
        self,
        name: str,
        slot: str,
        deployment: pulumi.CustomResource,
        autoscale: AutoscaleArgs,
        arm: dict[str, Any],
        endpoint_name: str,
        rg: pulumi.Input[str],
        location: str,
        tags: dict[str, str],
    ) -> None:
        low, high, cpu = (
            autoscale["min_instances"],
            autoscale["max_instances"],
            autoscale["target_cpu_percent"],
        )
        if low > high:
            raise arg_error(
                COMPONENT, "autoscale", f"min_instances {low} is greater than max_instances {high}"
            )
        default = min(max(int((arm.get("sku") or {}).get("capacity") or low), low), high)

        def rule(direction: str, operator: str, threshold: int) -> dict[str, Any]:
            return {
                "metricTrigger": {
                    "metricName": "CpuUtilizationPercentage",
                    "metricNamespace": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
                    "metricResourceUri": deployment.id,
                    "timeGrain": "PT1M",
                    "statistic": "Average",
                    "timeWindow": "PT5M",
                    "timeAggregation": "Average",
                    "operator": operator,
                    "threshold": threshold,
                },
                "scaleAction": {
                    "direction": direction,
                    "type": "ChangeCount",
                    "value": "1",
                    "cooldown": "PT5M",
                },
            }

        profiles: dict[str, Any] = {  # the ARM JSON shape of the autoscale profiles
            "profiles": [
                {
                    "name": "cpu",
                    "capacity": {"minimum": str(low), "maximum": str(high), "default": str(default)},
                    "rules": [
                        rule("Increase", "GreaterThan", cpu),
                        rule("Decrease", "LessThan", max(cpu - 20, 5)),
                    ],
                }
            ]
        }
        monitor.AutoscaleSetting(
            f"{name}-{slot}-autoscale",
            autoscale_setting_name=f"{endpoint_name}-{slot}-autoscale",
            resource_group_name=rg,
            location=location,
            enabled=True,
            target_resource_uri=deployment.id,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
            **profiles,
        )
