"""Replace-vs-update rules: the vendored table, its provenance, and the refresh extractor run
on a small azure-rest-api-specs-shaped tree (x-ms-mutability, $ref across files, flatten)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.engine.replace import OTHER_PROVIDERS, azure_table, replace_paths
from infra.engine.replace.refresh import extract, sdk_api_version

UAI = "azure-native:managedidentity:UserAssignedIdentity"


def test_the_table_records_where_it_comes_from() -> None:
    table = azure_table()
    provenance = table["provenance"]
    assert provenance["repository"] == "https://github.com/Azure/azure-rest-api-specs"
    assert len(provenance["commit"]) == 40 and provenance["date"]
    assert provenance["sdk"] == "pulumi-azure-native 3.29.0"
    tracked = table["commonTypes"]["TrackedResource"]
    assert tracked["createOnly"] == ["location"]
    assert tracked["specFile"] == "specification/common-types/resource-management/v5/types.json"


def test_address_inputs_location_and_replace_on_changes() -> None:
    resource = {"type": UAI, "inputs": {"location": "westeurope"}, "replaceOnChanges": ["tags"]}
    assert replace_paths(resource) == {"resourceName", "resourceGroupName", "location", "tags"}
    proxy = {"type": "azure-native:keyvault:Secret", "inputs": {"properties": {}}}
    assert "location" not in replace_paths(proxy)


def test_other_providers_have_a_small_rule_set() -> None:
    assert replace_paths({"type": "azuredevops:index/git:Git", "inputs": {}}) == {
        "projectId",
        "initialization",
        "parentRepositoryId",
    }
    assert replace_paths({"type": "azuredevops:index/environment:Environment", "inputs": {}}) == {"projectId"}
    assert OTHER_PROVIDERS["pulumi-python:dynamic:Resource"] == replace_paths(
        {"type": "pulumi-python:dynamic:Resource", "inputs": {}}
    )


def _write(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def test_refresh_extracts_create_only_inputs_as_the_sdk_names_them(tmp_path: Path) -> None:
    version = sdk_api_version(UAI)
    assert version == "2023-01-31"
    common = tmp_path / "specification/common-types/resource-management/v5/types.json"
    _write(
        common,
        {
            "definitions": {
                "TrackedResource": {
                    "properties": {
                        "location": {"type": "string", "x-ms-mutability": ["read", "create"]},
                        "tags": {"type": "object"},
                    }
                }
            }
        },
    )
    spec = (
        tmp_path / f"specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/{version}/Msi.json"
    )
    path = (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"
    )
    _write(
        spec,
        {
            "paths": {
                path: {
                    "put": {
                        "parameters": [
                            {"name": "parameters", "in": "body", "schema": {"$ref": "#/definitions/Identity"}}
                        ]
                    }
                }
            },
            "definitions": {
                "Identity": {
                    "allOf": [
                        {
                            "$ref": "../../../../../common-types/resource-management/v5/types.json#/definitions/TrackedResource"
                        }
                    ],
                    "properties": {
                        "properties": {"$ref": "#/definitions/Props", "x-ms-client-flatten": True},
                    },
                },
                "Props": {
                    "properties": {
                        "isolationScope": {"type": "string", "x-ms-mutability": ["create", "read"]},
                        "note": {"type": "string", "x-ms-mutability": ["create", "read", "update"]},
                        "tenantId": {"type": "string", "readOnly": True},
                        "rules": {
                            "type": "array",
                            "items": {
                                "properties": {
                                    "kind": {"type": "string", "x-ms-mutability": ["read", "create"]}
                                }
                            },
                        },
                    }
                },
            },
        },
    )
    row = extract(tmp_path, UAI, "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}")
    assert row is not None
    assert row["apiVersion"] == "2023-01-31"
    assert row["createOnly"] == ["isolationScope", "location", "rules[*].kind"]
    assert len(row["specFiles"]) == 2
