"""The ML platform: workspace estate, shared model registry and AKS."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from infra import vocabulary
from infra.settings.base import Cidr, Guid, StrictModel
from infra.settings.core import Region

VM_SIZE_PATTERN = r"^Standard_[A-Za-z0-9_]+$"
_FQDN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ComputeClusterSettings(StrictModel):
    """The workspace's training cluster. It scales to zero when idle."""

    vm_size: str = Field(default=vocabulary.TRAINING_VM_SIZE, pattern=VM_SIZE_PATTERN)
    """Optional. VM size of the nodes. @default Standard_DS3_v2"""
    min_nodes: int = Field(default=vocabulary.TRAINING_MIN_NODES, ge=0, le=100)
    """Optional. Nodes kept running; 0 scales to zero. @default 0"""
    max_nodes: int = Field(default=vocabulary.TRAINING_MAX_NODES, ge=1, le=100)
    """Optional. Upper bound of the autoscaler. @default 4"""
    idle_minutes_before_scale_down: int = Field(default=vocabulary.TRAINING_IDLE_MINUTES, ge=2, le=10080)
    """Optional. Idle time before a node is released. @default 30"""

    @model_validator(mode="after")
    def _check_bounds(self) -> ComputeClusterSettings:
        if self.min_nodes > self.max_nodes:
            raise PydanticCustomError(
                "bounds",
                "minNodes {min} is greater than maxNodes {max}",
                {"min": self.min_nodes, "max": self.max_nodes},
            )
        return self


class WorkspaceSettings(StrictModel):
    """The Azure ML workspace and its Key Vault, storage, ACR and Application Insights."""

    public_network_access: bool = False
    """Optional. Reach the workspace (and its Key Vault, storage, ACR) from the internet.
    @default false (must be false in qa and prod)."""
    isolation_mode: vocabulary.IsolationMode = vocabulary.DEFAULT_ISOLATION_MODE
    """Optional. Managed network outbound mode. @default AllowOnlyApprovedOutbound
    (qa and prod require it)."""
    hbi: bool = False
    """Optional. High business impact workspace (less diagnostic data to Microsoft). @default false"""
    container_registry_sku: vocabulary.AcrSku = vocabulary.DEFAULT_ACR_SKU
    """Optional. ACR SKU; private endpoints need Premium. @default Premium"""
    storage_sku: vocabulary.StorageSku = vocabulary.DEFAULT_STORAGE_SKU
    """Optional. Replication of the workspace storage. @default Standard_ZRS"""
    training_cluster: ComputeClusterSettings = ComputeClusterSettings()
    """Optional. The scale-to-zero training cluster. @default Standard_DS3_v2, 0-4 nodes"""
    data_scientists_group_object_id: Guid | None = None
    """Optional. Entra group granted AzureML Data Scientist on the workspace. @default none"""
    outbound_fqdns: list[str] = Field(default_factory=list, max_length=50)
    """Optional. Extra FQDNs the managed network may reach (e.g. pypi.org); any entry adds the
    managed network's Basic Azure Firewall. Only with AllowOnlyApprovedOutbound. @default []"""
    customer_managed_keys: bool | None = None
    """Optional. Encrypt the workspace, its storage account and its container registry with a
    Key Vault key of this estate (rotated yearly) through a dedicated user-assigned identity.
    Create-only on the workspace and the registry: turning it on for an existing workspace
    replaces both. Needs containerRegistrySku Premium. @default true in prod, false elsewhere"""
    key_vault_sku: vocabulary.KeyVaultSku | None = None
    """Optional. Key Vault SKU; premium makes the customer-managed key HSM-backed (RSA-HSM).
    @default premium with customerManagedKeys, else standard"""
    registry_writer: bool | None = None
    """Optional. This environment trains and registers models in the shared registry: its workspace
    and training cluster get AzureML Registry User (read + write) on the registry instead of the
    read-only registry reader role. @default true in dev, false in qa and prod"""

    @model_validator(mode="after")
    def _check_fqdns(self) -> WorkspaceSettings:
        for fqdn in self.outbound_fqdns:
            if not _FQDN.match(fqdn):
                raise PydanticCustomError(
                    "fqdn",
                    "outboundFqdns entry '{fqdn}' is not a host name like pypi.org or *.pythonhosted.org",
                    {"fqdn": fqdn},
                )
        if self.customer_managed_keys and self.container_registry_sku != vocabulary.PRIVATE_LINK_ACR_SKU:
            raise PydanticCustomError(
                "cmk",
                "customerManagedKeys needs containerRegistrySku Premium (got {sku})",
                {"sku": self.container_registry_sku},
            )
        if self.outbound_fqdns and self.isolation_mode != vocabulary.DEFAULT_ISOLATION_MODE:
            raise PydanticCustomError(
                "fqdn", "outboundFqdns only apply with isolationMode AllowOnlyApprovedOutbound", {}
            )
        return self


