"""Offline diff: what a change does to a stack, resource by resource.

Compares two plans by URN. A resource only in the new plan is a ``create``, only in the old
one a ``delete``; one whose inputs differ is an ``update`` — or a ``replace`` when a changed
input is one Azure cannot change in place (the name, location, resource group, the parent
path of a child resource, or the resource's ``replaceOnChanges``). Output order follows the
plans, so the same two commits always give the same list.
"""

from __future__ import annotations

from typing import Any

from infra.engine.answers import ANSWERS

# Inputs Azure cannot update in place for every resource that has them.
ALWAYS_REPLACE = {"location", "resourceGroupName"}

# Per type: more create-only inputs (beyond the name and the parent path in the ARM id).
CREATE_ONLY: dict[str, set[str]] = {
    "azure-native:storage:StorageAccount": {"encryption.requireInfrastructureEncryption"},
    "azure-native:machinelearningservices:Workspace": {"hbiWorkspace", "managedNetwork.isolationMode"},
    "azure-native:containerservice:ManagedCluster": {
        "dnsPrefix",
        "apiServerAccessProfile.enablePrivateCluster",
    },
    "azure-native:machinelearningservices:OnlineEndpoint": {
        "properties.authMode",
        "properties.compute",
        "kind",
    },
    # A deployment's size and compute type are fixed: a new size is a new deployment (AML-Kubernetes #247).
    "azure-native:machinelearningservices:OnlineDeployment": {
        "kind",
        "properties.instanceType",
        "properties.endpointComputeType",
    },
    "azure-native:machinelearningservices:BatchEndpoint": {"properties.authMode"},
    # Asset versions are immutable: new content is a new version (hence a new resource).
    "azure-native:machinelearningservices:EnvironmentVersion": {"properties"},
    "azure-native:machinelearningservices:RegistryModelVersion": {"properties"},
    # Dynamic resources (model_assets): what identifies the object they manage.
    "pulumi-python:dynamic:Resource": {"estateKind", "endpointId", "workspaceId", "name", "version", "path"},
}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _changed_paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    flat_old, flat_new = _flatten(old), _flatten(new)
    return sorted(k for k in set(flat_old) | set(flat_new) if flat_old.get(k) != flat_new.get(k))


def _replace_keys(resource: dict[str, Any]) -> set[str]:
    keys = set(ALWAYS_REPLACE)
    answer = ANSWERS.get(resource["type"])
    if answer is not None:
        if answer.name_input:
            keys.add(answer.name_input)
    from infra.engine.answers.azure_native import ARM_TABLE

    row = ARM_TABLE.get(resource["type"])
    if row is not None:
        import re

        keys |= set(re.findall(r"\{(\w+)\}", row[1]))
    keys |= CREATE_ONLY.get(resource["type"], set())
    keys |= set(resource.get("replaceOnChanges") or [])
    return keys


def _is_replace(resource: dict[str, Any], paths: list[str]) -> bool:
    keys = _replace_keys(resource)
    for path in paths:
        if any(path == key or path.startswith(key + ".") for key in keys):
            return True
    return False


def changes(old_plan: dict[str, Any], new_plan: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{"urn", "type", "action", "keys"}]`` for every resource that changes."""
    old = {r["urn"]: r for r in old_plan["resources"]}
    new = {r["urn"]: r for r in new_plan["resources"]}
    result: list[dict[str, Any]] = []
    for resource in new_plan["resources"]:
        before = old.get(resource["urn"])
        if before is None:
            result.append(
                {
                    "urn": resource["urn"],
                    "type": resource["type"],
                    "action": "create",
                    "keys": sorted(resource["inputs"]),
                }
            )
            continue
        paths = _changed_paths(before["inputs"], resource["inputs"])
        option_changes = [
            opt
            for opt in ("protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace")
            if before.get(opt) != resource.get(opt)
        ]
        if not paths and not option_changes:
            continue
        action = "replace" if resource["custom"] and _is_replace(resource, paths) else "update"
        top_keys = sorted({p.split(".")[0].split("[")[0] for p in paths} | {f"[{o}]" for o in option_changes})
        result.append(
            {
                "urn": resource["urn"],
                "type": resource["type"],
                "action": action,
                "keys": top_keys,
                "paths": paths,
            }
        )
    for resource in old_plan["resources"]:
        if resource["urn"] not in new:
            result.append({"urn": resource["urn"], "type": resource["type"], "action": "delete", "keys": []})
    return result


def summary(change_list: list[dict[str, Any]]) -> dict[str, int]:
    """Counts per action."""
    counts: dict[str, int] = {}
    for change in change_list:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    return counts
