"""The secure StorageV2 account: the one way the estate creates a storage account.

Entra ID only (no shared keys, OAuth by default), no public blobs, TLS 1.2 and HTTPS only,
infrastructure encryption, network rules Deny (trusted Azure services bypass), no SFTP,
local users or cross-tenant replication, hot tier. Callers choose the account name, SKU,
whether the public endpoint is enabled and which subnets may use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import storage

from infra.errors import ConfigError
from infra.vocabulary import STORAGE_SKUS

ENCRYPTED_SERVICES: tuple[str, ...] = ("blob", "file", "queue", "table")


def network_rules(allowed_subnet_ids: Sequence[pulumi.Input[str]] = ()) -> dict[str, object]:
    """Deny by default; trusted Azure services and ``allowed_subnet_ids`` (service endpoints) pass."""
    return {
        "default_action": "Deny",
        "bypass": "AzureServices",
        "ip_rules": [],
        "virtual_network_rules": [
            {"virtual_network_resource_id": subnet, "action": "Allow"} for subnet in allowed_subnet_ids
        ],
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
) -> storage.StorageAccount:
    """A StorageV2 account with the estate's secure settings (see the module docstring)."""
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
        access_tier="Hot",
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
        encryption={
            "key_source": "Microsoft.Storage",
            "require_infrastructure_encryption": True,
            "services": {service: {"enabled": True, "key_type": "Account"} for service in ENCRYPTED_SERVICES},
        },
        tags=dict(tags or {}),
        opts=opts,
    )
