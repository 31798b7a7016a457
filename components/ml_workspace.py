"""The Azure ML workspace estate: Key Vault, storage, ACR, the workspace, a training cluster.

Secure defaults, emitted explicitly:

* Key Vault: RBAC authorization, purge protection, soft delete 90 days, network ACLs Deny,
  public access off unless ``public_network_access``.
* Storage: no shared keys, no public blobs, TLS 1.2, HTTPS only, infrastructure encryption,
  network rules Deny, OAuth by default, no SFTP/local users/cross-tenant replication.
* ACR: admin user and anonymous pull off; with Premium: export disabled (only allowed when
  public access is off), 7-day retention of untagged manifests, zone redundancy, Deny rules.
* Workspace: system-assigned identity, identity-based system datastores, managed network
  (private-endpoint outbound rules to its storage, Key Vault, ACR and the model registry),
  HBI flag, public access off unless ``public_network_access``.
* Training cluster: scales to ``min_nodes`` (0), identity-based, no node public IP, SSH off.
* Least-privilege role assignments (components/roles.py), never Contributor.
* With ``customer_managed_key``: a Key Vault key (RSA-HSM in a premium vault, else RSA; 3072 bits;
  rotated yearly, expiring after two years), a user-assigned identity holding only Key Vault
  Crypto Service Encryption User on that key, and the workspace, its storage account and its
  container registry (Premium) encrypted with the key through that identity. The workspace's and
  the registry's encryption are create-only in Azure: turning it on for an existing estate
  replaces both (refused for protected resources), so it is a decision for new environments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import (
    authorization,
    containerregistry,
    keyvault,
    machinelearningservices,
    managedidentity,
    storage,
)

from components import roles
from components.common import LifecycleArgs, arg_error, check_unknown_args, require, stateful_options
from components.diagnostics import send_to_log_analytics
from components.private_endpoint import PrivateEndpoint
from components.storage import StorageCustomerManagedKey, secure_storage_account
from infra import vocabulary

COMPONENT = "MlWorkspace"
ISOLATION_MODES = vocabulary.ISOLATION_MODES
ACR_SKUS = vocabulary.ACR_SKUS
STORAGE_SKUS = vocabulary.STORAGE_SKUS
STORAGE_SERVICES = ("blobServices", "fileServices", "queueServices", "tableServices")
KEY_VAULT_SKUS = vocabulary.KEY_VAULT_SKUS
CMK_KEY_SIZE = 3072
CMK_ROTATE_AFTER = "P1Y"
"""A new key version a year after the last one (the services follow: they use the versionless key)."""
CMK_EXPIRES_AFTER = "P2Y"
"""Each key version expires two years after its creation."""
CMK_NOTIFY_BEFORE = "P30D"


def cmk_key_type(vault_sku: str) -> str:
    """The key type of the customer-managed key: HSM-backed where the vault SKU offers it."""
    return "RSA-HSM" if vault_sku == "premium" else "RSA"


def cmk_rotation_policy() -> keyvault.RotationPolicyArgsDict:
    """Rotate yearly, expire each version after two years, notify 30 days before expiry."""
    return {
        "attributes": {"expiry_time": CMK_EXPIRES_AFTER},
        "lifetime_actions": [
            {
                "action": {"type": keyvault.KeyRotationPolicyActionType.ROTATE},
                "trigger": {"time_after_create": CMK_ROTATE_AFTER},
            },
            {
                "action": {"type": keyvault.KeyRotationPolicyActionType.NOTIFY},
                "trigger": {"time_before_expiry": CMK_NOTIFY_BEFORE},
            },
        ],
    }


class TrainingClusterArgs(TypedDict):
    """The workspace's training cluster."""

    name: str
    """Required. Compute name (2-16 letters, digits, -)."""
    vm_size: NotRequired[str]
    """Optional. Node VM size. @default Standard_DS3_v2"""
    min_nodes: NotRequired[int]
    """Optional. Nodes kept running; 0 scales to zero. @default 0"""
    max_nodes: NotRequired[int]
    """Optional. Autoscaler upper bound. @default 4"""
    idle_minutes_before_scale_down: NotRequired[int]
    """Optional. Idle time before a node is released. @default 30"""