class RegistrySettings(StrictModel):
    """The central Azure ML registry every environment deploys from (shared stack)."""

    regions: list[Region] = Field(default_factory=list, max_length=5)
    """Optional. Replication regions besides the stack's location. @default []"""
    public_network_access: bool = False
    """Optional. Reach the registry from the internet. @default false"""


class NodePoolSettings(StrictModel):
    """An autoscaling AKS node pool."""

    vm_size: str = Field(pattern=VM_SIZE_PATTERN)
    """Required. VM size of the nodes."""
    min_count: int = Field(ge=0, le=1000)
    """Required. Autoscaler lower bound (system pools need at least 1)."""
    max_count: int = Field(ge=1, le=1000)
    """Required. Autoscaler upper bound."""

    @model_validator(mode="after")
    def _check_bounds(self) -> NodePoolSettings:
        if self.min_count > self.max_count:
            raise PydanticCustomError(
                "bounds",
                "minCount {min} is greater than maxCount {max}",
                {"min": self.min_count, "max": self.max_count},
            )
        return self


class AksSettings(StrictModel):
    """The AKS cluster that serves real-time models (attached to the workspace)."""

    enabled: bool = True
    """Optional. Provision the cluster. @default true"""
    private_cluster: bool = True
    """Optional. API server on a private endpoint only. @default true (must be true in qa and prod)."""
    sku_tier: Literal["Free", "Standard"] = "Standard"
    """Optional. Control-plane tier; Standard carries the uptime SLA. @default Standard"""
    system_pool: NodePoolSettings = NodePoolSettings.model_validate(
        {"vmSize": "Standard_D4ds_v5", "minCount": 1, "maxCount": 3}
    )
    """Optional. System node pool. @default Standard_D4ds_v5, 1-3 nodes"""
    inference_pool: NodePoolSettings = NodePoolSettings.model_validate(
        {"vmSize": "Standard_D4ds_v5", "minCount": 1, "maxCount": 5}
    )
    """Optional. User node pool for inference. @default Standard_D4ds_v5, 1-5 nodes"""
    gpu_pool: NodePoolSettings | None = None
    """Optional. A GPU user pool (e.g. Standard_NC4as_T4_v3). @default none"""
    admin_group_object_ids: list[Guid] = Field(default_factory=list)
    """Optional. Entra groups with cluster-admin through Azure RBAC. @default []"""
    pod_cidr: Cidr = "10.244.0.0/16"
    """Optional. Pod address range of the Azure CNI overlay (must not overlap network.addressSpace).
    @default 10.244.0.0/16"""
    service_cidr: Cidr = "10.0.0.0/16"
    """Optional. Kubernetes service range; the cluster DNS service takes its tenth address (must not
    overlap network.addressSpace or podCidr). @default 10.0.0.0/16"""
    inference_hostname: str | None = Field(
        default=None,
        min_length=4,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    )
    """Optional. TLS host name (CNAME) of the Azure ML inference router on the internal load balancer.
    @default scoring.<environment>.<workload>.internal"""
    inference_tls_secret: str = Field(
        default="azureml-inference-tls", pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"
    )
    """Optional. Kubernetes TLS secret (namespace azureml) holding the inference router's certificate;
    created by the cluster operators before the Azure ML extension is installed. @default azureml-inference-tls"""

    defender: bool = True
    """Optional. Defender for Containers security monitoring (billed per vCore). @default true"""
    ephemeral_os_disk: bool = True
    """Optional. Ephemeral OS disks on every node pool (the VM size's cache must hold 64 GB).
    @default true"""
    inference_router_ha: bool | None = None
    """Optional. Three Azure ML inference router replicas instead of one. @default true in prod,
    else true when the inference pool keeps at least 3 nodes"""

    @model_validator(mode="after")
    def _check_pools(self) -> AksSettings:
        if self.system_pool.min_count < 1:
            raise PydanticCustomError(
                "bounds", "systemPool.minCount must be at least 1 (AKS needs a system node)", {}
            )
        pods, services = ipaddress.ip_network(self.pod_cidr), ipaddress.ip_network(self.service_cidr)
        if pods.overlaps(services):
            raise PydanticCustomError(
                "address_plan",
                "podCidr {pods} overlaps serviceCidr {services}; give each its own range",
                {"pods": str(pods), "services": str(services)},
            )
        if services.num_addresses < 16:
            raise PydanticCustomError(
                "address_plan",
                "serviceCidr {services} is too small (use /28 or larger)",
                {"services": str(services)},
            )
        return self

    @property
    def dns_service_ip(self) -> str:
        """The cluster DNS service address: the tenth address of ``serviceCidr``."""
        return str(ipaddress.ip_network(self.service_cidr)[10])
