"""AKS for real-time serving, attached to the Azure ML workspace as a Kubernetes compute target.

Secure defaults (secure-defaults.md §1.6), emitted explicitly: private API server (unless
``private_cluster`` is False), Entra ID integration with Azure RBAC and local accounts
disabled, OIDC issuer + workload identity, Azure CNI overlay with Cilium network policy,
autoscaling system and inference pools (optional GPU pool) with encryption at host and
ephemeral OS disks, run-command disabled, egress through the estate's NAT gateway
(``outbound_type``), the Defender for Containers profile (``defender``), monitoring add-on to
Log Analytics with Entra auth, Azure Policy and Key Vault CSI (secret rotation) add-ons, the
stable upgrade channel with node-image patching, and a user-assigned control-plane identity
that holds Network Contributor on the AKS subnet only.

The Azure ML extension (``Microsoft.AzureML.Kubernetes``) runs the inference router behind
an internal load balancer with TLS (``allowInsecureConnections: False``); its certificate is
the Kubernetes secret ``inference_tls_secret`` in the ``azureml`` namespace. With
``inference_router_ha`` the router runs three replicas (one otherwise).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict, cast

import pulumi
from pulumi_azure_native import (
    authorization,
    containerservice,
    kubernetesconfiguration,
    machinelearningservices,
    managedidentity,
)

from components import roles
from components.common import arg_error, check_unknown_args, require
from components.diagnostics import send_to_log_analytics

COMPONENT = "AksCluster"
SKU_TIERS = ("Free", "Standard")
OUTBOUND_TYPES = ("userAssignedNATGateway", "userDefinedRouting", "loadBalancer")
MAX_PODS = 110
EPHEMERAL_OS_DISK_GB = 64
"""OS disk size with ephemeral disks: fits the cache/temp disk of the d-series sizes the estate uses."""


class NodePoolArgs(TypedDict):
    """An autoscaling node pool."""

    vm_size: str
    """Required. VM size of the nodes."""
    min_count: int
    """Required. Autoscaler lower bound."""
    max_count: int
    """Required. Autoscaler upper bound."""


class AksClusterArgs(TypedDict):
    """Arguments of :class:`AksCluster`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the cluster."""
    location: str
    """Required. Azure region."""
    subscription_id: str
    """Required. Subscription of the cluster (role definition ids are built in it)."""
    tenant_id: str
    """Required. Entra tenant for the cluster's Entra ID integration."""
    cluster_name: str
    """Required. Azure name of the cluster (also its DNS prefix)."""
    identity_name: str
    """Required. Azure name of the control plane's user-assigned identity."""
    subnet_id: pulumi.Input[str]
    """Required. The AKS node subnet."""
    log_analytics_id: pulumi.Input[str]
    """Required. Log Analytics workspace for the monitoring add-on and diagnostics."""
    workspace_name: pulumi.Input[str]
    """Required. The Azure ML workspace the cluster is attached to."""
    inference_hostname: str
    """Required. TLS host name (CNAME) of the inference router."""
    system_pool: NodePoolArgs
    """Required. The system node pool (min_count >= 1)."""
    inference_pool: NodePoolArgs
    """Required. The user node pool that runs model deployments."""
    gpu_pool: NotRequired[NodePoolArgs]
    """Optional. A GPU user pool (tainted ``sku=gpu:NoSchedule``). @default none"""
    private_cluster: NotRequired[bool]
    """Optional. API server on a private endpoint only. @default True"""
    sku_tier: NotRequired[str]
    """Optional. Control-plane tier (Free, Standard). @default Standard"""
    admin_group_object_ids: NotRequired[list[str]]
    """Optional. Entra groups with AKS RBAC Cluster Admin. @default []"""
    pod_cidr: NotRequired[str]
    """Optional. Overlay pod range. @default 10.244.0.0/16"""
    service_cidr: NotRequired[str]
    """Optional. Kubernetes service range. @default 10.0.0.0/16"""
    dns_service_ip: NotRequired[str]
    """Optional. Cluster DNS service address inside ``service_cidr``. @default 10.0.0.10"""
    container_registry_id: NotRequired[pulumi.Input[str]]
    """Optional. The workspace's ACR: the kubelet identity gets AcrPull on it. @default none"""
    inference_tls_secret: NotRequired[str]
    """Optional. Kubernetes TLS secret (namespace azureml) of the inference router. @default azureml-inference-tls"""
    compute_name: NotRequired[str]
    """Optional. Name of the Kubernetes compute target in the workspace. @default aks-inference"""
    outbound_type: NotRequired[str]
    """Optional. Egress path: ``userAssignedNATGateway`` (the subnet's NAT gateway),
    ``userDefinedRouting`` (the subnet's route table, e.g. to a firewall) or ``loadBalancer``
    (a public IP of the cluster). @default userAssignedNATGateway"""
    defender: NotRequired[bool]
    """Optional. Defender for Containers security monitoring to ``log_analytics_id``. @default True"""
    ephemeral_os_disk: NotRequired[bool]
    """Optional. Ephemeral OS disks on every pool. @default True"""
    inference_router_ha: NotRequired[bool]
    """Optional. Three inference router replicas instead of one. @default True when the
    inference pool has at least 3 nodes"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of every taggable resource. @default {}"""


