"""ARM rendering of plan resources (body by body) and the judging of Checkov's findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.engine.arm import api_version, judge, render, resource_body, type_and_name
from infra.errors import ConfigError

SUB = "/subscriptions/6e4c2a0b-9d8f-4a7e-b5c3-3f2e1d0c9b87/resourceGroups/rg-x"


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        (
            f"{SUB}/providers/Microsoft.Storage/storageAccounts/st1",
            ("Microsoft.Storage/storageAccounts", "st1", None),
        ),
        (
            f"{SUB}/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/c",
            ("Microsoft.Storage/storageAccounts/blobServices/containers", "st1/default/c", None),
        ),
        (
            f"{SUB}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/d",
            ("Microsoft.Insights/diagnosticSettings", "d", f"{SUB}/providers/Microsoft.KeyVault/vaults/kv"),
        ),
        (SUB, ("Microsoft.Resources/resourceGroups", "rg-x", None)),
    ],
)
def test_type_name_and_scope_from_the_id(resource_id: str, expected: tuple[str, str, str | None]) -> None:
    assert type_and_name(resource_id) == expected


def test_a_bad_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="is not an ARM resource id"):
        type_and_name(f"{SUB}/providers/Microsoft.Storage/storageAccounts")


def test_api_version_is_the_sdks() -> None:
    import pulumi_azure_native.storage as azure_storage

    module_file = azure_storage.__file__
    assert module_file is not None
    source = Path(module_file).with_name("storage_account.py")
    assert (
        f"Uses Azure REST API version {api_version('azure-native:storage:StorageAccount')}."
        in source.read_text()
    )
    with pytest.raises(ConfigError, match="has no resource"):
        api_version("azure-native:storage:NoSuchThing")


def test_storage_account_body_is_arm_shaped() -> None:
    body = resource_body(
        {
            "type": "azure-native:storage:StorageAccount",
            "id": f"{SUB}/providers/Microsoft.Storage/storageAccounts/st1",
            "inputs": {
                "accountName": "st1",
                "resourceGroupName": "rg-x",
                "location": "westeurope",
                "kind": "StorageV2",
                "sku": {"name": "Standard_ZRS"},
                "tags": {"a": "b"},
                "enableHttpsTrafficOnly": True,
                "networkRuleSet": {"defaultAction": "Deny"},
                "minimumTlsVersion": "TLS1_2",
            },
        }
    )
    assert body == {
        "type": "Microsoft.Storage/storageAccounts",
        "apiVersion": api_version("azure-native:storage:StorageAccount"),
        "name": "st1",
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_ZRS"},
        "tags": {"a": "b"},
        "properties": {
            "supportsHttpsTrafficOnly": True,
            "networkAcls": {"defaultAction": "Deny"},
            "minimumTlsVersion": "TLS1_2",
        },
    }


def test_nested_properties_and_extension_scope() -> None:
    vault = resource_body(
        {
            "type": "azure-native:keyvault:Vault",
            "id": f"{SUB}/providers/Microsoft.KeyVault/vaults/kv",
            "inputs": {
                "vaultName": "kv",
                "resourceGroupName": "rg-x",
                "properties": {"enablePurgeProtection": True},
            },
        }
    )
    assert vault["properties"] == {"enablePurgeProtection": True}
    setting = resource_body(
        {
            "type": "azure-native:monitor:DiagnosticSetting",
            "id": f"{SUB}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/d",
            "inputs": {
                "name": "d",
                "resourceUri": f"{SUB}/providers/Microsoft.KeyVault/vaults/kv",
                "workspaceId": "w",
            },
        }
    )
    assert (setting["scope"], setting["properties"]) == (
        f"{SUB}/providers/Microsoft.KeyVault/vaults/kv",
        {"workspaceId": "w"},
    )


def test_template_has_what_checkov_needs_and_skips_other_providers() -> None:
    plan = {
        "stack": "prod",
        "resources": [
            {"type": "pulumi:pulumi:Stack", "custom": False, "id": None, "inputs": {}},
            {"type": "azuredevops:index/git:Git", "custom": True, "id": "g", "inputs": {}},
            {
                "type": "azure-native:storage:StorageAccount",
                "custom": True,
                "id": f"{SUB}/providers/Microsoft.Storage/storageAccounts/st1",
                "inputs": {"accountName": "st1"},
            },
        ],
    }
    template = render(plan)
    text = json.dumps(template)
    assert '"$schema"' in text and '"contentVersion"' in text
    assert [r["type"] for r in template["resources"]] == ["Microsoft.Storage/storageAccounts"]
    assert template["metadata"]["skippedNonArmResources"] == 1


def test_judge_splits_findings_suppressions_and_stale_entries() -> None:
    failed = [
        {
            "check_id": "CKV_AZURE_206",
            "resource": "Microsoft.Storage/storageAccounts.st1",
            "check_name": "rep",
        },
        {
            "check_id": "CKV_AZURE_35",
            "resource": "Microsoft.Storage/storageAccounts.st1",
            "check_name": "deny",
        },
    ]
    rendered = {"Microsoft.Storage/storageAccounts.st1", "Microsoft.Storage/storageAccounts.st2"}
    suppressed = {
        ("CKV_AZURE_206", "Microsoft.Storage/storageAccounts.st1"),
        ("CKV_AZURE_206", "Microsoft.Storage/storageAccounts.st2"),
        ("CKV_AZURE_206", "Microsoft.Storage/storageAccounts.elsewhere"),
    }
    findings, kept, stale = judge(failed, rendered, suppressed)
    assert [f["check"] for f in findings] == ["CKV_AZURE_35"]
    assert [k["check"] for k in kept] == ["CKV_AZURE_206"]
    assert stale == [("CKV_AZURE_206", "Microsoft.Storage/storageAccounts.st2")]