class PrivateEndpointsArgs(TypedDict):
    """Where the estate's private endpoints go."""

    subnet_id: pulumi.Input[str]
    """Required. The private-endpoints subnet."""
    dns_zone_ids: Mapping[str, pulumi.Input[str]]
    """Required. Private DNS zone ids by zone name (components.network.Network.private_dns_zone_ids)."""


class RegistryAccessArgs(TypedDict):
    """Access of this workspace to the shared Azure ML registry."""

    registry_id: pulumi.Input[str]
    """Required. ARM id of the registry (shared stack output ``registryId``)."""
    role_definition_id: pulumi.Input[str]
    """Required. Role granted on the registry to the workspace and cluster identities (AzureML
    Registry User for the training environment, the registry reader role elsewhere)."""
    writer: NotRequired[bool]
    """Optional. Whether ``role_definition_id`` lets this environment write (documentation and
    assignment naming only). @default False"""


class CustomerManagedKeyArgs(TypedDict):
    """Encryption of the workspace, its storage and its registry with a key of this estate."""

    identity_name: str
    """Required. Name of the user-assigned identity that wraps and unwraps with the key."""
    key_name: NotRequired[str]
    """Optional. Name of the Key Vault key. @default workspace-cmk"""


@dataclass(frozen=True)
class _Cmk:
    """The created key and identity (what the encrypted resources reference)."""

    key: keyvault.Key
    identity: managedidentity.UserAssignedIdentity
    grant: authorization.RoleAssignment


class MlWorkspaceArgs(TypedDict):
    """Arguments of :class:`MlWorkspace`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of every resource."""
    location: str
    """Required. Azure region."""
    subscription_id: str
    """Required. Subscription of the resource group (role definition ids are built in it)."""
    tenant_id: str
    """Required. Entra tenant of the Key Vault."""
    workspace_name: str
    """Required. Azure name of the workspace."""
    key_vault_name: str
    """Required. Azure name of the Key Vault (global)."""
    storage_account_name: str
    """Required. Azure name of the storage account (global)."""
    container_registry_name: str
    """Required. Azure name of the container registry (global)."""
    app_insights_id: pulumi.Input[str]
    """Required. Application Insights the workspace logs to."""
    log_analytics_id: pulumi.Input[str]
    """Required. Log Analytics workspace that receives every diagnostic setting."""
    training_cluster: TrainingClusterArgs
    """Required. The scale-to-zero training cluster."""
    public_network_access: NotRequired[bool]
    """Optional. Reach the workspace, Key Vault, storage and ACR from the internet. @default False"""
    isolation_mode: NotRequired[str]
    """Optional. Managed network outbound mode. @default AllowOnlyApprovedOutbound"""
    outbound_fqdns: NotRequired[list[str]]
    """Optional. FQDNs the managed network may reach (needs its managed firewall; only with
    AllowOnlyApprovedOutbound). @default []"""
    hbi: NotRequired[bool]
    """Optional. High business impact workspace. @default False"""
    container_registry_sku: NotRequired[str]
    """Optional. ACR SKU (Basic, Standard, Premium). @default Premium"""
    storage_sku: NotRequired[str]
    """Optional. Storage replication. @default Standard_ZRS"""
    private_endpoints: NotRequired[PrivateEndpointsArgs]
    """Optional. Private endpoints for the workspace, Key Vault, storage (blob, file) and ACR
    (ACR must be Premium). @default none"""
    registry_access: NotRequired[RegistryAccessArgs]
    """Optional. Role assignments on, and a managed-network outbound rule to, the shared
    registry. @default none"""
    data_scientists_group_id: NotRequired[str]
    """Optional. Entra group granted AzureML Data Scientist on the workspace. @default none"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of every taggable resource. @default {}"""
    lifecycle: NotRequired[LifecycleArgs]
    """Optional. protect / retainOnDelete of the workspace, Key Vault, storage and ACR. @default none"""
    key_vault_sku: NotRequired[str]
    """Optional. Key Vault SKU (standard, premium; premium makes the customer-managed key
    HSM-backed). @default standard"""
    customer_managed_key: NotRequired[CustomerManagedKeyArgs]
    """Optional. Encrypt the workspace, storage and ACR (must be Premium) with a Key Vault key of
    this estate. Create-only on the workspace and the ACR. @default none (Microsoft-managed keys)"""