def _check_pool(arg: str, pool: NodePoolArgs, *, system: bool) -> None:
    unknown = set(pool) - {"vm_size", "min_count", "max_count"}
    if unknown:
        raise arg_error(
            COMPONENT,
            f"{arg}.{sorted(unknown)[0]}",
            "is not a node pool argument (vm_size, min_count, max_count)",
        )
    for key in ("vm_size", "min_count", "max_count"):
        if pool.get(key) is None:
            raise arg_error(COMPONENT, f"{arg}.{key}", "is required")
    low, high = pool["min_count"], pool["max_count"]
    if low < (1 if system else 0) or high < 1 or low > high:
        floor = 1 if system else 0
        raise arg_error(
            COMPONENT,
            f"{arg}.min_count",
            f"{low}..{high} is not a valid range ({floor} <= min_count <= max_count, max_count >= 1)",
        )


def _pool_profile(
    name: str, pool: NodePoolArgs, subnet_id: pulumi.Input[str], *, mode: str, ephemeral: bool = True
) -> containerservice.ManagedClusterAgentPoolProfileArgsDict:
    profile: containerservice.ManagedClusterAgentPoolProfileArgsDict = {
        "os_disk_type": "Ephemeral" if ephemeral else "Managed",
        "enable_encryption_at_host": True,
        "name": name,
        "mode": mode,
        "vm_size": pool["vm_size"],
        "count": pool["min_count"],
        "min_count": pool["min_count"],
        "max_count": pool["max_count"],
        "enable_auto_scaling": True,
        "vnet_subnet_id": subnet_id,
        "os_type": "Linux",
        "os_sku": "AzureLinux",
        "type": "VirtualMachineScaleSets",
        "max_pods": MAX_PODS,
        "upgrade_settings": {"max_surge": "33%"},
    }
    if ephemeral:
        profile["os_disk_size_gb"] = EPHEMERAL_OS_DISK_GB
    return profile


def validate_args(args: AksClusterArgs) -> None:
    """Every argument check of :class:`AksCluster` (raises ConfigError)."""
    check_unknown_args(COMPONENT, args, AksClusterArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "location",
        "subscription_id",
        "tenant_id",
        "cluster_name",
        "identity_name",
        "subnet_id",
        "log_analytics_id",
        "workspace_name",
        "inference_hostname",
        "system_pool",
        "inference_pool",
    )
    _check_pool("system_pool", args["system_pool"], system=True)
    _check_pool("inference_pool", args["inference_pool"], system=False)
    if args.get("gpu_pool") is not None:
        _check_pool("gpu_pool", args["gpu_pool"], system=False)
    tier = args.get("sku_tier", "Standard")
    if tier not in SKU_TIERS:
        raise arg_error(COMPONENT, "sku_tier", f"'{tier}' is not one of {', '.join(SKU_TIERS)}")
    outbound = args.get("outbound_type", "userAssignedNATGateway")
    if outbound not in OUTBOUND_TYPES:
        raise arg_error(COMPONENT, "outbound_type", f"'{outbound}' is not one of {', '.join(OUTBOUND_TYPES)}")


