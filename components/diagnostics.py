"""Diagnostic settings: every resource that supports diagnostics sends its logs and metrics
to the environment's Log Analytics workspace. Components call :func:`send_to_log_analytics`
for each such child; the ``diagnostics-everywhere`` policy checks nobody forgot.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor

DIAGNOSTIC_SETTING_NAME = "send-to-log-analytics"


def send_to_log_analytics(
    name: str,
    *,
    resource_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    logs: bool = True,
    metrics: bool = True,
    depends_on: list[pulumi.Resource] | None = None,
) -> monitor.DiagnosticSetting:
    """Create ``<name>-diagnostics``: allLogs (category group) and AllMetrics to Log Analytics.

    ``logs=False`` for resource types that only emit metrics (e.g. VNets without flow logs);
    ``metrics=False`` for types without platform metrics.
    """
    if not logs and not metrics:
        raise ValueError(f"diagnostic setting {name}: at least one of logs or metrics must be sent")
    return monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name=DIAGNOSTIC_SETTING_NAME,
        resource_uri=resource_id,
        workspace_id=workspace_id,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)] if logs else None,
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)]
        if metrics
        else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
