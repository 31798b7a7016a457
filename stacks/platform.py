"""Composition step: network, ML workspace estate, AKS (environments) and the registry (shared).

Settings are mapped to component args here; components never read config. What later steps
use hangs on ``ctx.parts`` (docs/architecture.md, "Composition contract").
"""

from __future__ import annotations

from components.aks import AksCluster, AksClusterArgs, NodePoolArgs
from components.ml_workspace import CustomerManagedKeyArgs, MlWorkspace, MlWorkspaceArgs
from components.network import OPTIONAL_PRIVATE_DNS_ZONES, PRIVATE_DNS_ZONES, Network, NetworkArgs, SubnetArgs
from components.private_endpoint import PrivateEndpoint
from components.registry import MlRegistry
from components.roles import AZUREML_REGISTRY_USER
from infra import vocabulary
from infra.errors import ConfigError
from infra.settings import EnvironmentStackSettings, SharedStackSettings
from infra.settings.platform import NodePoolSettings
from stacks.context import StackContext

SUBNET_PURPOSE: dict[str, str] = {
    "privateEndpoints": "pe",
    "agents": "agents",
    "functions": "func",
    "aks": "aks",
    "databricksPublic": "dbw-host",
    "databricksPrivate": "dbw-container",
}
"""Short purpose used in subnet and NSG names per subnet role."""

TRAINING_COMPUTE_NAME = "cpu-training"
KUBERNETES_COMPUTE_NAME = "aks-inference"


def registry_writer(settings: EnvironmentStackSettings) -> bool:
    """Whether this environment trains and writes to the shared registry (default: dev only)."""
    if settings.workspace.registry_writer is not None:
        return settings.workspace.registry_writer
    return settings.environment == "dev"


def customer_managed_keys(settings: EnvironmentStackSettings) -> bool:
    """Whether the workspace estate encrypts with its own Key Vault key (default: prod only)."""
    if settings.workspace.customer_managed_keys is not None:
        return settings.workspace.customer_managed_keys
    return settings.environment in vocabulary.CUSTOMER_MANAGED_KEY_ENVIRONMENTS


def _cmk_args(ctx: StackContext, settings: EnvironmentStackSettings) -> CustomerManagedKeyArgs | None:
    """The customer-managed key of the workspace estate, or None when the setting is off."""
    if not customer_managed_keys(settings):
        return None
    sku = settings.workspace.container_registry_sku
    if sku != vocabulary.PRIVATE_LINK_ACR_SKU:
        raise ConfigError(
            f"customer-managed keys (on by default in {settings.environment}) need containerRegistrySku "
            f"Premium, got '{sku}'; set customerManagedKeys: false or use Premium",
            file=ctx.loaded.file,
            key="mlops-estate:workspace.containerRegistrySku",
        )
    return {"identity_name": ctx.namer.name("user_assigned_identity", "cmk")}


def _network(ctx: StackContext, settings: EnvironmentStackSettings) -> Network:
    plan = settings.network
    subnets: dict[str, SubnetArgs] = {}
    for role, purpose in SUBNET_PURPOSE.items():
        field = {
            "privateEndpoints": "private_endpoints",
            "databricksPublic": "databricks_public",
            "databricksPrivate": "databricks_private",
        }.get(role, role)
        prefix = getattr(plan.subnets, field)
        if prefix is None or (role == "aks" and not settings.aks.enabled):
            continue
        subnets[role] = {
            "name": ctx.namer.name("subnet", purpose, key=f"mlops-estate:network.subnets.{role}"),
            "address_prefix": prefix,
            "nsg_name": ctx.namer.name("nsg", purpose, key=f"mlops-estate:network.subnets.{role}"),
        }
    # Private DNS zones serve private endpoints only: an environment without them (dev) pays for none.
    zones = list(PRIVATE_DNS_ZONES) if plan.private_endpoints else []
    if settings.databricks.enabled:
        zones.append(OPTIONAL_PRIVATE_DNS_ZONES[0])
    if settings.data_factory.enabled:
        zones.extend(OPTIONAL_PRIVATE_DNS_ZONES[1:])
    vnet_name = ctx.namer.name("vnet")
    args: NetworkArgs = {
        "resource_group_name": ctx.resource_group_name,
        "location": ctx.location,
        "vnet_name": vnet_name,
        "address_space": plan.address_space,
        "subnets": subnets,
        "log_analytics_id": ctx.parts.observability.log_analytics_id,
        "private_dns_zones": zones,
        "tags": ctx.tags,
    }
    if plan.nat_gateway:
        args["nat_gateway_name"] = ctx.namer.child(
            "vnet", "ng" + vnet_name.removeprefix("vnet"), key="mlops-estate:network.natGateway"
        )
    return Network("network", args, opts=ctx.opts())


