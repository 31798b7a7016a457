"""Composition step: the models of an environment stack (endpoints pinned to registry versions)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from components import roles
from components.serving.model_assets import ModelAssets, ModelAssetsArgs, SlotArgs
from infra.settings.models import DeploymentSlot, unregistered_note
from stacks.context import StackContext
from stacks.platform import TRAINING_COMPUTE_NAME


def _id_segment(arm_id: str, name: str) -> str:
    """The value after ``name`` (case-insensitive) in an ARM id."""
    parts = arm_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(name.lower()) + 1]


def _snake(values: Any) -> dict[str, int]:
    """A settings sub-model as the component's snake_case dict, without unset fields."""
    return {k: v for k, v in values.model_dump(by_alias=False).items() if v is not None}


def _slot_args(deployment: DeploymentSlot) -> SlotArgs:
    """A settings slot as the component's slot args, without unset fields."""
    slot: SlotArgs = {}
    if deployment.version is not None:
        slot["version"] = deployment.version
    slot["traffic"] = deployment.traffic
    if deployment.instance_type is not None:
        slot["instance_type"] = deployment.instance_type
    if deployment.instance_count is not None:
        slot["instance_count"] = deployment.instance_count
    return slot


def _grant_registry_read(
    ctx: StackContext, model: str, component: ModelAssets, registry_id: pulumi.Output[Any]
) -> None:
    """The endpoint's identity reads its models from the shared registry, and nothing more.

    Role: the shared stack's read-only "AzureML Registry Reader (mlops-estate)" (see
    components/roles.py; the built-in AzureML Registry User could also write and delete).
    """
    endpoint_name = ctx.namer.endpoint(model, ctx.environment_settings.models[model].serving)
    azure_native.authorization.RoleAssignment(
        f"model-{model}-registry-reader",
        role_assignment_name=roles.assignment_name(
            "mlops-estate", endpoint_name, "registry-reader", namespace=roles.URL_NAMESPACE
        ),
        scope=registry_id,
        role_definition_id=ctx.shared_output("registryReaderRoleDefinitionId"),
        principal_id=component.endpoint_principal_id,
        principal_type="ServicePrincipal",
        description=f"Shared model registry reader for endpoint {endpoint_name}: pulls the pinned model versions.",
        opts=pulumi.ResourceOptions(provider=ctx.azure),
    )


def compose_models(ctx: StackContext) -> None:
    """One ``ModelAssets`` per model in ``mlops-estate:models``.

    Publishes ``ctx.parts.models`` (model → component) and the stack output ``endpoints``:
    ``{<model>: {name, scoringUri, version, slots}}``, where ``version`` is the version of the
    champion slot (most traffic), the one ``estate promote`` changes by default — the release
    pipeline reads it as the rollback target. Slots declared without a version (day 0) are
    listed under ``unregistered`` instead (and ``version`` is ``""`` while the champion slot has
    none): the endpoint deploys, with no deployment and no traffic for them yet.
    """
    settings = ctx.environment_settings
    models: dict[str, ModelAssets] = {}
    ctx.parts.models = models
    if not settings.models:
        return
    workspace = ctx.parts.workspace
    aks = ctx.parts.aks
    observability = ctx.parts.observability
    registry_name = ctx.shared_output("registryName")
    registry_id = ctx.shared_output("registryId")
    registry_rg = registry_id.apply(lambda rid: _id_segment(rid, "resourceGroups"))
    # The registry lives in the shared stack's subscription: version lookups and BYOM registrations
    # go through a provider for that subscription.
    registry_provider = azure_native.Provider(
        f"azure-registry-{settings.environment}",
        subscription_id=registry_id.apply(lambda rid: _id_segment(rid, "subscriptions")),
        tenant_id=settings.tenant_id,
        location=ctx.location,
    )
    endpoints: dict[str, Any] = {}
    for name, model in settings.models.items():
        args: ModelAssetsArgs = {
            "model": name,
            "serving": model.serving,
            "target": model.target,
            "endpoint_name": ctx.namer.endpoint(name, model.serving),
            "resource_group_name": ctx.resource_group_name,
            "workspace_name": workspace.workspace_name,
            "workspace_id": workspace.workspace_id,
            "location": ctx.location,
            "registry_name": registry_name,
            "registry_resource_group_name": registry_rg,
            "registry_provider": registry_provider,
            "deployments": {slot: _slot_args(deployment) for slot, deployment in model.deployments.items()},
            "log_analytics_id": observability.log_analytics_id,
            "config_file": ctx.loaded.file,
            "tags": ctx.tags,
            "lifecycle": {"protect": ctx.settings.protect},
        }
        if model.auth_mode is not None:  # unset: the spec's auth_mode, else the estate default
            args["auth_mode"] = model.auth_mode
        if model.serving == "online":
            args["mirror_traffic"] = dict(model.mirror_traffic)
            if model.app_insights is not None:
                args["app_insights"] = model.app_insights
            for key in ("request_settings", "liveness_probe", "readiness_probe"):
                value = getattr(model, key)
                if value is not None:
                    args[key] = _snake(value)
        else:
            args["batch_compute_id"] = workspace.training_compute_id
            args["batch_compute_name"] = TRAINING_COMPUTE_NAME  # the spec's compute, checked before any child
        if model.target == "kubernetes":
            # The settings refuse a kubernetes target without aks.enabled (models.<name>.target).
            assert aks is not None
            args["kubernetes_compute_id"] = aks.kubernetes_compute_id
        if model.autoscale is not None:
            args["autoscale"] = _snake(model.autoscale)  # type: ignore[typeddict-item]
        if model.user_assigned_identity_id:
            args["user_assigned_identity_id"] = model.user_assigned_identity_id
        if model.spec is not None:
            args["spec_folder"] = model.spec
        if model.registry_model is not None:
            args["registry_model"] = model.registry_model
        if model.byom is not None:
            args["byom"] = {
                "artifact_uri": model.byom.artifact_uri,
                "version": model.byom.version,
                "model_type": model.byom.model_type,
                "description": model.byom.description,
            }
        component = ModelAssets(f"model-{name}", args, opts=ctx.opts())
        models[name] = component
        _grant_registry_read(ctx, name, component, registry_id)
        for slot in model.unregistered_slots:
            pulumi.log.info(unregistered_note(name, slot))
        champion = model.champion_slot
        endpoints[name] = {
            "name": component.endpoint_name,
            "scoringUri": component.scoring_uri,
            "version": model.deployments[champion].version or "",
            "slots": {slot: d.version for slot, d in model.deployments.items() if d.version is not None},
        }
        if model.unregistered_slots:
            endpoints[name]["unregistered"] = model.unregistered_slots
    ctx.outputs["endpoints"] = pulumi.Output.from_input(endpoints)