class AksCluster(pulumi.ComponentResource):
    """AKS cluster + Azure ML extension + workspace attach (``mlops:aks:AksCluster``)."""

    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    kubernetes_compute_name: pulumi.Output[str]
    """Name of the Kubernetes compute target in the workspace (deployments target it)."""
    kubernetes_compute_id: pulumi.Output[str]
    kubelet_principal_id: pulumi.Output[str]
    """Object id of the kubelet identity (pulls images)."""
    oidc_issuer_url: pulumi.Output[str | None]
    """The cluster's OIDC issuer (for workload identity federation)."""

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aks:AksCluster", name, {}, opts)
        validate_args(args)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = dict(args.get("tags", {}))
        self._ephemeral = bool(args.get("ephemeral_os_disk", True))
        identity, subnet_role = self._control_plane_identity()
        cluster = self._cluster(identity, subnet_role)
        send_to_log_analytics(
            f"{name}-aks", resource_id=cluster.id, workspace_id=args["log_analytics_id"], parent=self
        )
        created = self._user_pools(cluster)
        # The provider's response is untyped at this edge: Azure always reports the kubelet
        # identity of a cluster it created; None only stands for "not reported".
        kubelet = cast(
            pulumi.Output[str],
            cluster.identity_profile.apply(
                lambda p: p["kubeletidentity"].object_id if p and "kubeletidentity" in p else None
            ),
        )
        self._roles(cluster, kubelet)
        compute = self._attach(cluster, created)

        self.cluster_id = cluster.id
        self.cluster_name = cluster.name
        self.kubernetes_compute_name = compute.name
        self.kubernetes_compute_id = compute.id
        self.kubelet_principal_id = kubelet
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None)
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "cluster_name": self.cluster_name,
                "kubernetes_compute_name": self.kubernetes_compute_name,
                "kubernetes_compute_id": self.kubernetes_compute_id,
                "kubelet_principal_id": self.kubelet_principal_id,
                "oidc_issuer_url": self.oidc_issuer_url,
            }
        )

    def _control_plane_identity(
        self,
    ) -> tuple[managedidentity.UserAssignedIdentity, authorization.RoleAssignment]:
        args = self._args
        identity = managedidentity.UserAssignedIdentity(
            f"{self._name}-identity",
            resource_name_=args["identity_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=self._tags,
            opts=self._child,
        )
        subnet_role = authorization.RoleAssignment(
            f"{self._name}-subnet-network",
            role_assignment_name=roles.assignment_name(
                args["cluster_name"], "subnet", roles.NETWORK_CONTRIBUTOR.guid
            ),
            scope=args["subnet_id"],
            role_definition_id=roles.NETWORK_CONTRIBUTOR.definition_id(args["subscription_id"]),
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            description=f"{roles.NETWORK_CONTRIBUTOR.name}: {roles.NETWORK_CONTRIBUTOR.why}",
            opts=self._child,
        )
        return identity, subnet_role

    def _cluster(
        self, identity: managedidentity.UserAssignedIdentity, subnet_role: authorization.RoleAssignment
    ) -> containerservice.ManagedCluster:
        args = self._args
        la = args["log_analytics_id"]
        private = bool(args.get("private_cluster", True))
        api_access: containerservice.ManagedClusterAPIServerAccessProfileArgsDict = {
            "enable_private_cluster": private,
            "disable_run_command": True,
        }
        if private:
            api_access["private_dns_zone"] = "system"
            api_access["enable_private_cluster_public_fqdn"] = False
        security: containerservice.ManagedClusterSecurityProfileArgsDict = {
            "workload_identity": {"enabled": True},
            "image_cleaner": {"enabled": True, "interval_hours": 168},
        }
        if args.get("defender", True):
            security["defender"] = {
                "log_analytics_workspace_resource_id": la,
                "security_monitoring": {"enabled": True},
            }
        system_pool = _pool_profile(
            "system", args["system_pool"], args["subnet_id"], mode="System", ephemeral=self._ephemeral
        )
        system_pool["node_taints"] = ["CriticalAddonsOnly=true:NoSchedule"]
        identity_profile: containerservice.ManagedClusterIdentityArgsDict = {
            "type": containerservice.ResourceIdentityType.USER_ASSIGNED,
            "user_assigned_identities": [identity.id],
        }
        aad: containerservice.ManagedClusterAADProfileArgsDict = {
            "managed": True,
            "enable_azure_rbac": True,
            "tenant_id": args["tenant_id"],
            "admin_group_object_ids": list(args.get("admin_group_object_ids", [])),
        }
        network_profile: containerservice.ContainerServiceNetworkProfileArgsDict = {
            "network_plugin": "azure",
            "network_plugin_mode": "overlay",
            "network_dataplane": "cilium",
            "network_policy": "cilium",
            "pod_cidr": args.get("pod_cidr", "10.244.0.0/16"),
            "service_cidr": args.get("service_cidr", "10.0.0.0/16"),
            "dns_service_ip": args.get("dns_service_ip", "10.0.0.10"),
            "load_balancer_sku": "standard",
            "outbound_type": args.get("outbound_type", "userAssignedNATGateway"),
        }
        addons: dict[str, containerservice.ManagedClusterAddonProfileArgsDict] = {
            "omsagent": {
                "enabled": True,
                "config": {"logAnalyticsWorkspaceResourceID": la, "useAADAuth": "true"},
            },
            "azurepolicy": {"enabled": True},
            "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true"}},
        }
        return containerservice.ManagedCluster(
            f"{self._name}-aks",
            resource_name_=args["cluster_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            dns_prefix=args["cluster_name"],
            sku={"name": "Base", "tier": args.get("sku_tier", "Standard")},
            identity=identity_profile,
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=aad,
            api_server_access_profile=api_access,
            public_network_access="Disabled" if private else "Enabled",
            network_profile=network_profile,
            oidc_issuer_profile={"enabled": True},
            security_profile=security,
            addon_profiles=addons,
            auto_upgrade_profile={"upgrade_channel": "stable", "node_os_upgrade_channel": "NodeImage"},
            agent_pool_profiles=[system_pool],
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[subnet_role], ignore_changes=["agentPoolProfiles"]
            ),
        )

    def _user_pools(self, cluster: containerservice.ManagedCluster) -> list[pulumi.Resource]:
        """The inference pool and the optional GPU pool."""
        args = self._args
        pools: list[tuple[str, NodePoolArgs, dict[str, str], list[str] | None]] = [
            ("inference", args["inference_pool"], {"workload": "inference"}, None)
        ]
        if args.get("gpu_pool") is not None:
            labels = {"workload": "inference", "accelerator": "nvidia"}
            pools.append(("gpu", args["gpu_pool"], labels, ["sku=gpu:NoSchedule"]))
        created: list[pulumi.Resource] = []
        for pool_name, pool, labels, taints in pools:
            profile = _pool_profile(
                pool_name, pool, args["subnet_id"], mode="User", ephemeral=self._ephemeral
            )
            created.append(
                containerservice.AgentPool(
                    f"{self._name}-{pool_name}",
                    agent_pool_name=pool_name,
                    resource_name_=cluster.name,
                    resource_group_name=args["resource_group_name"],
                    node_labels=labels,
                    node_taints=taints,
                    tags=self._tags,
                    opts=self._child,
                    os_disk_type=profile.get("os_disk_type"),
                    os_disk_size_gb=profile.get("os_disk_size_gb"),
                    enable_encryption_at_host=profile.get("enable_encryption_at_host"),
                    mode=profile.get("mode"),
                    vm_size=profile.get("vm_size"),
                    count=profile.get("count"),
                    min_count=profile.get("min_count"),
                    max_count=profile.get("max_count"),
                    enable_auto_scaling=profile.get("enable_auto_scaling"),
                    vnet_subnet_id=profile.get("vnet_subnet_id"),
                    os_type=profile.get("os_type"),
                    os_sku=profile.get("os_sku"),
                    type=profile.get("type"),
                    max_pods=profile.get("max_pods"),
                    upgrade_settings=profile.get("upgrade_settings"),
                )
            )
        return created

    def _roles(self, cluster: containerservice.ManagedCluster, kubelet: pulumi.Output[str]) -> None:
        """AcrPull for the kubelet identity, cluster admin for the admin groups."""
        args = self._args
        sub = args["subscription_id"]
        if args.get("container_registry_id") is not None:
            authorization.RoleAssignment(
                f"{self._name}-kubelet-acr",
                role_assignment_name=roles.assignment_name(
                    args["cluster_name"], "kubelet", roles.ACR_PULL.guid
                ),
                scope=args["container_registry_id"],
                role_definition_id=roles.ACR_PULL.definition_id(sub),
                principal_id=kubelet,
                principal_type="ServicePrincipal",
                description="AcrPull: AKS nodes pull model deployment images from the workspace registry.",
                opts=self._child,
            )
        for group in args.get("admin_group_object_ids", []):
            authorization.RoleAssignment(
                f"{self._name}-admin-{group[:8]}",
                role_assignment_name=roles.assignment_name(args["cluster_name"], "admin", group),
                scope=cluster.id,
                role_definition_id=roles.AKS_RBAC_CLUSTER_ADMIN.definition_id(sub),
                principal_id=group,
                principal_type="Group",
                description=f"{roles.AKS_RBAC_CLUSTER_ADMIN.name}: {roles.AKS_RBAC_CLUSTER_ADMIN.why}",
                opts=self._child,
            )

    def _attach(
        self, cluster: containerservice.ManagedCluster, created: list[pulumi.Resource]
    ) -> machinelearningservices.Compute:
        """The Azure ML extension (inference router) and the workspace's Kubernetes compute."""
        args = self._args
        router_ha = args.get("inference_router_ha", args["inference_pool"]["min_count"] >= 3)
        extension = kubernetesconfiguration.Extension(
            f"{self._name}-azureml",
            extension_name="azureml",
            extension_type="Microsoft.AzureML.Kubernetes",
            cluster_rp="Microsoft.ContainerService",
            cluster_resource_name="managedClusters",
            cluster_name=cluster.name,
            resource_group_name=args["resource_group_name"],
            release_train="stable",
            auto_upgrade_minor_version=True,
            identity={"type": kubernetesconfiguration.ResourceIdentityType.SYSTEM_ASSIGNED},
            configuration_settings={
                "enableTraining": "False",
                "enableInference": "True",
                "inferenceRouterServiceType": "LoadBalancer",
                "internalLoadBalancerProvider": "azure",
                "inferenceRouterHA": "True" if router_ha else "False",
                "allowInsecureConnections": "False",
                "sslCname": args["inference_hostname"],
                "sslSecret": args.get("inference_tls_secret", "azureml-inference-tls"),
                "clusterPurpose": "FastProd",
                "nodeSelector.workload": "inference",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=created),
        )
        return machinelearningservices.Compute(
            f"{self._name}-attach",
            compute_name=args.get("compute_name", "aks-inference"),
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            identity={"type": "SystemAssigned"},
            properties={
                "compute_type": "Kubernetes",
                "resource_id": cluster.id,
                "description": "AKS inference cluster (Azure ML extension, internal TLS router).",
                "properties": {"default_instance_type": "defaultinstancetype"},
            },
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[extension]),
        )