def _workspace(ctx: StackContext, settings: EnvironmentStackSettings, network: Network) -> MlWorkspace:
    ws = settings.workspace
    cluster = ws.training_cluster
    writer = registry_writer(settings)
    registry_id = ctx.shared_output("registryId")
    if writer:
        role_id = registry_id.apply(
            lambda rid: (
                f"/subscriptions/{str(rid).split('/')[2]}/providers/"
                f"Microsoft.Authorization/roleDefinitions/{AZUREML_REGISTRY_USER.guid}"
            )
        )
    else:
        role_id = ctx.shared_output("registryReaderRoleDefinitionId")
    args: MlWorkspaceArgs = {
        "resource_group_name": ctx.resource_group_name,
        "location": ctx.location,
        "subscription_id": settings.subscription_id,
        "tenant_id": settings.tenant_id,
        "workspace_name": ctx.namer.name("ml_workspace"),
        "key_vault_name": ctx.namer.name("key_vault"),
        "storage_account_name": ctx.namer.name("storage_account"),
        "container_registry_name": ctx.namer.name("container_registry"),
        "app_insights_id": ctx.parts.observability.app_insights_id,
        "log_analytics_id": ctx.parts.observability.log_analytics_id,
        "training_cluster": {
            "name": ctx.namer.child(
                "ml_compute", TRAINING_COMPUTE_NAME, key="mlops-estate:workspace.trainingCluster"
            ),
            "vm_size": cluster.vm_size,
            "min_nodes": cluster.min_nodes,
            "max_nodes": cluster.max_nodes,
            "idle_minutes_before_scale_down": cluster.idle_minutes_before_scale_down,
        },
        "public_network_access": ws.public_network_access,
        "isolation_mode": ws.isolation_mode,
        "hbi": ws.hbi,
        "container_registry_sku": ws.container_registry_sku,
        "storage_sku": ws.storage_sku,
        "registry_access": {"registry_id": registry_id, "role_definition_id": role_id, "writer": writer},
        "tags": ctx.tags,
        "lifecycle": ctx.lifecycle,
    }
    cmk = _cmk_args(ctx, settings)
    if cmk is not None:
        args["customer_managed_key"] = cmk
    args["key_vault_sku"] = ws.key_vault_sku or (
        vocabulary.CMK_KEY_VAULT_SKU if cmk is not None else vocabulary.DEFAULT_KEY_VAULT_SKU
    )
    if ws.outbound_fqdns:
        args["outbound_fqdns"] = list(ws.outbound_fqdns)
    if settings.network.private_endpoints:
        args["private_endpoints"] = {
            "subnet_id": network.subnet_ids["privateEndpoints"],
            "dns_zone_ids": network.private_dns_zone_ids,
        }
    if ws.data_scientists_group_object_id:
        args["data_scientists_group_id"] = ws.data_scientists_group_object_id
    return MlWorkspace("workspace", args, opts=ctx.opts())


