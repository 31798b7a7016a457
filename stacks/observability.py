"""Composition step: the observability base (Log Analytics + Application Insights)."""

from __future__ import annotations

from components.observability import Observability
from stacks.context import StackContext


def compose_observability(ctx: StackContext) -> Observability:
    """Log Analytics and workspace-based Application Insights for the stack."""
    observability = Observability(
        "observability",
        {
            "resource_group_name": ctx.resource_group_name,
            "location": ctx.location,
            "log_analytics_name": ctx.namer.name("log_analytics"),
            "app_insights_name": ctx.namer.name("app_insights"),
            "retention_days": 90 if ctx.settings.environment == "prod" else 30,
            "tags": ctx.tags,
            "lifecycle": ctx.lifecycle,
        },
        opts=ctx.opts(),
    )
    ctx.parts.observability = observability
    ctx.outputs["logAnalyticsWorkspaceId"] = observability.log_analytics_id
    ctx.outputs["appInsightsId"] = observability.app_insights_id
    return observability
