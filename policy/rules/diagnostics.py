"""Diagnostics everywhere: every capable resource streams to Log Analytics; telemetry is workspace-based."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policy.rules import types
from policy.rules.common import (
    MISSING,
    Finding,
    expect_true,
    get_path,
    is_list,
    is_mapping,
    referenced_by,
    resource_rule,
    stack_rule,
)

DIAGNOSTICS_CAPABLE_TYPES: frozenset[str] = frozenset(
    {
        types.STORAGE_ACCOUNT,
        types.KEY_VAULT,
        types.CONTAINER_REGISTRY,
        types.AML_WORKSPACE,
        "azure-native:machinelearningservices:OnlineEndpoint",
        types.AKS_CLUSTER,
        types.APP_INSIGHTS,
        types.LOG_ANALYTICS,
        types.WEB_APP,
        types.DATABRICKS_WORKSPACE,
        types.DATA_FACTORY,
        types.EVENT_GRID_TOPIC,
    }
)
"""The estate's resource types that support Azure Monitor diagnostic settings."""

_LOG_ANALYTICS_ID = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.operationalinsights/workspaces/[^/]+$",
    re.IGNORECASE,
)


def _sends_to_log_analytics(setting: PolicyResource) -> bool:
    """The setting's ``workspaceId`` comes from a Log Analytics workspace (in this stack or by ARM id)."""
    if any(r.resource_type == types.LOG_ANALYTICS for r in referenced_by(setting, "workspaceId")):
        return True
    workspace_id = get_path(setting.props, "workspaceId")
    return isinstance(workspace_id, str) and bool(_LOG_ANALYTICS_ID.match(workspace_id))


def _has_enabled_category(setting: PolicyResource) -> bool:
    for key in ("logs", "metrics"):
        entries = get_path(setting.props, key)
        if is_list(entries) and any(is_mapping(e) and get_path(e, "enabled") is True for e in entries):
            return True
    return False


def _diagnostics_everywhere(args: StackValidationArgs, _env: str) -> Iterator[tuple[PolicyResource, Finding]]:
    covered: set[str] = set()
    for setting in args.resources:
        if setting.resource_type != types.DIAGNOSTIC_SETTING:
            continue
        targets = referenced_by(setting, "resourceUri")
        good = True
        if not _sends_to_log_analytics(setting):
            good = False
            yield (
                setting,
                Finding(
                    "workspaceId",
                    get_path(setting.props, "workspaceId"),
                    "the id of a Log Analytics workspace",
                ),
            )
        if not _has_enabled_category(setting):
            good = False
            yield (
                setting,
                Finding(
                    "logs",
                    get_path(setting.props, "logs"),
                    "at least one enabled logs (allLogs) or metrics entry",
                ),
            )
        if good:
            covered.update(t.urn for t in targets)
    for resource in args.resources:
        if resource.resource_type in DIAGNOSTICS_CAPABLE_TYPES and resource.urn not in covered:
            yield (
                resource,
                Finding(
                    f"{types.DIAGNOSTIC_SETTING}.resourceUri",
                    MISSING,
                    "a diagnostic setting whose resourceUri is this resource's id, sending to Log Analytics",
                ),
            )


def _appinsights_workspace(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    path = "workspaceResourceId"
    value = get_path(args.props, path)
    if not isinstance(value, str) or not value:
        yield Finding(
            path, value, "the id of a Log Analytics workspace (workspace-based Application Insights)"
        )


def _aks_monitoring(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "addonProfiles.omsagent.enabled")
    path = "addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID"
    value = get_path(args.props, path)
    if not isinstance(value, str) or not value:
        yield Finding(path, value, "the id of a Log Analytics workspace")


POLICIES = [
    stack_rule(
        "diagnostics-everywhere",
        "Every diagnostics-capable resource has a diagnostic setting that sends to Log Analytics.",
        _diagnostics_everywhere,
    ),
    resource_rule(
        "appinsights-workspace-based",
        "Application Insights components are workspace-based.",
        [types.APP_INSIGHTS],
        _appinsights_workspace,
    ),
    resource_rule(
        "aks-monitoring-addon",
        "AKS clusters run the monitoring add-on against a Log Analytics workspace.",
        [types.AKS_CLUSTER],
        _aks_monitoring,
    ),
]
"""The diagnostics rules, in report order."""