def _aks(
    ctx: StackContext, settings: EnvironmentStackSettings, network: Network, workspace: MlWorkspace
) -> AksCluster:
    aks = settings.aks

    def pool(p: NodePoolSettings) -> NodePoolArgs:
        return {"vm_size": p.vm_size, "min_count": p.min_count, "max_count": p.max_count}

    args: AksClusterArgs = {
        "resource_group_name": ctx.resource_group_name,
        "location": ctx.location,
        "subscription_id": settings.subscription_id,
        "tenant_id": settings.tenant_id,
        "cluster_name": ctx.namer.name("aks"),
        "identity_name": ctx.namer.name("user_assigned_identity", "aks"),
        "subnet_id": network.subnet_ids["aks"],
        "log_analytics_id": ctx.parts.observability.log_analytics_id,
        "workspace_name": workspace.workspace_name,
        "inference_hostname": aks.inference_hostname
        or f"scoring.{settings.environment}.{settings.workload}.internal",
        "inference_tls_secret": aks.inference_tls_secret,
        "system_pool": pool(aks.system_pool),
        "inference_pool": pool(aks.inference_pool),
        "private_cluster": aks.private_cluster,
        "sku_tier": aks.sku_tier,
        "admin_group_object_ids": list(aks.admin_group_object_ids),
        "pod_cidr": aks.pod_cidr,
        "service_cidr": aks.service_cidr,
        "dns_service_ip": aks.dns_service_ip,
        "container_registry_id": workspace.container_registry_id,
        "compute_name": ctx.namer.child("ml_compute", KUBERNETES_COMPUTE_NAME, key="mlops-estate:aks"),
        "outbound_type": "userAssignedNATGateway" if settings.network.nat_gateway else "loadBalancer",
        "defender": aks.defender,
        "ephemeral_os_disk": aks.ephemeral_os_disk,
        "inference_router_ha": aks.inference_router_ha
        if aks.inference_router_ha is not None
        else settings.environment == "prod" or aks.inference_pool.min_count >= 3,
        "tags": ctx.tags,
    }
    if aks.gpu_pool is not None:
        args["gpu_pool"] = pool(aks.gpu_pool)
    return AksCluster("aks", args, opts=ctx.opts())


def compose_platform(ctx: StackContext) -> None:
    """Network → workspace estate → AKS for an environment stack."""
    settings = ctx.environment_settings
    assert isinstance(settings, EnvironmentStackSettings)
    network = _network(ctx, settings)
    ctx.parts.network = network
    workspace = _workspace(ctx, settings, network)
    ctx.parts.workspace = workspace
    if settings.network.private_endpoints:
        PrivateEndpoint(
            "registry-endpoint",
            {
                "resource_group_name": ctx.resource_group_name,
                "location": ctx.location,
                "endpoint_name": ctx.namer.name("private_endpoint", "mlr"),
                "subnet_id": network.subnet_ids["privateEndpoints"],
                "target_id": ctx.shared_output("registryId"),
                "group_id": "amlregistry",
                "dns_zone_ids": network.private_dns_zone_ids,
                "log_analytics_id": ctx.parts.observability.log_analytics_id,
                "tags": ctx.tags,
            },
            opts=ctx.opts(),
        )
    ctx.outputs["vnetId"] = network.vnet_id
    ctx.outputs["workspaceName"] = workspace.workspace_name
    ctx.outputs["amlWorkspace"] = {  # what pipelines need to reach the workspace (train, batch)
        "subscriptionId": settings.subscription_id,
        "resourceGroup": ctx.resource_group_name,
        "name": ctx.outputs["workspaceName"],
    }
    ctx.outputs["workspaceId"] = workspace.workspace_id
    ctx.outputs["trainingComputeName"] = workspace.training_compute_name
    ctx.outputs["keyVaultUri"] = workspace.key_vault_uri
    ctx.outputs["registryWriter"] = registry_writer(settings)
    ctx.outputs["customerManagedKeys"] = customer_managed_keys(settings)
    if settings.aks.enabled:
        aks = _aks(ctx, settings, network, workspace)
        ctx.parts.aks = aks
        ctx.outputs["aksClusterName"] = aks.cluster_name
        ctx.outputs["kubernetesComputeName"] = aks.kubernetes_compute_name


def compose_registry(ctx: StackContext) -> None:
    """The central Azure ML registry in the shared stack."""
    settings = ctx.shared_settings
    assert isinstance(settings, SharedStackSettings)
    registry = MlRegistry(
        "registry",
        {
            "resource_group_name": ctx.resource_group_name,
            "resource_group_id": ctx.resource_group_id,
            "subscription_id": settings.subscription_id,
            "location": ctx.location,
            "registry_name": ctx.namer.name("ml_registry"),
            "log_analytics_id": ctx.parts.observability.log_analytics_id,
            "regions": list(settings.registry.regions),
            "public_network_access": settings.registry.public_network_access,
            "tags": ctx.tags,
            "lifecycle": ctx.lifecycle,
        },
        opts=ctx.opts(),
    )
    ctx.parts.registry = registry
    ctx.outputs["registryName"] = registry.registry_name
    ctx.outputs["registryId"] = registry.registry_id
    ctx.outputs["registryLocation"] = registry.registry_location
    ctx.outputs["registryReaderRoleDefinitionId"] = registry.reader_role_definition_id
    ctx.outputs["registryWriterRoleDefinitionId"] = registry.writer_role_definition_id