def _validate(args: MlWorkspaceArgs) -> None:
    check_unknown_args(COMPONENT, args, MlWorkspaceArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "location",
        "subscription_id",
        "tenant_id",
        "workspace_name",
        "key_vault_name",
        "storage_account_name",
        "container_registry_name",
        "app_insights_id",
        "log_analytics_id",
        "training_cluster",
    )
    mode = args.get("isolation_mode", vocabulary.DEFAULT_ISOLATION_MODE)
    if mode not in ISOLATION_MODES:
        raise arg_error(COMPONENT, "isolation_mode", f"'{mode}' is not one of {', '.join(ISOLATION_MODES)}")
    sku = args.get("container_registry_sku", vocabulary.DEFAULT_ACR_SKU)
    if sku not in ACR_SKUS:
        raise arg_error(COMPONENT, "container_registry_sku", f"'{sku}' is not one of {', '.join(ACR_SKUS)}")
    if args.get("private_endpoints") is not None and sku != vocabulary.PRIVATE_LINK_ACR_SKU:
        raise arg_error(COMPONENT, "container_registry_sku", f"'{sku}': private endpoints need Premium")
    storage_sku = args.get("storage_sku", vocabulary.DEFAULT_STORAGE_SKU)
    if storage_sku not in STORAGE_SKUS:
        raise arg_error(COMPONENT, "storage_sku", f"'{storage_sku}' is not one of {', '.join(STORAGE_SKUS)}")
    vault_sku = args.get("key_vault_sku", vocabulary.DEFAULT_KEY_VAULT_SKU)
    if vault_sku not in KEY_VAULT_SKUS:
        raise arg_error(
            COMPONENT, "key_vault_sku", f"'{vault_sku}' is not one of {', '.join(KEY_VAULT_SKUS)}"
        )
    cmk = args.get("customer_managed_key")
    if cmk is not None:
        if not cmk.get("identity_name"):
            raise arg_error(COMPONENT, "customer_managed_key.identity_name", "is required")
        if sku != vocabulary.PRIVATE_LINK_ACR_SKU:
            raise arg_error(
                COMPONENT, "container_registry_sku", f"'{sku}': a customer-managed key needs Premium"
            )
    if args.get("outbound_fqdns") and mode != vocabulary.DEFAULT_ISOLATION_MODE:
        raise arg_error(
            COMPONENT, "outbound_fqdns", "FQDN rules only apply with isolation_mode AllowOnlyApprovedOutbound"
        )
    cluster = args["training_cluster"]
    unknown = set(cluster) - set(TrainingClusterArgs.__annotations__)
    if unknown:
        raise arg_error(
            COMPONENT,
            f"training_cluster.{sorted(unknown)[0]}",
            f"is not an argument (arguments: {', '.join(sorted(TrainingClusterArgs.__annotations__))})",
        )
    if not cluster.get("name"):
        raise arg_error(COMPONENT, "training_cluster.name", "is required")
    low, high = (
        cluster.get("min_nodes", vocabulary.TRAINING_MIN_NODES),
        cluster.get("max_nodes", vocabulary.TRAINING_MAX_NODES),
    )
    if low < 0 or high < 1 or low > high:
        raise arg_error(
            COMPONENT,
            "training_cluster.min_nodes",
            f"{low}..{high} is not a valid range (0 <= min_nodes <= max_nodes, max_nodes >= 1)",
        )
    if args.get("private_endpoints") is not None:
        pe = args["private_endpoints"]
        for key in ("subnet_id", "dns_zone_ids"):
            if not pe.get(key):
                raise arg_error(COMPONENT, f"private_endpoints.{key}", "is required")
    if args.get("registry_access") is not None:
        for key in ("registry_id", "role_definition_id"):
            if not args["registry_access"].get(key):
                raise arg_error(COMPONENT, f"registry_access.{key}", "is required")


