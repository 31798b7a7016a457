"""Identity and keys: Entra ID and managed identities everywhere, no local keys or passwords."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from policy.rules import types
from policy.rules.common import (
    MISSING,
    Finding,
    expect_false,
    expect_text,
    expect_true,
    get_path,
    render,
    resource_rule,
)

PRIVILEGED_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb3-a5c3-7773c20a72d9": "User Access Administrator",
}
"""Built-in role definition GUIDs that a workload identity must never hold."""

PEOPLE_PRINCIPAL_TYPES: frozenset[str] = frozenset({"group"})
"""Principal types that may hold a privileged role: Entra groups of people. ``User`` is not
exempt because the SDK fills ``principalType: User`` when none is given, so it proves nothing."""

MANAGED_IDENTITY_TYPES = (
    "SystemAssigned",
    "UserAssigned",
    "SystemAssigned,UserAssigned",
    "SystemAssigned, UserAssigned",
)


def _identity(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "identity.type", *MANAGED_IDENTITY_TYPES)


def _storage_shared_key(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_false(args.props, "allowSharedKeyAccess")


def _kv_rbac(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "properties.enableRbacAuthorization")


def _acr_admin(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_false(args.props, "adminUserEnabled")


def _aml_datastores(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "systemDatastoresAuthMode", "identity")


def _aks_local_accounts(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "disableLocalAccounts")


def _aks_entra_rbac(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "enableRBAC")
    yield from expect_true(args.props, "aadProfile.managed")
    yield from expect_true(args.props, "aadProfile.enableAzureRBAC")


def _aks_workload_identity(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "oidcIssuerProfile.enabled")
    yield from expect_true(args.props, "securityProfile.workloadIdentity.enabled")


def _appinsights_local_auth(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "disableLocalAuth")


def _log_analytics_local_auth(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "features.disableLocalAuth")


def _vmss_password_auth(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(
        args.props, "virtualMachineProfile.osProfile.linuxConfiguration.disablePasswordAuthentication"
    )
    password_path = "virtualMachineProfile.osProfile.adminPassword"
    if get_path(args.props, password_path) is not MISSING:
        yield Finding(password_path, "[secret]", "absent (SSH keys only)")


def _role_assignment(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    role_id = get_path(args.props, "roleDefinitionId")
    if not isinstance(role_id, str):
        return
    guid = role_id.rstrip("/").rsplit("/", 1)[-1].lower()
    role = PRIVILEGED_ROLES.get(guid)
    if role is None:
        return
    principal_type = get_path(args.props, "principalType")
    if isinstance(principal_type, str) and principal_type.lower() in PEOPLE_PRINCIPAL_TYPES:
        return
    yield Finding(
        "roleDefinitionId",
        role_id,
        f"a least-privilege role, not {role} ({guid}), for principalType {render(principal_type)} "
        "(only Entra groups of people may hold it)",
    )


POLICIES = [
    resource_rule(
        "storage-shared-key-disabled",
        "Storage accounts disable shared key access (Entra ID only).",
        [types.STORAGE_ACCOUNT],
        _storage_shared_key,
    ),
    resource_rule(
        "keyvault-rbac-authorization",
        "Key Vaults use Azure RBAC, not access policies.",
        [types.KEY_VAULT],
        _kv_rbac,
    ),
    resource_rule(
        "acr-admin-user-disabled",
        "Container registries disable the admin user.",
        [types.CONTAINER_REGISTRY],
        _acr_admin,
    ),
    resource_rule(
        "aml-workspace-identity-datastores",
        "Azure ML workspaces reach their system datastores with identity, not storage keys.",
        [types.AML_WORKSPACE],
        _aml_datastores,
    ),
    resource_rule(
        "aml-workspace-managed-identity",
        "Azure ML workspaces have a managed identity.",
        [types.AML_WORKSPACE],
        _identity,
    ),
    resource_rule(
        "aks-local-accounts-disabled",
        "AKS clusters disable local accounts.",
        [types.AKS_CLUSTER],
        _aks_local_accounts,
    ),
    resource_rule(
        "aks-entra-azure-rbac",
        "AKS clusters use Kubernetes RBAC with managed Entra ID integration and Azure RBAC.",
        [types.AKS_CLUSTER],
        _aks_entra_rbac,
    ),
    resource_rule(
        "aks-workload-identity",
        "AKS clusters enable the OIDC issuer and workload identity.",
        [types.AKS_CLUSTER],
        _aks_workload_identity,
    ),
    resource_rule(
        "appinsights-local-auth-disabled",
        "Application Insights disables local (instrumentation key) auth.",
        [types.APP_INSIGHTS],
        _appinsights_local_auth,
    ),
    resource_rule(
        "log-analytics-local-auth-disabled",
        "Log Analytics workspaces disable local (shared key) auth.",
        [types.LOG_ANALYTICS],
        _log_analytics_local_auth,
    ),
    resource_rule(
        "vmss-password-auth-disabled",
        "Agent scale sets disable password authentication (SSH keys only).",
        [types.VM_SCALE_SET],
        _vmss_password_auth,
    ),
    resource_rule(
        "data-factory-managed-identity",
        "Data Factories have a managed identity.",
        [types.DATA_FACTORY],
        _identity,
    ),
    resource_rule(
        "role-assignment-least-privilege",
        "Workload identities are never granted Owner, Contributor or User Access Administrator.",
        [types.ROLE_ASSIGNMENT],
        _role_assignment,
        remediation_steps="Grant a data-plane or scoped built-in role instead.",
    ),
]
"""The identity and key rules, in report order."""
