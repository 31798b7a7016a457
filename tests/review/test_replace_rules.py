"""Replace-vs-update rules: the vendored table, its provenance, and the refresh extractor run
on a small azure-rest-api-specs-shaped tree (x-ms-mutability, $ref across files, flatten)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.engine.replace import OTHER_PROVIDERS, azure_table, create_only_paths, replace_paths
from infra.engine.replace.refresh import extract, parse_force_new, plan_types, sdk_api_version

UAI = "azure-native:managedidentity:UserAssignedIdentity"
POOL = "azure-native:containerservice:AgentPool"
CLUSTER = "azure-native:containerservice:ManagedCluster"
ROLE = "azure-native:authorization:RoleAssignment"


def test_the_table_records_where_it_comes_from() -> None:
    table = azure_table()
    provenance = table["provenance"]
    assert provenance["repository"] == "https://github.com/Azure/azure-rest-api-specs"
    assert len(provenance["commit"]) == 40 and provenance["date"]
    assert provenance["sdk"] == "pulumi-azure-native 3.29.0"
    assert provenance["azureNative"] == {
        "repository": "https://github.com/pulumi/pulumi-azure-native",
        "file": "provider/pkg/gen/replacement.go",
        "commit": "1b7112af33c62b247daed1028686bf279f4d5e69",
    }
    tracked = table["commonTypes"]["TrackedResource"]
    assert tracked["createOnly"] == ["location"]
    assert tracked["specFile"] == "specification/common-types/resource-management/v5/types.json"
    for token, row in table["types"].items():
        assert row["apiVersion"] == sdk_api_version(token), token
        assert row["specFiles"] and all(len(f["commit"]) == 40 for f in row["specFiles"]), token


def test_every_engine_type_is_extracted_or_listed_with_a_reason() -> None:
    table = azure_table()
    missing = {m["type"]: m["reason"] for m in table["provenance"]["notExtracted"]}
    assert set(table["types"]).isdisjoint(missing)
    assert set(table["types"]) | set(missing) == set(plan_types())
    assert all(reason for reason in missing.values())


def test_aks_and_role_assignment_rows_are_what_azure_native_replaces_on() -> None:
    types = azure_table()["types"]
    pool = types[POOL]
    assert pool["apiVersion"] == "2025-09-01"
    assert pool["createOnly"] == []  # the AKS spec marks no agent-pool property create-only
    assert pool["replace"] == ["gpuInstanceProfile", "networkProfile.nodePublicIPTags", "vmSize"]
    assert [f["path"] for f in pool["specFiles"]] == [
        "specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/"
        "2025-09-01/managedClusters.json"
    ]
    cluster = types[CLUSTER]
    assert cluster["createOnly"] == ["location"]
    assert cluster["replace"] == [
        "agentPoolProfiles[*].networkProfile.nodePublicIPTags",
        "agentPoolProfiles[*].windowsProfile",
        "diskEncryptionSetID",
        "dnsPrefix",
        "fqdnSubdomain",
        "linuxProfile",
        "location",
        "networkProfile.dnsServiceIP",
        "networkProfile.networkDataplane",
        "networkProfile.networkMode",
        "networkProfile.networkPlugin",
        "networkProfile.networkPluginMode",
        "networkProfile.networkPolicy",
        "networkProfile.outboundType",
        "networkProfile.podCidr",
        "networkProfile.serviceCidr",
        "networkProfile.serviceCidrs",
        "nodeResourceGroup",
        "windowsProfile",
    ]
    assert types[ROLE]["replace"] == ["principalId", "scope"]
    assert types[ROLE]["createOnly"] == []


def test_replace_paths_per_type_and_nested_path() -> None:
    pool = {"type": POOL, "inputs": {"vmSize": "Standard_D4ds_v5"}}
    assert replace_paths(pool) == {
        "agentPoolName",
        "resourceName",
        "resourceGroupName",
        "gpuInstanceProfile",
        "networkProfile.nodePublicIPTags",
        "vmSize",
    }
    assert create_only_paths(pool) == set()
    assert "networkProfile.serviceCidr" in replace_paths({"type": CLUSTER, "inputs": {}})


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
    force_new = {
        "forceNewMap": {"ManagedIdentity": {"UserAssignedIdentity": ["note", "label"]}},
        "noForceNewMap": {},
    }
    row = extract(tmp_path, UAI, "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}", force_new)
    assert row is not None
    assert row["apiVersion"] == "2023-01-31"
    assert row["createOnly"] == ["isolationScope", "location", "rules[*].kind"]
    # The resource's own create-only inputs and azure-native's names replace; a nested
    # create-only one does not; a name the walk does not reach applies at the top.
    assert row["replace"] == ["isolationScope", "label", "location", "note"]
    assert len(row["specFiles"]) == 2
    assert "unresolvedRefs" not in row


def test_refresh_reads_azure_natives_force_new_map() -> None:
    source = """package gen

var forceNewMap = map[openapi.ModuleName]map[string]codegen.StringSet{
	"Network": {
		// why
		"PrivateEndpoint": codegen.NewStringSet("subnet"),
		"Subnet":          codegen.NewStringSet(), // none
	},
	"Storage": {
		"StorageAccount": codegen.NewStringSet(
			"isHnsEnabled",
			// "commented"
			"location",
		),
	},
}

var noForceNewMap = map[openapi.ModuleName]map[string]codegen.StringSet{
	"ServiceBus": {
		"Namespace": codegen.NewStringSet("zoneRedundant"),
	},
}
"""
    assert parse_force_new(source) == {
        "forceNewMap": {
            "Network": {"PrivateEndpoint": ["subnet"], "Subnet": []},
            "Storage": {"StorageAccount": ["isHnsEnabled", "location"]},
        },
        "noForceNewMap": {"ServiceBus": {"Namespace": ["zoneRedundant"]}},
    }
