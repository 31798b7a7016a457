"""The secure StorageV2 account: the one way the estate creates a storage account.

Entra ID only (no shared keys, OAuth by default), no public blobs, TLS 1.2 and HTTPS only,
infrastructure encryption (with Microsoft-managed keys, or a customer-managed Key Vault key
through a user-assigned identity), network rules Deny (trusted Azure services bypass), no SFTP,
local users or cross-tenant replication, hot tier. Callers choose the account name, SKU,
whether the public endpoint is enabled and which subnets may use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from infra.errors import ConfigError
from infra.vocabulary import STORAGE_SKUS

ENCRYPTED_SERVICES: tuple[str, ...] = ("blob", "file", "queue", "table")


@dataclass(frozen=True)
class StorageCustomerManagedKey:
    """A Key Vault key that encrypts a storage account, and the identity that unwraps it."""

    key_vault_uri: pulumi.Input[str]
    """``https://<vault>.vault.azure.net/``."""
    key_name: pulumi.Input[str]
    """The key's name; no version, so the account follows the key's rotations."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity holding Key Vault Crypto Service Encryption User."""


def _encryption(cmk: StorageCustomerManagedKey | None = None) -> storage.EncryptionArgsDict:
    """Infrastructure (double) encryption, every service account-keyed; Microsoft-managed keys, or
    the customer-managed key ``cmk`` through its user-assigned identity."""
    service: storage.EncryptionServiceArgsDict = {"enabled": True, "key_type": "Account"}
    encryption: storage.EncryptionArgsDict = {
        "key_source": "Microsoft.Storage",
        "require_infrastructure_encryption": True,
        "services": {"blob": service, "file": service, "queue": service, "table": service},
    }
    if cmk is not None:
        encryption["key_source"] = "Microsoft.Keyvault"
        encryption["key_vault_properties"] = {"key_name": cmk.key_name, "key_vault_uri": cmk.key_vault_uri}
        encryption["encryption_identity"] = {"encryption_user_assigned_identity": cmk.identity_id}
    return encryption


def network_rules(allowed_subnet_ids: Sequence[pulumi.Input[str]] = ()) -> storage.NetworkRuleSetArgsDict:
    """Deny by default; trusted Azure services and ``allowed_subnet_ids`` (service endpoints) pass."""
    rules: list[storage.VirtualNetworkRuleArgsDict] = [
        {"virtual_network_resource_id": subnet, "action": storage.Action.ALLOW}
        for subnet in allowed_subnet_ids
    ]
    return {
        "default_action": storage.DefaultAction.DENY,
        "bypass": "AzureServices",
        "ip_rules": [],
        "virtual_network_rules": rules,
    }


def secure_storage_account(
    logical_name: str,
    *,
    account_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: pulumi.Input[str],
    sku: str,
    public_network_access: bool,
    opts: pulumi.ResourceOptions,
    allowed_subnet_ids: Sequence[pulumi.Input[str]] = (),
    tags: dict[str, str] | None = None,
    customer_managed_key: StorageCustomerManagedKey | None = None,
) -> storage.StorageAccount:
    """A StorageV2 account with the estate's secure settings (see the module docstring); with
    ``customer_managed_key`` its data is encrypted with that Key Vault key."""
    if sku not in STORAGE_SKUS:
        raise ConfigError(
            f"'{sku}' is not one of {', '.join(STORAGE_SKUS)}", key=f"storage account {logical_name}.sku"
        )
    return storage.StorageAccount(
        logical_name,
        account_name=account_name,
        resource_group_name=resource_group_name,
        location=location,
        kind="StorageV2",
        sku={"name": sku},
        access_tier=storage.AccessTier.HOT,
        allow_blob_public_access=False,
        allow_shared_key_access=False,
        allow_cross_tenant_replication=False,
        default_to_o_auth_authentication=True,
        enable_https_traffic_only=True,
        minimum_tls_version="TLS1_2",
        is_hns_enabled=False,
        is_local_user_enabled=False,
        is_sftp_enabled=False,
        public_network_access="Enabled" if public_network_access else "Disabled",
        network_rule_set=network_rules(allowed_subnet_ids),
        encryption=_encryption(customer_managed_key),
        identity=(
            {"type": "UserAssigned", "user_assigned_identities": [customer_managed_key.identity_id]}
            if customer_managed_key is not None
            else None
        ),
        tags=dict(tags or {}),
        opts=opts,
    )
