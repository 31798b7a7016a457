"""Observability base of a stack: Log Analytics and workspace-based Application Insights.

Secure defaults: local (key) authentication is disabled on both, so ingestion and queries
use Entra ID; Application Insights is workspace-based (its data lives in Log Analytics).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import applicationinsights, operationalinsights

from components.common import ArgRule, LifecycleArgs, check_unknown_args, require, stateful_options, validate
from components.diagnostics import send_to_log_analytics

COMPONENT = "Observability"
RETENTION_DAYS = (30, 60, 90, 120, 180, 270, 365, 550, 730)  # what both services accept


class ObservabilityArgs(TypedDict):
    """Arguments of :class:`Observability`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of both resources."""
    location: str
    """Required. Azure region."""
    log_analytics_name: str
    """Required. Name of the Log Analytics workspace (see infra.naming)."""
    app_insights_name: str
    """Required. Name of the Application Insights component."""
    retention_days: NotRequired[int]
    """Optional. Log retention (30-730, Azure's allowed steps). @default 30"""
    daily_quota_gb: NotRequired[float]
    """Optional. Daily ingestion cap in GB; -1 is unlimited. @default -1"""
    public_network_access: NotRequired[bool]
    """Optional. Ingestion and query over the public internet (Disabled needs an AMPLS).
    @default True (no Azure Monitor Private Link Scope is provisioned)"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags for both resources. @default {}"""
    lifecycle: NotRequired[LifecycleArgs]
    """Optional. protect / retainOnDelete of the Log Analytics workspace. @default not protected"""


RULES: tuple[ArgRule[ObservabilityArgs], ...] = (
    ArgRule(
        lambda a: a.get("retention_days", 30) not in RETENTION_DAYS,
        "retention_days",
        lambda a: f"{a.get('retention_days', 30)} is not one of {', '.join(map(str, RETENTION_DAYS))}",
    ),
    ArgRule(
        lambda a: a.get("daily_quota_gb", -1) != -1 and a.get("daily_quota_gb", -1) <= 0,
        "daily_quota_gb",
        lambda a: f"{a.get('daily_quota_gb', -1)} must be -1 (unlimited) or greater than 0",
    ),
)
"""Argument rules of :class:`Observability`, checked in order after the required args."""


class Observability(pulumi.ComponentResource):
    """Log Analytics + workspace-based Application Insights (``mlops:observability:Observability``)."""

    log_analytics_id: pulumi.Output[str]
    """ARM id of the Log Analytics workspace (diagnostic settings send here)."""
    log_analytics_customer_id: pulumi.Output[str]
    """The workspace's customer (workspace) id."""
    app_insights_id: pulumi.Output[str]
    """ARM id of the Application Insights component."""
    app_insights_connection_string: pulumi.Output[str]
    """Connection string for SDKs (secret)."""

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:observability:Observability", name, {}, opts)
        check_unknown_args(COMPONENT, args, ObservabilityArgs)
        require(COMPONENT, args, "resource_group_name", "location", "log_analytics_name", "app_insights_name")
        validate(COMPONENT, args, RULES)
        retention = args.get("retention_days", 30)
        quota = args.get("daily_quota_gb", -1)
        tags = dict(args.get("tags", {}))
        access = "Enabled" if args.get("public_network_access", True) else "Disabled"

        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=args["log_analytics_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=retention,
            workspace_capping=operationalinsights.WorkspaceCappingArgs(daily_quota_gb=quota),
            features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
            public_network_access_for_ingestion=access,
            public_network_access_for_query=access,
            tags=tags,
            opts=stateful_options(self, args.get("lifecycle"), data_bearing=True),
        )
        insights = applicationinsights.Component(
            f"{name}-appinsights",
            resource_name_=args["app_insights_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="web",
            application_type="web",
            ingestion_mode="LogAnalytics",
            workspace_resource_id=workspace.id,
            disable_local_auth=True,
            disable_ip_masking=False,
            public_network_access_for_ingestion=access,
            public_network_access_for_query=access,
            retention_in_days=retention,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        send_to_log_analytics(
            f"{name}-logs", resource_id=workspace.id, workspace_id=workspace.id, parent=self
        )
        send_to_log_analytics(
            f"{name}-appinsights", resource_id=insights.id, workspace_id=workspace.id, parent=self
        )

        self.log_analytics_id = workspace.id
        self.log_analytics_customer_id = workspace.customer_id
        self.app_insights_id = insights.id
        self.app_insights_connection_string = pulumi.Output.secret(insights.connection_string)
        self.register_outputs(
            {
                "log_analytics_id": self.log_analytics_id,
                "log_analytics_customer_id": self.log_analytics_customer_id,
                "app_insights_id": self.app_insights_id,
                "app_insights_connection_string": self.app_insights_connection_string,
            }
        )
