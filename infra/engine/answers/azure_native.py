"""Answers for azure-native resources: ARM ids built like Azure builds them, and the outputs
Azure computes (principal ids, endpoints, URIs, keys' ids) as deterministic values.

Add a row to ``_ARM`` for every new azure-native type the estate uses: the ARM path below
``providers/`` with ``{input}`` placeholders (camelCase input names), the input that holds
the resource's name, and its scope. ``tests/engine/test_answers.py`` checks every
placeholder against the SDK's real input names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.engine.answers.common import ResourceContext, answer

Outputs = Callable[[ResourceContext], dict[str, Any]]

# token: (scope, ARM path with placeholders, name input)
#   scope "rg": /subscriptions/{sub}/resourceGroups/{resourceGroupName}/providers/<path>
#   scope "sub": /subscriptions/{sub}/<path>
#   scope "ext:<input>": <value of input>/providers/<path>   (extension resources)
_ARM: dict[str, tuple[str, str, str]] = {
    "azure-native:resources:ResourceGroup": (
        "sub",
        "resourceGroups/{resourceGroupName}",
        "resourceGroupName",
    ),
    "azure-native:operationalinsights:Workspace": (
        "rg",
        "Microsoft.OperationalInsights/workspaces/{workspaceName}",
        "workspaceName",
    ),
    "azure-native:applicationinsights:Component": (
        "rg",
        "Microsoft.Insights/components/{resourceName}",
        "resourceName",
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "ext:resourceUri",
        "Microsoft.Insights/diagnosticSettings/{name}",
        "name",
    ),
    "azure-native:network:VirtualNetwork": (
        "rg",
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
        "virtualNetworkName",
    ),
    "azure-native:network:Subnet": (
        "rg",
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
        "subnetName",
    ),
    "azure-native:network:NetworkSecurityGroup": (
        "rg",
        "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
        "networkSecurityGroupName",
    ),
    "azure-native:network:PrivateEndpoint": (
        "rg",
        "Microsoft.Network/privateEndpoints/{privateEndpointName}",
        "privateEndpointName",
    ),
    "azure-native:network:PrivateDnsZoneGroup": (
        "rg",
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateDnsZoneGroupName",
    ),
    "azure-native:network:NatGateway": (
        "rg",
        "Microsoft.Network/natGateways/{natGatewayName}",
        "natGatewayName",
    ),
    "azure-native:network:PublicIPAddress": (
        "rg",
        "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
        "publicIpAddressName",
    ),
    "azure-native:consumption:Budget": (
        "ext:scope",
        "Microsoft.Consumption/budgets/{budgetName}",
        "budgetName",
    ),
    "azure-native:authorization:RoleDefinition": (
        "ext:scope",
        "Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
        "roleDefinitionId",
    ),
    "azure-native:privatedns:PrivateZone": (
        "rg",
        "Microsoft.Network/privateDnsZones/{privateZoneName}",
        "privateZoneName",
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        "rg",
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
        "virtualNetworkLinkName",
    ),
    "azure-native:keyvault:Vault": ("rg", "Microsoft.KeyVault/vaults/{vaultName}", "vaultName"),
    "azure-native:storage:StorageAccount": (
        "rg",
        "Microsoft.Storage/storageAccounts/{accountName}",
        "accountName",
    ),
    "azure-native:storage:BlobContainer": (
        "rg",
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
        "containerName",
    ),
    "azure-native:storage:Queue": (
        "rg",
        "Microsoft.Storage/storageAccounts/{accountName}/queueServices/default/queues/{queueName}",
        "queueName",
    ),
    "azure-native:containerregistry:Registry": (
        "rg",
        "Microsoft.ContainerRegistry/registries/{registryName}",
        "registryName",
    ),
    "azure-native:machinelearningservices:Workspace": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}",
        "workspaceName",
    ),
    "azure-native:machinelearningservices:Registry": (
        "rg",
        "Microsoft.MachineLearningServices/registries/{registryName}",
        "registryName",
    ),
    "azure-native:machinelearningservices:Compute": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}",
        "computeName",
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}",
        "endpointName",
    ),
    "azure-native:machinelearningservices:OnlineDeployment": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}"
        "/deployments/{deploymentName}",
        "deploymentName",
    ),
    "azure-native:machinelearningservices:BatchEndpoint": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/batchEndpoints/{endpointName}",
        "endpointName",
    ),
    "azure-native:machinelearningservices:BatchDeployment": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/batchEndpoints/{endpointName}"
        "/deployments/{deploymentName}",
        "deploymentName",
    ),
    "azure-native:machinelearningservices:RegistryModelVersion": (
        "rg",
        "Microsoft.MachineLearningServices/registries/{registryName}/models/{modelName}/versions/{version}",
        "version",
    ),
    "azure-native:machinelearningservices:RegistryModelContainer": (
        "rg",
        "Microsoft.MachineLearningServices/registries/{registryName}/models/{modelName}",
        "modelName",
    ),
    "azure-native:machinelearningservices:Schedule": (
        "rg",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/schedules/{name}",
        "name",
    ),
    "azure-native:containerservice:ManagedCluster": (
        "rg",
        "Microsoft.ContainerService/managedClusters/{resourceName}",
        "resourceName",
    ),
    "azure-native:containerservice:AgentPool": (
        "rg",
        "Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}",
        "agentPoolName",
    ),
    "azure-native:kubernetesconfiguration:Extension": (
        "rg",
        "{clusterRp}/{clusterResourceName}/{clusterName}/providers/Microsoft.KubernetesConfiguration"
        "/extensions/{extensionName}",
        "extensionName",
    ),
    "azure-native:authorization:RoleAssignment": (
        "ext:scope",
        "Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
        "roleAssignmentName",
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "rg",
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
        "resourceName",
    ),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        "rg",
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}/federatedIdentityCredentials"
        "/{federatedIdentityCredentialResourceName}",
        "federatedIdentityCredentialResourceName",
    ),
    "azure-native:compute:VirtualMachineScaleSet": (
        "rg",
        "Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}",
        "vmScaleSetName",
    ),
    "azure-native:keyvault:Secret": (
        "rg",
        "Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}",
        "secretName",
    ),
    "azure-native:keyvault:Key": (
        "rg",
        "Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}",
        "keyName",
    ),
    "azure-native:eventgrid:SystemTopic": (
        "rg",
        "Microsoft.EventGrid/systemTopics/{systemTopicName}",
        "systemTopicName",
    ),
    "azure-native:eventgrid:SystemTopicEventSubscription": (
        "rg",
        "Microsoft.EventGrid/systemTopics/{systemTopicName}/eventSubscriptions/{eventSubscriptionName}",
        "eventSubscriptionName",
    ),
}


def _arm_type(path: str) -> str:
    segments = [s for s in path.split("/") if not s.startswith("{")]
    if segments and segments[0] == "resourceGroups":
        return "Microsoft.Resources/resourceGroups"
    return "/".join(segments)


def _id_builder(scope: str, path: str) -> Callable[[ResourceContext], str]:
    def build(ctx: ResourceContext) -> str:
        if scope == "sub":
            return ctx.fill("/subscriptions/{sub}/" + path)
        if scope == "rg":
            return ctx.fill("/subscriptions/{sub}/resourceGroups/{resourceGroupName}/providers/" + path)
        scope_input = scope.split(":", 1)[1]
        return ctx.fill("{" + scope_input + "}/providers/" + path)

    return build


def _identity(ctx: ResourceContext) -> dict[str, Any]:
    """Principal ids for system- and user-assigned identities, as Azure assigns them."""
    identity = ctx.input("identity")
    if not isinstance(identity, dict):
        return {}
    out = dict(identity)
    kind = str(identity.get("type", ""))
    if "SystemAssigned" in kind:
        out["principalId"] = ctx.guid("principal")
        out["tenantId"] = ctx.tenant_id
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, (list, dict)):
        keys = assigned if isinstance(assigned, list) else list(assigned)
        out["userAssignedIdentities"] = {
            key: {"principalId": ctx.guid(f"uai-principal/{key}"), "clientId": ctx.guid(f"uai-client/{key}")}
            for key in keys
        }
    return {"identity": out}


_EXTRA: dict[str, Outputs] = {}


def extra(token: str) -> Callable[[Outputs], Outputs]:
    """Decorator: computed outputs of ``token`` (merged over the echoed inputs)."""

    def register(fn: Outputs) -> Outputs:
        _EXTRA[token] = fn
        return fn

    return register


def _deep_merge(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _outputs_builder(token: str, arm_type: str, name_input: str) -> Outputs:
    def build(ctx: ResourceContext) -> dict[str, Any]:
        state: dict[str, Any] = {
            "name": ctx.input(name_input),
            "type": arm_type,
            "provisioningState": "Succeeded",
        }
        state = _deep_merge(state, _identity(ctx))
        if token in _EXTRA:
            state = _deep_merge(state, _EXTRA[token](ctx))
        return state

    return build


@extra("azure-native:operationalinsights:Workspace")
def _log_analytics(ctx: ResourceContext) -> dict[str, Any]:
    return {"customerId": ctx.guid("customer")}


@extra("azure-native:applicationinsights:Component")
def _app_insights(ctx: ResourceContext) -> dict[str, Any]:
    key, app = ctx.guid("ikey"), ctx.guid("app")
    return {
        "appId": app,
        "instrumentationKey": key,
        "connectionString": (
            f"InstrumentationKey={key};IngestionEndpoint=https://{ctx.location}-1.in.applicationinsights.azure.com/;"
            f"LiveEndpoint=https://{ctx.location}.livediagnostics.monitor.azure.com/;ApplicationId={app}"
        ),
    }


@extra("azure-native:keyvault:Vault")
def _vault(ctx: ResourceContext) -> dict[str, Any]:
    return {"properties": {"vaultUri": f"https://{ctx.input('vaultName')}.vault.azure.net/"}}


@extra("azure-native:keyvault:Key")
def _key(ctx: ResourceContext) -> dict[str, Any]:
    uri = f"https://{ctx.input('vaultName')}.vault.azure.net/keys/{ctx.input('keyName')}"
    return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{ctx.guid('key-version').replace('-', '')}"}


@extra("azure-native:storage:StorageAccount")
def _storage(ctx: ResourceContext) -> dict[str, Any]:
    name = ctx.input("accountName")
    return {
        "primaryEndpoints": {
            svc: f"https://{name}.{svc}.core.windows.net/"
            for svc in ("blob", "dfs", "file", "queue", "table")
        }
        | {"web": f"https://{name}.z6.web.core.windows.net/"}
    }


@extra("azure-native:containerregistry:Registry")
def _acr(ctx: ResourceContext) -> dict[str, Any]:
    return {"loginServer": f"{str(ctx.input('registryName')).lower()}.azurecr.io"}


@extra("azure-native:machinelearningservices:Workspace")
def _workspace(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "workspaceId": ctx.guid("workspace"),
        "discoveryUrl": f"https://{ctx.location}.api.azureml.ms/discovery",
        "mlFlowTrackingUri": (
            f"azureml://{ctx.location}.api.azureml.ms/mlflow/v1.0/subscriptions/{ctx.subscription_id}"
            f"/resourceGroups/{ctx.input('resourceGroupName')}/providers/Microsoft.MachineLearningServices"
            f"/workspaces/{ctx.input('workspaceName')}"
        ),
    }


@extra("azure-native:machinelearningservices:Registry")
def _registry(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "discoveryUrl": f"https://{ctx.location}.api.azureml.ms/registrymanagement/v1.0/registries/{ctx.input('registryName')}/discovery",
        "mlFlowRegistryUri": f"azureml://{ctx.location}.api.azureml.ms/mlflow/v1.0/registries/{ctx.input('registryName')}",
    }


@extra("azure-native:containerservice:ManagedCluster")
def _aks(ctx: ResourceContext) -> dict[str, Any]:
    prefix = ctx.input("dnsPrefix") or ctx.input("resourceName")
    token = ctx.guid("fqdn")[:8]
    return {
        "fqdn": f"{prefix}-{token}.hcp.{ctx.location}.azmk8s.io",
        "privateFQDN": f"{prefix}-{token}.{ctx.guid('private')}.privatelink.{ctx.location}.azmk8s.io",
        "nodeResourceGroup": ctx.input("nodeResourceGroup")
        or f"MC_{ctx.input('resourceGroupName')}_{ctx.input('resourceName')}_{ctx.location}",
        "oidcIssuerProfile": {
            "issuerURL": f"https://{ctx.location}.oic.prod-aks.azure.com/{ctx.tenant_id}/{ctx.guid('oidc')}/"
        },
        "identityProfile": {
            "kubeletidentity": {
                "clientId": ctx.guid("kubelet-client"),
                "objectId": ctx.guid("kubelet-object"),
                "resourceId": (
                    f"/subscriptions/{ctx.subscription_id}/resourceGroups/MC_{ctx.input('resourceGroupName')}_"
                    f"{ctx.input('resourceName')}_{ctx.location}/providers/Microsoft.ManagedIdentity/"
                    f"userAssignedIdentities/{ctx.input('resourceName')}-agentpool"
                ),
            }
        },
    }


@extra("azure-native:managedidentity:UserAssignedIdentity")
def _uai(ctx: ResourceContext) -> dict[str, Any]:
    return {"principalId": ctx.guid("principal"), "clientId": ctx.guid("client"), "tenantId": ctx.tenant_id}


@extra("azure-native:kubernetesconfiguration:Extension")
def _extension(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "aksAssignedIdentity": {"principalId": ctx.guid("extension-principal"), "tenantId": ctx.tenant_id}
    }


@extra("azure-native:compute:VirtualMachineScaleSet")
def _vmss(ctx: ResourceContext) -> dict[str, Any]:
    return {"uniqueId": ctx.guid("unique")}


def register(token: str, scope: str, path: str, name_input: str) -> None:
    """Register an azure-native type from its ARM path (used for the table below and by tests)."""
    arm_type = _arm_type(path)
    if token == "azure-native:kubernetesconfiguration:Extension":
        arm_type = "Microsoft.KubernetesConfiguration/extensions"
    answer(
        token,
        id=_id_builder(scope, path),
        outputs=_outputs_builder(token, arm_type, name_input),
        name_input=name_input,
        arm_type=arm_type,
    )


for _token, (_scope, _path, _name_input) in _ARM.items():
    register(_token, _scope, _path, _name_input)

ARM_TABLE = _ARM
"""The table, for tests and tools (read-only by convention)."""
