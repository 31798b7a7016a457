"""Operational alerts of an environment (``mlops:monitoring:Monitoring``).

* an action group whose receivers come from settings (e-mail);
* per online endpoint: request latency (metric alert on the endpoint) and the 5xx share of
  requests (log alert over ``AmlOnlineEndpointTrafficLog``: metric alerts cannot divide two
  series, the traffic log can), each rule carrying the custom property ``model``;
* per deployment of that endpoint: CPU, memory and disk utilisation (metric alerts on the
  deployment resource, where Azure ML publishes them);
* the AKS cluster's node health (nodes NotReady), when there is a cluster;
* failed Azure ML runs in the workspace (training pipelines and monitor jobs).

Thresholds and the evaluation window come from settings (``monitoring.thresholds``); every
rule evaluates every 5 minutes over that window and resolves itself when the condition clears.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

from components.common import arg_error, check_unknown_args, require

COMPONENT = "Monitoring"
ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
WINDOWS = {5: "PT5M", 15: "PT15M", 30: "PT30M", 60: "PT1H"}
DEPLOYMENT_METRICS = (
    ("cpu", "CpuUtilizationPercentage", "cpu_percent"),
    ("memory", "CpuMemoryUtilizationPercentage", "memory_percent"),
    ("disk", "DiskUtilization", "disk_percent"),
)


class ThresholdArgs(TypedDict):
    """Alert thresholds (settings ``monitoring.thresholds``)."""

    latency_ms: NotRequired[int]
    """Optional. Average request latency. @default 500"""
    error_rate_percent: NotRequired[float]
    """Optional. 5xx share of requests. @default 1.0"""
    cpu_percent: NotRequired[int]
    """Optional. @default 80"""
    memory_percent: NotRequired[int]
    """Optional. @default 85"""
    disk_percent: NotRequired[int]
    """Optional. @default 85"""
    window_minutes: NotRequired[int]
    """Optional. 5, 15, 30 or 60. @default 15"""


DEFAULT_THRESHOLDS: dict[str, Any] = {
    "latency_ms": 500,
    "error_rate_percent": 1.0,
    "cpu_percent": 80,
    "memory_percent": 85,
    "disk_percent": 85,
    "window_minutes": 15,
}


class EndpointArgs(TypedDict):
    """One online endpoint to watch."""

    endpoint_id: pulumi.Input[str]
    """Required. ARM id of the online endpoint."""
    endpoint_name: pulumi.Input[str]
    """Required. Its name (the traffic log's ``EndpointName``)."""
    deployment_ids: dict[str, pulumi.Input[str]]
    """Required. ARM ids of its deployments by slot."""


class MonitoringArgs(TypedDict):
    """Arguments of :class:`Monitoring`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the action group and the rules."""
    location: str
    """Required. Region of the log alert rules (metric alerts and action groups are global)."""
    name_prefix: str
    """Required. Prefix of every rule name, e.g. ``mlops-prod``."""
    action_group_name: str
    """Required. Name of the operations action group."""
    log_analytics_id: pulumi.Input[str]
    """Required. Log Analytics workspace the log alerts query."""
    workspace_id: pulumi.Input[str]
    """Required. The Azure ML workspace (failed runs alert)."""
    alert_emails: NotRequired[list[str]]
    """Optional. E-mail receivers of the action group. @default []"""
    endpoints: NotRequired[dict[str, EndpointArgs]]
    """Optional. Online endpoints by model. @default {}"""
    aks_cluster_id: NotRequired[pulumi.Input[str] | None]
    """Optional. The AKS cluster (node health alert). @default none"""
    thresholds: NotRequired[ThresholdArgs]
    """Optional. @default DEFAULT_THRESHOLDS"""
    failed_runs_threshold: NotRequired[int]
    """Optional. Failed runs in the window that fire the alert. @default 1"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


class Monitoring(pulumi.ComponentResource):
    """Action group + metric and log alerts for endpoints, deployments, AKS and pipelines."""

    action_group_id: pulumi.Output[str]
    """The operations action group (e-mail receivers)."""
    alert_rule_ids: dict[str, pulumi.Output[str]]
    """Every alert rule's ARM id by logical suffix (``diabetes-latency``, ``aks-node-health``...)."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:monitoring:Monitoring", name, {}, opts)
        check_unknown_args(COMPONENT, args, MonitoringArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "location",
            "name_prefix",
            "action_group_name",
            "log_analytics_id",
            "workspace_id",
        )
        thresholds = dict(DEFAULT_THRESHOLDS)
        for key, value in dict(args.get("thresholds", {})).items():
            if key not in DEFAULT_THRESHOLDS:
                raise arg_error(
                    COMPONENT, f"thresholds.{key}", f"is not a threshold ({', '.join(DEFAULT_THRESHOLDS)})"
                )
            thresholds[key] = value
        window = WINDOWS.get(thresholds["window_minutes"])
        if window is None:
            raise arg_error(
                COMPONENT,
                "thresholds.window_minutes",
                f"{thresholds['window_minutes']} is not one of {', '.join(map(str, WINDOWS))}",
            )
        self._window, self._thresholds = window, thresholds
        self._tags = dict(args.get("tags", {}))
        self._args = args
        self._prefix = args["name_prefix"]
        emails = list(args.get("alert_emails", []))
        failed_runs = args.get("failed_runs_threshold", 1)
        if failed_runs < 1:
            raise arg_error(COMPONENT, "failed_runs_threshold", f"{failed_runs} must be at least 1")

        group = monitor.ActionGroup(
            f"{name}-action-group",
            action_group_name=args["action_group_name"],
            group_short_name="mlops-ops",
            resource_group_name=args["resource_group_name"],
            location="Global",
            enabled=True,
            email_receivers=[
                {"name": f"email-{i}", "email_address": email, "use_common_alert_schema": True}
                for i, email in enumerate(emails)
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.action_group_id = group.id
        self.alert_rule_ids = {}

        for model, endpoint in sorted(dict(args.get("endpoints", {})).items()):
            check_unknown_args(COMPONENT, endpoint, EndpointArgs)
            for key in ("endpoint_id", "endpoint_name", "deployment_ids"):
                if not endpoint.get(key):
                    raise arg_error(COMPONENT, f"endpoints.{model}.{key}", "is required")
            self._metric(
                name,
                f"{model}-latency",
                endpoint["endpoint_id"],
                ENDPOINT_NAMESPACE,
                "RequestLatency",
                "Average",
                "GreaterThan",
                thresholds["latency_ms"],
                model,
                f"{model}: average request latency above {thresholds['latency_ms']} ms",
            )
            self._error_rate(name, model, endpoint["endpoint_name"])
            for slot, deployment_id in sorted(endpoint["deployment_ids"].items()):
                for signal, metric, key in DEPLOYMENT_METRICS:
                    self._metric(
                        name,
                        f"{model}-{slot}-{signal}",
                        deployment_id,
                        DEPLOYMENT_NAMESPACE,
                        metric,
                        "Average",
                        "GreaterThan",
                        thresholds[key],
                        model,
                        f"{model}/{slot}: {metric} above {thresholds[key]}%",
                    )
        aks_cluster_id = args.get("aks_cluster_id")
        if aks_cluster_id:
            self._metric(
                name,
                "aks-node-health",
                aks_cluster_id,
                "Microsoft.ContainerService/managedClusters",
                "kube_node_status_condition",
                "Average",
                "GreaterThan",
                0,
                None,
                "AKS: one or more nodes are NotReady",
                dimensions=[{"name": "status2", "operator": "Include", "values": ["NotReady"]}],
                severity=1,
            )
        self._metric(
            name,
            "failed-runs",
            args["workspace_id"],
            "Microsoft.MachineLearningServices/workspaces",
            "Failed Runs",
            "Total",
            "GreaterThanOrEqual",
            failed_runs,
            None,
            f"Azure ML: {failed_runs} or more failed runs (training pipelines, monitors)",
        )
        self.register_outputs(
            {"action_group_id": self.action_group_id, "alert_rule_ids": self.alert_rule_ids}
        )

    def _metric(
        self,
        name: str,
        suffix: str,
        scope: pulumi.Input[str],
        namespace: str,
        metric: str,
        aggregation: str,
        operator: str,
        threshold: float,
        model: str | None,
        description: str,
        *,
        dimensions: list[dict[str, Any]] | None = None,
        severity: int = 2,
    ) -> None:
        """A single-resource static-threshold metric alert."""
        # ``criteria`` is a union type: typed Args make the SDK emit the wire (camelCase) names.
        criterion = monitor.MetricCriteriaArgs(
            criterion_type="StaticThresholdCriterion",
            name=metric.replace(" ", ""),
            metric_name=metric,
            metric_namespace=namespace,
            operator=operator,
            threshold=threshold,
            time_aggregation=aggregation,
            skip_metric_validation=False,
            dimensions=[monitor.MetricDimensionArgs(**d) for d in dimensions] if dimensions else None,
        )
        rule = monitor.MetricAlert(
            f"{name}-{suffix}",
            rule_name=f"{self._prefix}-{suffix}",
            resource_group_name=self._args["resource_group_name"],
            location="global",
            description=description,
            severity=severity,
            enabled=True,
            scopes=[scope],
            evaluation_frequency="PT5M",
            window_size=self._window,
            auto_mitigate=True,
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria", all_of=[criterion]
            ),
            actions=[
                {
                    "action_group_id": self.action_group_id,
                    "web_hook_properties": {"model": model} if model else {},
                }
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alert_rule_ids[suffix] = rule.id

    def _error_rate(self, name: str, model: str, endpoint_name: pulumi.Input[str]) -> None:
        """5xx share of an endpoint's requests, from its traffic log."""
        threshold = self._thresholds["error_rate_percent"]
        query = pulumi.Output.from_input(endpoint_name).apply(
            lambda endpoint: (
                "AmlOnlineEndpointTrafficLog\n"
                f'| where EndpointName == "{endpoint}"\n'
                '| summarize Requests = count(), Errors = countif(ResponseCode startswith "5")\n'
                "| extend ErrorRate = iff(Requests == 0, 0.0, 100.0 * Errors / Requests)"
            )
        )
        rule = monitor.ScheduledQueryRule(
            f"{name}-{model}-error-rate",
            rule_name=f"{self._prefix}-{model}-error-rate",
            resource_group_name=self._args["resource_group_name"],
            location=self._args["location"],
            kind="LogAlert",
            description=f"{model}: 5xx responses above {threshold}% of requests",
            severity=1,
            enabled=True,
            scopes=[self._args["log_analytics_id"]],
            evaluation_frequency="PT5M",
            window_size=self._window,
            auto_mitigate=True,
            criteria={
                "all_of": [
                    {
                        "query": query,
                        "time_aggregation": "Maximum",
                        "metric_measure_column": "ErrorRate",
                        "operator": "GreaterThan",
                        "threshold": threshold,
                        "failing_periods": {
                            "number_of_evaluation_periods": 1,
                            "min_failing_periods_to_alert": 1,
                        },
                    }
                ]
            },
            actions={"action_groups": [self.action_group_id], "custom_properties": {"model": model}},
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alert_rule_ids[f"{model}-error-rate"] = rule.id
