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
