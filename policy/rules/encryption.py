"""Encryption in transit and at rest: TLS 1.2+, HTTPS only, infrastructure and host encryption,
and customer-managed keys on the prod workspace estate when the stack holds its key."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.rules import types
from policy.rules.common import (
    MISSING,
    Finding,
    expect_text,
    expect_true,
    get_path,
    resource_rule,
    stack_rule,
)

CMK_ENVIRONMENTS: frozenset[str] = frozenset({"prod"})
"""Stacks where the estate turns customer-managed keys on by default (the settings' default)."""


def _storage_tls(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "minimumTlsVersion", "TLS1_2", "TLS1_3")


def _storage_https(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "enableHttpsTrafficOnly")


def _storage_infra_encryption(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "encryption.requireInfrastructureEncryption")


def _kv_purge_protection(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "properties.enablePurgeProtection")


def _kv_soft_delete(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "properties.enableSoftDelete")
    path = "properties.softDeleteRetentionInDays"
    days = get_path(args.props, path)
    if isinstance(days, bool) or not isinstance(days, int | float) or days != 90:
        yield Finding(path, days, "90")


def _function_https(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "httpsOnly")


def _function_tls(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "siteConfig.minTlsVersion", "1.2", "1.3")


def _function_ftps(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "siteConfig.ftpsState", "Disabled")


def _vmss_host_encryption(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "virtualMachineProfile.securityProfile.encryptionAtHost")


def _vmss_trusted_launch(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    base = "virtualMachineProfile.securityProfile"
    yield from expect_text(args.props, f"{base}.securityType", "TrustedLaunch")
    yield from expect_true(args.props, f"{base}.uefiSettings.secureBootEnabled")
    yield from expect_true(args.props, f"{base}.uefiSettings.vTpmEnabled")


def _known(resource: PolicyResource, path: str) -> object:
    """An input by dotted path; None when absent or unknown during preview."""
    try:
        value = get_path(resource.props, path)
    except UnknownValueError:
        return None
    return None if value is MISSING else value


def _last_segment(resource: PolicyResource, path: str) -> str | None:
    value = _known(resource, path)
    return value.rstrip("/").rsplit("/", 1)[-1].lower() if isinstance(value, str) and value else None


def _cmk_consistent(args: StackValidationArgs, environment: str) -> Iterator[tuple[PolicyResource, Finding]]:
    """In prod, once the stack holds a Key Vault key in a workspace's vault (the
    customer-managed-keys setting is on), that workspace, its storage account and its container
    registry are all encrypted with a Key Vault key through a user-assigned identity."""
    if environment not in CMK_ENVIRONMENTS:
        return
    key_vaults = {
        str(_known(r, "vaultName")).lower()
        for r in args.resources
        if r.resource_type == types.KEY_VAULT_KEY and _known(r, "vaultName") is not None
    }
    if not key_vaults:
        return
    by_type_name: dict[tuple[str, str], PolicyResource] = {}
    for r in args.resources:
        name = _known(
            r,
            {types.STORAGE_ACCOUNT: "accountName", types.CONTAINER_REGISTRY: "registryName"}.get(
                r.resource_type, ""
            ),
        )
        if isinstance(name, str):
            by_type_name[(r.resource_type, name.lower())] = r
    for workspace in args.resources:
        if workspace.resource_type != types.AML_WORKSPACE:
            continue
        if _last_segment(workspace, "keyVault") not in key_vaults:
            continue
        for finding in (
            *expect_text(workspace.props, "encryption.status", "Enabled"),
            *_present(workspace, "encryption.keyVaultProperties.keyIdentifier"),
            *_present(workspace, "encryption.identity.userAssignedIdentity"),
        ):
            yield workspace, finding
        account = by_type_name.get((types.STORAGE_ACCOUNT, _last_segment(workspace, "storageAccount") or ""))
        if account is not None:
            for finding in (
                *expect_text(account.props, "encryption.keySource", "Microsoft.Keyvault"),
                *_present(account, "encryption.encryptionIdentity.encryptionUserAssignedIdentity"),
            ):
                yield account, finding
        registry = by_type_name.get(
            (types.CONTAINER_REGISTRY, _last_segment(workspace, "containerRegistry") or "")
        )
        if registry is not None:
            for finding in (
                *expect_text(registry.props, "encryption.status", "enabled"),
                *_present(registry, "encryption.keyVaultProperties.keyIdentifier"),
            ):
                yield registry, finding


def _present(resource: PolicyResource, path: str) -> Iterator[Finding]:
    try:
        value = get_path(resource.props, path)
    except UnknownValueError:
        return  # known only after apply: set
    if value is MISSING or value in (None, ""):
        yield Finding(path, value, "set")


POLICIES = [
    resource_rule(
        "storage-min-tls-1-2",
        "Storage accounts require TLS 1.2 or later.",
        [types.STORAGE_ACCOUNT],
        _storage_tls,
    ),
    resource_rule(
        "storage-https-only",
        "Storage accounts accept HTTPS traffic only.",
        [types.STORAGE_ACCOUNT],
        _storage_https,
    ),
    resource_rule(
        "storage-infrastructure-encryption",
        "Storage accounts use infrastructure (double) encryption; it can only be set at creation.",
        [types.STORAGE_ACCOUNT],
        _storage_infra_encryption,
    ),
    resource_rule(
        "keyvault-purge-protection",
        "Key Vaults enable purge protection.",
        [types.KEY_VAULT],
        _kv_purge_protection,
    ),
    resource_rule(
        "keyvault-soft-delete-90-days",
        "Key Vaults keep soft delete on with 90 days of retention.",
        [types.KEY_VAULT],
        _kv_soft_delete,
    ),
    resource_rule(
        "function-app-https-only",
        "Function Apps accept HTTPS only.",
        [types.WEB_APP],
        _function_https,
    ),
    resource_rule(
        "function-app-min-tls-1-2",
        "Function Apps require TLS 1.2 or later.",
        [types.WEB_APP],
        _function_tls,
    ),
    resource_rule(
        "function-app-ftps-disabled",
        "Function Apps disable FTP and FTPS deployment.",
        [types.WEB_APP],
        _function_ftps,
    ),
    resource_rule(
        "vmss-encryption-at-host",
        "Agent scale sets encrypt temp disks and caches at the host.",
        [types.VM_SCALE_SET],
        _vmss_host_encryption,
    ),
    resource_rule(
        "vmss-trusted-launch",
        "Agent scale sets use Trusted Launch with secure boot and vTPM.",
        [types.VM_SCALE_SET],
        _vmss_trusted_launch,
    ),
    stack_rule(
        "prod-customer-managed-keys",
        "In prod, a workspace whose Key Vault holds the estate's key encrypts with it, and so do its "
        "storage account and container registry (no half-encrypted estate).",
        _cmk_consistent,
    ),
]
"""The encryption rules, in report order."""
