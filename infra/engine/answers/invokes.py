"""Answers for invokes (data sources) the program calls. Unknown invokes are engine errors."""

from __future__ import annotations

from typing import Any

from infra.engine.answers.common import ResourceContext, invoke


@invoke("azure-native:authorization:getClientConfig")
def _client_config(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    return {
        "clientId": ctx.guid("deployer-client"),
        "objectId": ctx.guid("deployer-object"),
        "subscriptionId": ctx.subscription_id,
        "tenantId": ctx.tenant_id,
    }


@invoke("azure-native:logic:listWorkflowTriggerCallbackUrl")
def _workflow_callback_url(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    """The SAS-signed URL of a Logic App trigger (signature derived, not random)."""
    from infra.engine.answers.common import guid

    workflow = str(args.get("workflowName"))
    trigger = str(args.get("triggerName"))
    base = (
        f"https://prod-00.{ctx.location}.logic.azure.com:443/workflows/"
        f"{guid(ctx.subscription_id, str(args.get('resourceGroupName')), workflow).replace('-', '')}"
        f"/triggers/{trigger}/paths/invoke"
    )
    sig = guid("sig", ctx.subscription_id, workflow, trigger).replace("-", "")
    return {
        "value": f"{base}?api-version=2016-10-01&sp=%2Ftriggers%2F{trigger}%2Frun&sv=1.0&sig={sig}",
        "basePath": base,
        "method": "POST",
        "queries": {"apiVersion": "2016-10-01", "sp": f"/triggers/{trigger}/run", "sv": "1.0", "sig": sig},
    }
