"""Replace-vs-update rules: the vendored table, its provenance, and the refresh extractor run
on a small azure-rest-api-specs-shaped tree (x-ms-mutability, $ref across files, flatten)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    # Built from a sparse tree: no single commit, one per spec file (checked below).
    assert provenance["commit"] is None and provenance["date"]
    assert provenance["tree"] == "sparse (only the files and definitions read; COMMITS.json)"
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


def test_ml_rows_mark_nested_create_only_fields_that_azure_native_updates() -> None:
    types = azure_table()["types"]
    ml = "azure-native:machinelearningservices:"
    assert types[ml + "OnlineDeployment"]["createOnly"] == ["location", "properties.instanceType"]
    assert types[ml + "OnlineDeployment"]["replace"] == ["location"]
    assert types[ml + "OnlineEndpoint"]["createOnly"] == ["location", "properties.keys"]
    assert types[ml + "EnvironmentVersion"]["createOnly"] == [
        "properties.autoRebuild",
        "properties.build",
        "properties.condaFile",
        "properties.image",
        "properties.inferenceConfig",
        "properties.osType",
    ]
    assert types[ml + "EnvironmentVersion"]["replace"] == []
    deployment = {"type": ml + "OnlineDeployment", "inputs": {}}
    assert create_only_paths(deployment) == {"properties.instanceType"}
    assert sorted(azure_table()["types"]) == sorted(
        [
            POOL,
            CLUSTER,
            ROLE,
            UAI,
            "azure-native:managedidentity:FederatedIdentityCredential",
            "azure-native:keyvault:Vault",
            ml + "OnlineDeployment",
            ml + "OnlineEndpoint",
            ml + "EnvironmentVersion",
        ]
    )


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


def _plan(type_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    urn = f"urn:pulumi:qa::mlops-estate::{type_}::r"
    return {"resources": [{"urn": urn, "type": type_, "name": "r", "custom": True, "inputs": dict(inputs)}]}


def _classify(
    type_: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, list[str], list[str]]]:
    from infra.engine.diff import changes

    return [
        (c["action"], c["replaceBecause"], c["createOnlyUpdates"])
        for c in changes(_plan(type_, before), _plan(type_, after))
    ]


def test_classification_follows_the_table_per_type_and_nested_path() -> None:
    cluster = {
        "location": "westeurope",
        "networkProfile": {"serviceCidr": "10.0.0.0/16", "loadBalancerSku": "standard"},
        "agentPoolProfiles": [{"name": "system", "vmSize": "Standard_D4ds_v5", "networkProfile": {}}],
    }

    def edited(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
        import copy

        after = copy.deepcopy(cluster)
        node: Any = after
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return after

    assert _classify(CLUSTER, cluster, edited(("networkProfile", "serviceCidr"), "10.1.0.0/16")) == [
        ("replace", ["networkProfile.serviceCidr"], [])
    ]
    assert _classify(CLUSTER, cluster, edited(("networkProfile", "loadBalancerSku"), "basic")) == [
        ("update", [], [])
    ]
    tags = [{"ipTagType": "RoutingPreference", "tag": "Internet"}]
    assert _classify(
        CLUSTER, cluster, edited(("agentPoolProfiles", 0, "networkProfile", "nodePublicIPTags"), tags)
    ) == [("replace", ["agentPoolProfiles[0].networkProfile.nodePublicIPTags"], [])]
    edited_tag = edited(("agentPoolProfiles", 0, "networkProfile", "nodePublicIPTags"), tags)
    retagged = edited(
        ("agentPoolProfiles", 0, "networkProfile", "nodePublicIPTags"), [{**tags[0], "tag": "Other"}]
    )
    assert _classify(CLUSTER, edited_tag, retagged) == [
        ("replace", ["agentPoolProfiles[0].networkProfile.nodePublicIPTags[0].tag"], [])
    ]
    # In the cluster's own pool profile, vmSize is not in azure-native's list: an update.
    assert _classify(CLUSTER, cluster, edited(("agentPoolProfiles", 0, "vmSize"), "Standard_D8ds_v5")) == [
        ("update", [], [])
    ]
    assert _classify(CLUSTER, cluster, edited(("location",), "northeurope")) == [
        ("replace", ["location"], [])
    ]


def test_azure_native_and_the_spec_decide_where_they_differ() -> None:
    pool = {"vmSize": "Standard_D4ds_v5", "osDiskType": "Ephemeral", "availabilityZones": ["1"]}
    assert _classify(POOL, pool, {**pool, "vmSize": "Standard_D8ds_v5"}) == [("replace", ["vmSize"], [])]
    # Neither the spec nor azure-native marks these: Pulumi previews an update.
    assert _classify(POOL, pool, {**pool, "osDiskType": "Managed"}) == [("update", [], [])]
    assert _classify(POOL, pool, {**pool, "availabilityZones": ["1", "2"]}) == [("update", [], [])]
    role = {"principalId": "a", "roleDefinitionId": "/r/1", "scope": "/s"}
    assert _classify(ROLE, role, {**role, "principalId": "b"}) == [("replace", ["principalId"], [])]
    assert _classify(ROLE, role, {**role, "roleDefinitionId": "/r/2"}) == [("update", [], [])]
    # Key Vault 2024-11-01 marks no location create-only and azure-native lists nothing: update.
    vault = {"location": "westeurope", "properties": {"tenantId": "t"}}
    assert _classify("azure-native:keyvault:Vault", vault, {**vault, "location": "northeurope"}) == [
        ("update", [], [])
    ]
    # A type without a spec row: azure-native's names, then common-types' location rule.
    endpoint = {"location": "westeurope", "subnet": {"id": "/a"}}
    assert _classify(
        "azure-native:network:PrivateEndpoint", endpoint, {**endpoint, "subnet": {"id": "/b"}}
    ) == [("replace", ["subnet.id"], [])]
    assert _classify("azure-native:network:PrivateEndpoint", endpoint, {**endpoint, "location": "x"}) == [
        ("replace", ["location"], [])
    ]


def test_a_nested_create_only_change_is_an_update_flagged_as_risky(tmp_path: Path) -> None:
    import infra.engine.replace as replace

    table = {
        "commonTypes": {"TrackedResource": {"createOnly": ["location"]}},
        "types": {UAI: {"createOnly": ["location", "rules[*].kind"], "replace": ["location"]}},
    }
    replace.azure_table.cache_clear()
    original = replace.TABLE_FILE
    try:
        replace.TABLE_FILE = tmp_path / "table.json"
        replace.TABLE_FILE.write_text(json.dumps(table))
        before = {"location": "westeurope", "rules": [{"kind": "a", "note": "x"}]}
        after = {"location": "westeurope", "rules": [{"kind": "b", "note": "y"}]}
        assert _classify(UAI, before, after) == [("update", [], ["rules[0].kind"])]
    finally:
        replace.TABLE_FILE = original
        replace.azure_table.cache_clear()


def test_build_records_commits_per_file_and_why_a_type_has_no_row(tmp_path: Path) -> None:
    from infra.engine.replace.refresh import build

    common = "specification/common-types/resource-management/v5/types.json"
    tracked = {"properties": {"location": {"type": "string", "x-ms-mutability": ["read", "create"]}}}
    _write(tmp_path / common, {"definitions": {"TrackedResource": tracked}})
    spec = "specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/Msi.json"
    path = (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"
    )
    body = {"name": "parameters", "in": "body", "schema": {"$ref": "#/definitions/Identity"}}
    identity = {
        "allOf": [
            {
                "$ref": "../../../../../common-types/resource-management/v5/types.json#/definitions/TrackedResource"
            }
        ]
    }
    _write(
        tmp_path / spec,
        {"paths": {path: {"put": {"parameters": [body]}}}, "definitions": {"Identity": identity}},
    )
    (tmp_path / "COMMITS.json").write_text(json.dumps({common: "c" * 40}))
    go = tmp_path / "an" / "provider/pkg/gen/replacement.go"
    go.parent.mkdir(parents=True)
    go.write_text(
        "var forceNewMap = map[openapi.ModuleName]map[string]codegen.StringSet{\n"
        '\t"Network": {\n\t\t"PrivateEndpoint": codegen.NewStringSet("subnet"),\n\t},\n}\n'
    )
    table = build(tmp_path, "d" * 40, tmp_path / "an")
    assert sorted(table["types"]) == [UAI]
    assert table["types"][UAI]["replace"] == ["location"]
    assert table["types"][UAI]["specFiles"] == [
        {"path": common, "commit": "c" * 40},
        {"path": spec, "commit": "d" * 40},
    ]
    assert table["commonTypes"]["TrackedResource"] == {
        "createOnly": ["location"],
        "specFile": common,
        "specCommit": "c" * 40,
    }
    assert table["azureNativeOnly"] == {"azure-native:network:PrivateEndpoint": ["subnet"]}
    missing = {m["type"]: m["reason"] for m in table["provenance"]["notExtracted"]}
    assert missing[POOL] == (
        "no PUT for Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}"
        " at 2025-09-01 in the sparse specs tree (its spec was not read)"
    )
    assert missing["azure-native:monitor:MetricAlert"] == "no ARM path in the engine's table"
    assert set(missing) | {UAI} == set(plan_types())
