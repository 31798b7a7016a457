"""Answers for what the model_assets component uses beyond the shared table: the dynamic
resources (endpoint traffic, serving code), the serving environments and autoscale settings,
and the registry model version lookup (answered from ``model_assets/registry-catalog.yaml``, or
from an empty registry with ``$ESTATE_REGISTRY=empty``).

Dynamic resources all share the type ``pulumi-python:dynamic:Resource``; each carries an
``estateKind`` input and :data:`DYNAMIC_KINDS` maps it to its id and outputs. Another area's
dynamic resource registers its kind with :func:`dynamic_kind`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.engine.answers.azure_native import ARM_TABLE, extra, register
from infra.engine.answers.common import ResourceContext, answer, invoke

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"

DynamicAnswer = tuple[Callable[[ResourceContext], str], Callable[[ResourceContext], dict[str, Any]]]
DYNAMIC_KINDS: dict[str, DynamicAnswer] = {}
"""``estateKind`` → (id, computed outputs)."""


def dynamic_kind(
    kind: str,
    *,
    id: Callable[[ResourceContext], str],
    outputs: Callable[[ResourceContext], dict[str, Any]] | None = None,
) -> None:
    """Register how the engine answers a dynamic resource of ``estateKind: kind``."""
    if kind in DYNAMIC_KINDS:
        raise ValueError(f"duplicate engine answer for dynamic kind {kind}")
    DYNAMIC_KINDS[kind] = (id, outputs or (lambda ctx: {}))


def _kind(ctx: ResourceContext) -> DynamicAnswer:
    kind = ctx.input("estateKind")
    if kind not in DYNAMIC_KINDS:
        raise LookupError(
            f"the offline engine has no answer for dynamic resource '{ctx.logical_name}' "
            f"(estateKind {kind!r}; known: {', '.join(sorted(DYNAMIC_KINDS))}); register one with dynamic_kind()"
        )
    return DYNAMIC_KINDS[kind]


def _dynamic_outputs(ctx: ResourceContext) -> dict[str, Any]:
    return _kind(ctx)[1](ctx)


answer(DYNAMIC_TYPE, id=lambda ctx: _kind(ctx)[0](ctx), outputs=_dynamic_outputs)

dynamic_kind("endpointTraffic", id=lambda ctx: f"{ctx.input('endpointId')}/traffic")
dynamic_kind(
    "servingCode",
    id=lambda ctx: f"{ctx.input('workspaceId')}/codes/{ctx.input('name')}/versions/{ctx.input('version')}",
    outputs=lambda ctx: {
        "assetId": f"{ctx.input('workspaceId')}/codes/{ctx.input('name')}/versions/{ctx.input('version')}"
    },
)

_SERVING_ARM: dict[str, tuple[str, str, str]] = {
    "azure-native:machinelearningservices:EnvironmentVersion": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/environments/{name}/versions/{version}",
        "version",
    ),
    "azure-native:machinelearningservices:DataContainer": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/data/{name}",
        "name",
    ),
    "azure-native:machinelearningservices:DataVersion": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/data/{name}/versions/{version}",
        "version",
    ),
    "azure-native:monitor:AutoscaleSetting": (
        "rg",
        "Microsoft.Insights/autoscalesettings/{autoscaleSettingName}",
        "autoscaleSettingName",
    ),
}
for _token, (_scope, _path, _name_input) in _SERVING_ARM.items():
    if _token not in ARM_TABLE:
        ARM_TABLE[_token] = (_scope, _path, _name_input)
        register(_token, _scope, _path, _name_input)


@invoke("azure-native:machinelearningservices:getRegistryModelVersion")
def _registry_model_version(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    """Found in the registry catalog → the version resource; missing → the registry's 404, offline.
    With ``$ESTATE_REGISTRY=empty`` (``estate preview --registry empty``) the registry is brand
    new and holds nothing."""
    from infra.catalog import offline_registry

    model, version, registry = str(args["modelName"]), str(args["version"]), str(args["registryName"])
    catalog = offline_registry()
    catalog.require(model, version, registry=registry)
    model_type = catalog.model_type(model, version)
    rid = (
        f"/subscriptions/{ctx.subscription_id}/resourceGroups/{args['resourceGroupName']}/providers/"
        f"Microsoft.MachineLearningServices/registries/{registry}/models/{model}/versions/{version}"
    )
    return {
        "id": rid,
        "name": version,
        "type": "Microsoft.MachineLearningServices/registries/models/versions",
        "properties": {
            # The type the registering step recorded; none for entries recorded before types were
            # (then a no-code deployment's type check only bites against the real registry).
            "isArchived": False,
            "modelUri": f"azureml://registries/{registry}/models/{model}/versions/{version}",
            **({"modelType": model_type} if model_type else {}),
        },
    }


# azure-native v3 names the endpoints' ARM ``properties`` input and output ``properties`` (v2 said
# ``onlineEndpointProperties``/``batchEndpointProperties``); Azure computes the URIs inside it.
@extra("azure-native:machinelearningservices:OnlineEndpoint")
def _online_endpoint(ctx: ResourceContext) -> dict[str, Any]:
    base = f"https://{ctx.input('endpointName')}.{ctx.location}.inference.ml.azure.com"
    return {
        "properties": {
            "scoringUri": f"{base}/score",
            "swaggerUri": f"{base}/swagger.json",
            "provisioningState": "Succeeded",
        }
    }


@extra("azure-native:machinelearningservices:BatchEndpoint")
def _batch_endpoint(ctx: ResourceContext) -> dict[str, Any]:
    base = f"https://{ctx.input('endpointName')}.{ctx.location}.inference.ml.azure.com"
    return {
        "properties": {
            "scoringUri": f"{base}/jobs",
            "swaggerUri": f"{base}/swagger.json",
            "provisioningState": "Succeeded",
        }
    }
