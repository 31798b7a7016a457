"""Which changed inputs force a replace, per resource type.

Four sources, none of them a hand-kept list of Azure properties:

1. **The resource's address.** An input that is part of the resource's ARM path (its name,
   its resource group, the names of its parents — the ``{...}`` segments of the path in
   :data:`infra.engine.answers.azure_native.ARM_TABLE`) or its name input names another
   resource: a change is a replace, for every provider.
2. **The vendor's data** for azure-native types: ``create_only.json`` in this folder lists,
   per type and the API version pulumi-azure-native uses for it, ``createOnly`` (the SDK
   input paths whose ``x-ms-mutability`` in the Azure REST API specs has ``create`` but not
   ``update``, at every depth) and ``replace`` (what azure-native replaces on: the type's own
   create-only inputs plus the properties its generator lists in ``forceNewMap``). A
   create-only path nested in a sub-object does not replace the resource in azure-native:
   the change is an update that Azure may reject (:func:`create_only_paths`). A type the
   table does not list falls back to azure-native's own names for it (``azureNativeOnly``)
   and common-types' ``TrackedResource`` (``location`` is create-only for every tracked
   resource). ``refresh.py`` extracts it; the file records the
   repositories, commits, spec files and date. ``[*]`` in a path stands for any list index.
3. **A small rule set for the other providers** (:data:`OTHER_PROVIDERS`): Azure DevOps,
   Databricks and the estate's dynamic providers, whose Terraform-bridged or Python
   providers mark these inputs as force-new.
4. The resource's own ``replaceOnChanges`` option.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("create_only.json")

OTHER_PROVIDERS: dict[str, frozenset[str]] = {
    # Every Azure DevOps object belongs to one project: moving it is delete + create.
    "azuredevops:*": frozenset({"projectId"}),
    "azuredevops:index/project:Project": frozenset({"workItemTemplate"}),
    "azuredevops:index/git:Git": frozenset({"initialization", "parentRepositoryId"}),
    "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM": frozenset(
        {"azurermSpnTenantid", "serviceEndpointAuthenticationScheme"}
    ),
    # Unity Catalog objects are addressed by name and parent; their storage is fixed.
    "databricks:index/catalog:Catalog": frozenset({"name", "storageRoot", "connectionName", "providerName"}),
    "databricks:index/schema:Schema": frozenset({"name", "catalogName", "storageRoot"}),
    "databricks:index/secretScope:SecretScope": frozenset({"name", "backendType", "keyvaultMetadata"}),
    "databricks:index/group:Group": frozenset({"displayName"}),
    "databricks:index/servicePrincipal:ServicePrincipal": frozenset({"applicationId"}),
    # The estate's dynamic providers: what identifies the object they manage.
    "pulumi-python:dynamic:Resource": frozenset(
        {"estateKind", "endpointId", "workspaceId", "name", "version", "path"}
    ),
}


@lru_cache(maxsize=1)
def azure_table() -> dict[str, Any]:
    """The vendored table (``{"provenance": ..., "types": {type: {"apiVersion", "createOnly"}}}``)."""
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


def _address_inputs(type_: str) -> set[str]:
    from infra.engine.answers import ANSWERS
    from infra.engine.answers.azure_native import ARM_TABLE

    keys: set[str] = set()
    answer = ANSWERS.get(type_)
    if answer is not None and answer.name_input:
        keys.add(answer.name_input)
    row = ARM_TABLE.get(type_)
    if row is not None:
        keys |= set(re.findall(r"\{(\w+)\}", row[1]))
        if row[0] == "rg":
            keys.add("resourceGroupName")
    return keys


def create_only_paths(resource: Mapping[str, Any]) -> set[str]:
    """The nested input paths the specs mark create-only that azure-native still updates in
    place (Azure may reject such an update at apply time); empty for other providers."""
    row = azure_table()["types"].get(str(resource["type"]))
    if row is None:
        return set()
    return set(row["createOnly"]) - set(row["replace"])


def replace_paths(resource: Mapping[str, Any]) -> set[str]:
    """The input paths of ``resource`` whose change replaces it (``[*]`` = any list index)."""
    type_ = str(resource["type"])
    keys = _address_inputs(type_)
    if type_.startswith("azure-native:"):
        table = azure_table()
        row = table["types"].get(type_)
        if row is not None:
            keys |= set(row["replace"])
        else:
            # No spec row: azure-native's own names for the type, and for a tracked resource
            # (it has a location) common-types' TrackedResource.
            keys |= set(table.get("azureNativeOnly", {}).get(type_, []))
            if "location" in (resource.get("inputs") or {}):
                keys |= set(table["commonTypes"]["TrackedResource"]["createOnly"])
    else:
        keys |= OTHER_PROVIDERS.get(type_, frozenset())
        keys |= OTHER_PROVIDERS.get(type_.split(":", 1)[0] + ":*", frozenset())
    keys |= set(resource.get("replaceOnChanges") or [])
    return keys
