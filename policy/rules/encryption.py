"""Encryption in transit and at rest: TLS 1.2+, HTTPS only, infrastructure and host encryption."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from policy.rules import types
from policy.rules.common import Finding, expect_text, expect_true, get_path, resource_rule


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
]
"""The encryption rules, in report order."""