class MlWorkspace(pulumi.ComponentResource):
    """Azure ML workspace with Key Vault, storage, ACR and a training cluster (``mlops:ml_workspace:MlWorkspace``)."""

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    workspace_principal_id: pulumi.Output[str]
    """Object id of the workspace's system-assigned identity."""
    key_vault_id: pulumi.Output[str]
    key_vault_name: pulumi.Output[str]
    key_vault_uri: pulumi.Output[str]
    storage_account_id: pulumi.Output[str]
    storage_account_name: pulumi.Output[str]
    container_registry_id: pulumi.Output[str]
    training_compute_name: pulumi.Output[str]
    training_compute_id: pulumi.Output[str]
    training_compute_principal_id: pulumi.Output[str]
    """Object id of the training cluster's system-assigned identity."""

    def __init__(self, name: str, args: MlWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:ml_workspace:MlWorkspace", name, {}, opts)
        _validate(args)
        self._name, self._args = name, args
        self._tags = dict(args.get("tags", {}))
        self._public = bool(args.get("public_network_access", False))
        self._access = "Enabled" if self._public else "Disabled"

        vault = self._key_vault()
        cmk = self._customer_managed_key(vault)
        account = self._storage(vault, cmk)
        registry = self._container_registry(cmk)
        workspace = self._workspace(vault, account, registry, cmk)
        workspace_principal = workspace.identity.apply(_principal_id)
        compute = self._training_cluster(workspace)
        compute_principal = compute.identity.apply(_principal_id)
        self._role_assignments(
            workspace_grants(
                account_id=account.id,
                vault_id=vault.id,
                registry_id=registry.id,
                workspace_id=workspace.id,
                workspace_principal=workspace_principal,
                compute_principal=compute_principal,
                data_scientists_group_id=args.get("data_scientists_group_id"),
            )
        )
        self._registry_access(workspace_principal, compute_principal)
        self._private_endpoints(
            (
                ("mlw", workspace.id, "amlworkspace", f"pe-{args['workspace_name']}"),
                ("kv", vault.id, "vault", f"pe-{args['key_vault_name']}"),
                ("st-blob", account.id, "blob", f"pe-{args['storage_account_name']}-blob"),
                ("st-file", account.id, "file", f"pe-{args['storage_account_name']}-file"),
                ("cr", registry.id, "registry", f"pe-{args['container_registry_name']}"),
            )
        )

        self.workspace_id = workspace.id
        self.workspace_name = workspace.name
        self.workspace_principal_id = workspace_principal
        self.key_vault_id = vault.id
        self.key_vault_name = vault.name
        self.key_vault_uri = vault.properties.apply(lambda p: p.vault_uri)
        self.storage_account_id = account.id
        self.storage_account_name = account.name
        self.container_registry_id = registry.id
        self.training_compute_name = compute.name
        self.training_compute_id = compute.id
        self.training_compute_principal_id = compute_principal
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
                "workspace_principal_id": self.workspace_principal_id,
                "key_vault_id": self.key_vault_id,
                "key_vault_name": self.key_vault_name,
                "key_vault_uri": self.key_vault_uri,
                "storage_account_id": self.storage_account_id,
                "storage_account_name": self.storage_account_name,
                "container_registry_id": self.container_registry_id,
                "training_compute_name": self.training_compute_name,
                "training_compute_id": self.training_compute_id,
                "training_compute_principal_id": self.training_compute_principal_id,
            }
        )

    # --- the resources -------------------------------------------------------------------

    def _stateful(self) -> pulumi.ResourceOptions:
        return stateful_options(self, self._args.get("lifecycle"), data_bearing=True)

    def _diagnostics(self, suffix: str, resource_id: pulumi.Input[str], *, logs: bool = True) -> None:
        send_to_log_analytics(
            f"{self._name}-{suffix}",
            resource_id=resource_id,
            workspace_id=self._args["log_analytics_id"],
            parent=self,
            logs=logs,
        )

    def _key_vault(self) -> keyvault.Vault:
        args = self._args
        properties: keyvault.VaultPropertiesArgsDict = {
            "tenant_id": args["tenant_id"],
            "sku": {
                "family": "A",
                "name": keyvault.SkuName(args.get("key_vault_sku", vocabulary.DEFAULT_KEY_VAULT_SKU)),
            },
            "enable_rbac_authorization": True,
            "enable_purge_protection": True,
            "enable_soft_delete": True,
            "soft_delete_retention_in_days": 90,
            "enabled_for_deployment": False,
            "enabled_for_disk_encryption": False,
            "enabled_for_template_deployment": False,
            "public_network_access": self._access,
            "network_acls": {
                "default_action": "Deny",
                "bypass": "AzureServices",
                "ip_rules": [],
                "virtual_network_rules": [],
            },
        }
        vault = keyvault.Vault(
            f"{self._name}-kv",
            vault_name=args["key_vault_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            properties=properties,
            tags=self._tags,
            opts=self._stateful(),
        )
        self._diagnostics("kv", vault.id)
        return vault

    def _customer_managed_key(self, vault: keyvault.Vault) -> _Cmk | None:
        """The key, the identity that uses it and its one role (on the key, not the vault)."""
        args = self._args
        cmk = args.get("customer_managed_key")
        if cmk is None:
            return None
        key = keyvault.Key(
            f"{self._name}-cmk",
            key_name=cmk.get("key_name", "workspace-cmk"),
            vault_name=vault.name,
            resource_group_name=args["resource_group_name"],
            properties={
                "kty": cmk_key_type(args.get("key_vault_sku", vocabulary.DEFAULT_KEY_VAULT_SKU)),
                "key_size": CMK_KEY_SIZE,
                "key_ops": ["wrapKey", "unwrapKey"],
                "attributes": {"enabled": True, "exportable": False},
                "rotation_policy": cmk_rotation_policy(),
            },
            tags=self._tags,
            opts=self._stateful(),
        )
        identity = managedidentity.UserAssignedIdentity(
            f"{self._name}-cmk-identity",
            resource_name_=cmk["identity_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = roles.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
        grant = authorization.RoleAssignment(
            f"{self._name}-cmk-crypto",
            role_assignment_name=roles.assignment_name(args["workspace_name"], "cmk-crypto", role.guid),
            scope=key.id,
            role_definition_id=role.definition_id(args["subscription_id"]),
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            description=f"{role.name}: {role.why}"[:1024],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return _Cmk(key, identity, grant)

    def _encrypted_options(self, cmk: _Cmk | None, *create_only: str) -> pulumi.ResourceOptions:
        """Stateful options; with a customer-managed key, created after its role and replaced when
        its create-only encryption inputs change."""
        if cmk is None:
            return self._stateful()
        return stateful_options(
            self,
            self._args.get("lifecycle"),
            data_bearing=True,
            depends_on=[cmk.grant],
            replace_on_changes=list(create_only) or None,
        )

    def _storage(self, vault: keyvault.Vault, cmk: _Cmk | None) -> storage.StorageAccount:
        args = self._args
        account = secure_storage_account(
            f"{self._name}-st",
            account_name=args["storage_account_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=args.get("storage_sku", vocabulary.DEFAULT_STORAGE_SKU),
            public_network_access=self._public,
            tags=self._tags,
            customer_managed_key=StorageCustomerManagedKey(
                key_vault_uri=vault.properties.apply(lambda p: p.vault_uri),
                key_name=cmk.key.name,
                identity_id=cmk.identity.id,
            )
            if cmk is not None
            else None,
            opts=self._encrypted_options(cmk),
        )
        self._diagnostics("st", account.id, logs=False)
        for service in STORAGE_SERVICES:
            self._diagnostics(
                f"st-{service.removesuffix('Services')}",
                pulumi.Output.concat(account.id, f"/{service}/default"),
            )
        return account

    def _container_registry(self, cmk: _Cmk | None) -> containerregistry.Registry:
        args = self._args
        acr_sku = args.get("container_registry_sku", vocabulary.DEFAULT_ACR_SKU)
        premium = acr_sku == vocabulary.PRIVATE_LINK_ACR_SKU
        registry = containerregistry.Registry(
            f"{self._name}-cr",
            registry_name=args["container_registry_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku={"name": acr_sku},
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            data_endpoint_enabled=False,
            public_network_access=self._access,
            network_rule_bypass_options="AzureServices",
            network_rule_set={"default_action": "Deny"} if premium else None,
            zone_redundancy="Enabled" if premium else "Disabled",
            policies={
                # Azure only accepts a disabled export policy on a registry without public access.
                "export_policy": {"status": "enabled" if self._public else "disabled"},
                "retention_policy": {"status": "enabled", "days": 7},
                "quarantine_policy": {"status": "disabled"},
                "trust_policy": {"status": "disabled", "type": "Notary"},
            }
            if premium
            else None,
            identity={
                "type": containerregistry.ResourceIdentityType.USER_ASSIGNED,
                "user_assigned_identities": cmk.identity.id.apply(lambda i: {i: {}}),
            }
            if cmk is not None
            else None,
            encryption={
                "status": "enabled",
                "key_vault_properties": {
                    "key_identifier": cmk.key.key_uri,
                    "identity": cmk.identity.client_id,
                },
            }
            if cmk is not None
            else None,
            tags=self._tags,
            opts=self._encrypted_options(cmk, "encryption"),
        )
        self._diagnostics("cr", registry.id)
        return registry

    def _workspace(
        self,
        vault: keyvault.Vault,
        account: storage.StorageAccount,
        registry: containerregistry.Registry,
        cmk: _Cmk | None,
    ) -> machinelearningservices.Workspace:
        args = self._args
        access_args = args.get("registry_access")
        identity: machinelearningservices.ManagedServiceIdentityArgsDict = {"type": "SystemAssigned"}
        encryption: machinelearningservices.EncryptionPropertyArgsDict | None = None
        if cmk is not None:
            identity = {"type": "SystemAssigned,UserAssigned", "user_assigned_identities": [cmk.identity.id]}
            encryption = {
                "status": "Enabled",
                "key_vault_properties": {
                    "key_vault_arm_id": vault.id,
                    "key_identifier": cmk.key.key_uri,
                    "identity_client_id": cmk.identity.client_id,
                },
                "identity": {"user_assigned_identity": cmk.identity.id},
            }
        workspace = machinelearningservices.Workspace(
            f"{self._name}-mlw",
            workspace_name=args["workspace_name"],
            friendly_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="Default",
            sku={"name": "Basic", "tier": machinelearningservices.SkuTier.BASIC},
            identity=identity,
            encryption=encryption,
            key_vault=vault.id,
            storage_account=account.id,
            container_registry=registry.id,
            application_insights=args["app_insights_id"],
            public_network_access=self._access,
            allow_public_access_when_behind_vnet=False,
            system_datastores_auth_mode="identity",
            hbi_workspace=bool(args.get("hbi", False)),
            v1_legacy_mode=False,
            managed_network=managed_network(
                isolation_mode=args.get("isolation_mode", vocabulary.DEFAULT_ISOLATION_MODE),
                storage_id=account.id,
                vault_id=vault.id,
                container_registry_id=registry.id,
                model_registry_id=access_args["registry_id"] if access_args is not None else None,
                outbound_fqdns=args.get("outbound_fqdns", []),
            ),
            provision_network_now=True,
            image_build_compute=args["training_cluster"]["name"],
            tags=self._tags,
            opts=self._encrypted_options(cmk, "encryption"),
        )
        self._diagnostics("mlw", workspace.id)
        return workspace

    def _training_cluster(
        self, workspace: machinelearningservices.Workspace
    ) -> machinelearningservices.Compute:
        args = self._args
        cluster = args["training_cluster"]
        idle = cluster.get("idle_minutes_before_scale_down", vocabulary.TRAINING_IDLE_MINUTES)
        return machinelearningservices.Compute(
            f"{self._name}-training",
            compute_name=cluster["name"],
            workspace_name=workspace.name,
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            identity={"type": "SystemAssigned"},
            properties={
                "compute_type": "AmlCompute",
                "disable_local_auth": True,
                "description": "Training cluster; scales to min_nodes when idle.",
                "properties": {
                    "vm_size": cluster.get("vm_size", vocabulary.TRAINING_VM_SIZE),
                    "vm_priority": "Dedicated",
                    "os_type": "Linux",
                    "enable_node_public_ip": False,
                    "remote_login_port_public_access": "Disabled",
                    "scale_settings": {
                        "min_node_count": cluster.get("min_nodes", vocabulary.TRAINING_MIN_NODES),
                        "max_node_count": cluster.get("max_nodes", vocabulary.TRAINING_MAX_NODES),
                        "node_idle_time_before_scale_down": f"PT{idle}M",
                    },
                },
            },
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    # --- roles ---------------------------------------------------------------------------

    def _role_assignments(self, grants: list[Grant]) -> None:
        args = self._args
        for grant in grants:
            authorization.RoleAssignment(
                f"{self._name}-{grant.suffix}",
                role_assignment_name=roles.assignment_name(
                    args["workspace_name"], grant.suffix, grant.role.guid
                ),
                scope=grant.scope,
                role_definition_id=grant.role.definition_id(args["subscription_id"]),
                principal_id=grant.principal,
                principal_type=grant.principal_type,
                description=f"{grant.role.name}: {grant.role.why}"[:1024],
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _registry_access(
        self, workspace_principal: pulumi.Input[str], compute_principal: pulumi.Input[str]
    ) -> None:
        args = self._args
        access_args = args.get("registry_access")
        if access_args is None:
            return
        mode_label = "writer" if access_args.get("writer", False) else "reader"
        for suffix, principal in (("workspace", workspace_principal), ("training", compute_principal)):
            authorization.RoleAssignment(
                f"{self._name}-registry-{suffix}",
                role_assignment_name=roles.assignment_name(
                    args["workspace_name"], f"registry-{mode_label}", suffix
                ),
                scope=access_args["registry_id"],
                role_definition_id=access_args["role_definition_id"],
                principal_id=principal,
                principal_type="ServicePrincipal",
                description=f"Shared model registry {mode_label} for the {suffix} identity of "
                f"{args['workspace_name']}.",
                opts=pulumi.ResourceOptions(parent=self),
            )

    # --- private endpoints ---------------------------------------------------------------

    def _private_endpoints(self, targets: tuple[tuple[str, pulumi.Input[str], str, str], ...]) -> None:
        args = self._args
        private = args.get("private_endpoints")
        if private is None:
            return
        for suffix, target, group, pe_name in targets:
            PrivateEndpoint(
                f"{self._name}-pe-{suffix}",
                {
                    "resource_group_name": args["resource_group_name"],
                    "location": args["location"],
                    "endpoint_name": pe_name,
                    "subnet_id": private["subnet_id"],
                    "target_id": target,
                    "group_id": group,
                    "dns_zone_ids": private["dns_zone_ids"],
                    "log_analytics_id": args["log_analytics_id"],
                    "tags": self._tags,
                },
                opts=pulumi.ResourceOptions(parent=self),
            )


def _principal_id(identity: machinelearningservices.outputs.ManagedServiceIdentityResponse | None) -> str:
    """The object id of a resource's system-assigned identity ("" when the resource has none)."""
    return identity.principal_id if identity else ""


@dataclass(frozen=True)
class Grant:
    """One role assignment of the workspace estate: ``<component>-<suffix>``."""

    suffix: str
    role: roles.Role
    scope: pulumi.Input[str]
    principal: pulumi.Input[str]
    principal_type: str = "ServicePrincipal"


def workspace_grants(
    *,
    account_id: pulumi.Input[str],
    vault_id: pulumi.Input[str],
    registry_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    workspace_principal: pulumi.Input[str],
    compute_principal: pulumi.Input[str],
    data_scientists_group_id: str | None = None,
) -> list[Grant]:
    """The least-privilege roles of the workspace and its training cluster (and the data scientists)."""
    grants = [
        Grant("ws-blob", roles.STORAGE_BLOB_DATA_CONTRIBUTOR, account_id, workspace_principal),
        Grant("ws-file", roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, account_id, workspace_principal),
        Grant("ws-kv", roles.KEY_VAULT_SECRETS_OFFICER, vault_id, workspace_principal),
        Grant("ws-acr", roles.ACR_PUSH, registry_id, workspace_principal),
        Grant("training-blob", roles.STORAGE_BLOB_DATA_CONTRIBUTOR, account_id, compute_principal),
        Grant("training-kv", roles.KEY_VAULT_SECRETS_USER, vault_id, compute_principal),
        Grant("training-acr", roles.ACR_PULL, registry_id, compute_principal),
    ]
    if data_scientists_group_id:
        grants.append(
            Grant(
                "data-scientists",
                roles.AZUREML_DATA_SCIENTIST,
                workspace_id,
                data_scientists_group_id,
                "Group",
            )
        )
    return grants


OutboundRule = (
    machinelearningservices.FqdnOutboundRuleArgsDict
    | machinelearningservices.PrivateEndpointOutboundRuleArgsDict
)
"""A managed-network outbound rule of the workspace."""


def managed_network(
    *,
    isolation_mode: str,
    storage_id: pulumi.Input[str],
    vault_id: pulumi.Input[str],
    container_registry_id: pulumi.Input[str],
    model_registry_id: pulumi.Input[str] | None,
    outbound_fqdns: list[str],
) -> machinelearningservices.ManagedNetworkSettingsArgsDict:
    """The workspace's managed network: private-endpoint rules to its own resources and the model
    registry, user FQDN rules, and the Basic firewall those need."""
    outbound: dict[str, OutboundRule] = {
        "storage-blob": _pe_rule(storage_id, "blob"),
        "storage-file": _pe_rule(storage_id, "file"),
        "key-vault": _pe_rule(vault_id, "vault"),
        "container-registry": _pe_rule(container_registry_id, "registry"),
    }
    if model_registry_id is not None:
        outbound["model-registry"] = _pe_rule(model_registry_id, "amlregistry")
    for index, fqdn in enumerate(outbound_fqdns):
        outbound[f"fqdn-{index + 1}"] = {"type": "FQDN", "category": "UserDefined", "destination": fqdn}
    network: machinelearningservices.ManagedNetworkSettingsArgsDict = {
        "isolation_mode": isolation_mode,
        "outbound_rules": outbound,
    }
    if outbound_fqdns:
        network["firewall_sku"] = "Basic"
    return network


def _pe_rule(
    target: pulumi.Input[str], subresource: str
) -> machinelearningservices.PrivateEndpointOutboundRuleArgsDict:
    """A managed-network private-endpoint outbound rule to ``target``'s ``subresource``."""
    return {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {
            "service_resource_id": target,
            "subresource_target": subresource,
            "spark_enabled": False,
        },
    }
