"""Render an offline plan as an ARM deployment template, for ARM scanners (Checkov and others).

Each azure-native resource of the plan becomes one ``resources[]`` entry shaped like the request
body Azure receives: ``type`` (``Microsoft.X/y[/z]``, child types included), ``apiVersion`` (the
REST API version the installed pulumi-azure-native SDK uses for that resource), ``name`` (ARM
form: ``parent/child`` for child resources), the top-level envelope keys (``location``, ``tags``,
``sku``, ``kind``, ``identity``, ``zones``, ``extendedLocation``, ``plan``), ``scope`` for
extension resources, and every other input under ``properties``.

azure-native inputs are the REST spec's SDK names, flattened out of ``properties``; the type and
name come from the resource's ARM id (as the engine answers it), URL path parameters (the
``...Name`` inputs that name id segments, ``resourceGroupName``) are dropped, and the few SDK
names that differ from the wire names (:data:`RENAMES`) are renamed back. Other providers'
resources (Azure DevOps, dynamic providers) are not ARM resources: they are counted as skipped.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from typing import Any

from infra.errors import ConfigError

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
ENVELOPE = ("location", "tags", "sku", "kind", "identity", "zones", "extendedLocation", "plan", "etag")
"""Inputs that sit beside ``properties`` in an ARM resource body."""
SCOPE_INPUTS = ("scope", "resourceUri")
"""Inputs that are the scope of an extension resource."""
PATH_SUFFIXES = ("Name", "Rp")
"""Input names that are URL path parameters when their value names a segment of the id."""

RENAMES: dict[str, dict[str, str]] = {
    "azure-native:storage:StorageAccount": {
        "enableHttpsTrafficOnly": "supportsHttpsTrafficOnly",
        "networkRuleSet": "networkAcls",
    },
    "azure-native:applicationinsights:Component": {
        "applicationType": "Application_Type",
        "disableIpMasking": "DisableIpMasking",
        "disableLocalAuth": "DisableLocalAuth",
        "flowType": "Flow_Type",
        "ingestionMode": "IngestionMode",
        "requestSource": "Request_Source",
        "workspaceResourceId": "WorkspaceResourceId",
        "retentionInDays": "RetentionInDays",
        "samplingPercentage": "SamplingPercentage",
    },
}
"""SDK input name → wire name, where pulumi-azure-native renames a flattened property."""

_API_VERSION = re.compile(r"Uses Azure REST API version (\d{4}-\d{2}-\d{2}(?:-preview)?)")


@functools.cache
def api_version(token: str) -> str:
    """The REST API version the installed pulumi-azure-native uses for ``token``."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "azure-native":
        raise ConfigError(f"'{token}' is not an azure-native resource type", key="type")
    module = importlib.import_module(f"pulumi_azure_native.{parts[1]}")
    cls = getattr(module, parts[2], None)
    source = inspect.getsourcefile(cls) if cls is not None else None
    if source is None:
        raise ConfigError(f"pulumi-azure-native has no resource '{token}'", key="type")
    with open(source, encoding="utf-8") as handle:
        found = _API_VERSION.search(handle.read())
    if found is None:
        raise ConfigError(f"pulumi-azure-native does not state the API version of '{token}'", key="type")
    return found.group(1)


def type_and_name(resource_id: str) -> tuple[str, str, str | None]:
    """ARM type, ARM name and (for extension resources) the scope, from a resource id."""
    head, sep, tail = resource_id.rpartition("/providers/")
    if not sep:
        segments = resource_id.strip("/").split("/")
        if len(segments) == 4 and segments[2].lower() == "resourcegroups":
            return "Microsoft.Resources/resourceGroups", segments[3], None
        raise ConfigError(f"'{resource_id}' is not an ARM resource id", key="id")
    segments = tail.split("/")
    namespace, rest = segments[0], segments[1:]
    if len(rest) < 2 or len(rest) % 2:
        raise ConfigError(f"'{resource_id}' is not an ARM resource id", key="id")
    types = rest[0::2]
    names = rest[1::2]
    scope = head if "/providers/" in head else None
    return f"{namespace}/{'/'.join(types)}", "/".join(names), scope


def _segments(resource_id: str) -> set[str]:
    return {part.lower() for part in resource_id.split("/") if part}


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    """One plan resource as the ARM body Azure receives."""
    token = resource["type"]
    arm_type, name, scope = type_and_name(str(resource["id"]))
    segments = _segments(str(resource["id"]))
    renames = RENAMES.get(token, {})
    body: dict[str, Any] = {"type": arm_type, "apiVersion": api_version(token), "name": name}
    properties: dict[str, Any] = {}
    for key, value in sorted(resource["inputs"].items()):
        if key.startswith("__"):
            continue
        if key in SCOPE_INPUTS:
            body["scope"] = value
        elif key == "resourceGroupName" or (
            isinstance(value, str)
            and (key == "name" or key.endswith(PATH_SUFFIXES) or key == "version")
            and value.lower() in segments
        ):
            continue
        elif key in ENVELOPE:
            body[key] = value
        elif key == "properties" and isinstance(value, dict):
            properties.update(value)
        else:
            properties[renames.get(key, key)] = value
    if scope is not None and "scope" not in body:
        body["scope"] = scope
    body["properties"] = properties
    return body


def render(plan: dict[str, Any]) -> dict[str, Any]:
    """The ARM deployment template of ``plan`` (azure-native resources only, in plan order)."""
    resources: list[dict[str, Any]] = []
    skipped = 0
    for resource in plan["resources"]:
        if not resource.get("custom") or not str(resource["type"]).startswith("azure-native:"):
            skipped += resource.get("custom", False) is True
            continue
        resources.append(resource_body(resource))
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {
            "generator": "estate arm",
            "stack": plan.get("stack"),
            "skippedNonArmResources": skipped,
        },
        "resources": resources,
    }


def checkov_records(report: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Failed checks and summary of one ``checkov -o json`` report over one ARM file."""
    reports = report if isinstance(report, list) else [report]
    arm = [r for r in reports if isinstance(r, dict) and r.get("check_type") == "arm"]
    if not arm:
        raise ConfigError(
            "Checkov scanned no ARM template (the file lacks $schema/contentVersion?)", key="checkov"
        )
    results = arm[0].get("results", {})
    return list(results.get("failed_checks", [])), dict(arm[0].get("summary", {}))


def judge(
    failed: list[dict[str, Any]], rendered: set[str], suppressed: set[tuple[str, str]]
) -> tuple[list[dict[str, str]], list[dict[str, str]], list[tuple[str, str]]]:
    """Split Checkov failures into findings and suppressed ones; list stale suppressions.

    ``rendered`` holds the ``<type>.<name>`` of every rendered resource: a suppression of a
    Checkov check on a rendered resource that no longer fails is stale (the file must shrink
    when a fix lands)."""
    findings: list[dict[str, str]] = []
    kept: list[dict[str, str]] = []
    hit: set[tuple[str, str]] = set()
    for record in failed:
        key = (str(record["check_id"]), str(record["resource"]))
        row = {"check": key[0], "resource": key[1], "name": str(record.get("check_name", ""))}
        if key in suppressed:
            kept.append(row)
            hit.add(key)
        else:
            findings.append(row)
    stale = sorted(k for k in suppressed if k[1] in rendered and k not in hit and k[0].startswith("CKV"))
    return findings, kept, stale
