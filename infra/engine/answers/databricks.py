"""Answers for the operations area: pulumi-databricks workspace-level objects, and the
azure-native types monitoring, the retraining loop, Databricks and Data Factory create.

The azure-native rows use the same ARM-path scheme as :mod:`.azure_native` (kept in their own
table, ``OPERATIONS_ARM``, so this area's types live in one place; a row another module
already registered is left alone). Databricks object ids follow what the Databricks REST API
returns: numeric job ids, hexadecimal policy ids, names for secret scopes and catalogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.engine.answers import azure_native
from infra.engine.answers.common import ANSWERS, ResourceContext, answer, guid, invoke

# token: (scope, ARM path with placeholders, name input) — see azure_native._ARM.
OPERATIONS_ARM: dict[str, tuple[str, str, str]] = {
    "azure-native:monitor:ActionGroup": (
        "rg",
        "Microsoft.Insights/actionGroups/{actionGroupName}",
        "actionGroupName",
    ),
    "azure-native:monitor:MetricAlert": ("rg", "Microsoft.Insights/metricAlerts/{ruleName}", "ruleName"),
    "azure-native:monitor:ScheduledQueryRule": (
        "rg",
        "Microsoft.Insights/scheduledQueryRules/{ruleName}",
        "ruleName",
    ),
    "azure-native:web:AppServicePlan": ("rg", "Microsoft.Web/serverfarms/{name}", "name"),
    "azure-native:web:WebApp": ("rg", "Microsoft.Web/sites/{name}", "name"),
    "azure-native:web:WebAppFtpAllowed": (
        "rg",
        "Microsoft.Web/sites/{name}/basicPublishingCredentialsPolicies/ftp",
        "name",
    ),
    "azure-native:web:WebAppScmAllowed": (
        "rg",
        "Microsoft.Web/sites/{name}/basicPublishingCredentialsPolicies/scm",
        "name",
    ),
    "azure-native:eventgrid:SystemTopic": (
        "rg",
        "Microsoft.EventGrid/systemTopics/{systemTopicName}",
        "systemTopicName",
    ),
    "azure-native:eventgrid:SystemTopicEventSubscription": (
        "rg",
        "Microsoft.EventGrid/systemTopics/{systemTopicName}/eventSubscriptions/{eventSubscriptionName}",
        "eventSubscriptionName",
    ),
    "azure-native:databricks:Workspace": (
        "rg",
        "Microsoft.Databricks/workspaces/{workspaceName}",
        "workspaceName",
    ),
    "azure-native:datafactory:Factory": (
        "rg",
        "Microsoft.DataFactory/factories/{factoryName}",
        "factoryName",
    ),
    "azure-native:datafactory:CredentialOperation": (
        "rg",
        "Microsoft.DataFactory/factories/{factoryName}/credentials/{credentialName}",
        "credentialName",
    ),
    "azure-native:datafactory:LinkedService": (
        "rg",
        "Microsoft.DataFactory/factories/{factoryName}/linkedservices/{linkedServiceName}",
        "linkedServiceName",
    ),
    "azure-native:datafactory:Pipeline": (
        "rg",
        "Microsoft.DataFactory/factories/{factoryName}/pipelines/{pipelineName}",
        "pipelineName",
    ),
    "azure-native:datafactory:Trigger": (
        "rg",
        "Microsoft.DataFactory/factories/{factoryName}/triggers/{triggerName}",
        "triggerName",
    ),
}


def _digits(ctx: ResourceContext, purpose: str, length: int) -> str:
    """A deterministic decimal number of ``length`` digits (first digit not zero)."""
    value = int(ctx.guid(purpose).replace("-", ""), 16)
    text = str(value)[:length]
    return text if text[0] != "0" else "1" + text[1:]


@azure_native.extra("azure-native:web:WebApp")
def _web_app(ctx: ResourceContext) -> dict[str, Any]:
    name = ctx.input("name")
    return {
        "defaultHostName": f"{name}.azurewebsites.net",
        "enabledHostNames": [f"{name}.azurewebsites.net", f"{name}.scm.azurewebsites.net"],
        "customDomainVerificationId": ctx.guid("domain-verification").replace("-", "").upper(),
    }


@azure_native.extra("azure-native:databricks:Workspace")
def _databricks_workspace(ctx: ResourceContext) -> dict[str, Any]:
    workspace_id = _digits(ctx, "workspace-id", 16)
    return {
        "workspaceId": workspace_id,
        "workspaceUrl": f"adb-{workspace_id}.{int(workspace_id[-2:]) % 20}.azuredatabricks.net",
    }


@azure_native.extra("azure-native:datafactory:Factory")
def _factory(ctx: ResourceContext) -> dict[str, Any]:
    return {"createTime": "2026-01-01T00:00:00Z", "version": "2018-06-01"}


for _token, (_scope, _path, _name_input) in OPERATIONS_ARM.items():
    if _token not in ANSWERS:
        azure_native.register(_token, _scope, _path, _name_input)


# -- pulumi-databricks (workspace-level objects) ----------------------------------------------


def _name_id(key: str) -> Callable[[ResourceContext], str]:
    def build(ctx: ResourceContext) -> str:
        return str(ctx.input(key) or ctx.logical_name)

    return build


def _hex_id(ctx: ResourceContext) -> str:
    return ctx.guid("id").replace("-", "")[:16].upper()


def _job_id(ctx: ResourceContext) -> str:
    return _digits(ctx, "job", 15)


def _job_outputs(ctx: ResourceContext) -> dict[str, Any]:
    return {"url": f"#job/{_job_id(ctx)}"}


def _policy_outputs(ctx: ResourceContext) -> dict[str, Any]:
    return {"policyId": _hex_id(ctx)}


def _principal_id(ctx: ResourceContext) -> str:
    return _digits(ctx, "principal", 16)


def _service_principal_outputs(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "aclPrincipalId": f"servicePrincipals/{ctx.input('applicationId')}",
        "home": f"/Users/{ctx.input('applicationId')}",
    }


def _group_outputs(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "aclPrincipalId": f"groups/{ctx.input('displayName')}",
        "url": f"#setting/accounts/groups/{_principal_id(ctx)}",
    }


def _permissions_id(ctx: ResourceContext) -> str:
    for key, prefix in (("jobId", "/jobs/"), ("clusterPolicyId", "/cluster-policies/")):
        if ctx.input(key):
            return f"{prefix}{ctx.input(key)}"
    return f"/objects/{ctx.guid('object')}"


def _schema_id(ctx: ResourceContext) -> str:
    return f"{ctx.input('catalogName')}.{ctx.input('name')}"


def _grants_id(ctx: ResourceContext) -> str:
    for key in ("catalog", "schema", "model", "metastore"):
        if ctx.input(key):
            return f"{key}/{ctx.input(key)}"
    return f"grants/{ctx.guid('grants')}"


answer("databricks:index/clusterPolicy:ClusterPolicy", id=_hex_id, outputs=_policy_outputs)
answer(
    "databricks:index/secretScope:SecretScope",
    id=_name_id("name"),
    outputs=lambda ctx: {"backendType": "AZURE_KEYVAULT"},
)
answer("databricks:index/job:Job", id=_job_id, outputs=_job_outputs)
answer(
    "databricks:index/permissions:Permissions",
    id=_permissions_id,
    outputs=lambda ctx: {"objectType": "job" if ctx.input("jobId") else "cluster-policy"},
)
answer(
    "databricks:index/servicePrincipal:ServicePrincipal", id=_principal_id, outputs=_service_principal_outputs
)
answer("databricks:index/group:Group", id=_principal_id, outputs=_group_outputs)
answer("databricks:index/entitlements:Entitlements", id=lambda ctx: f"group/{ctx.input('groupId')}")
answer(
    "databricks:index/catalog:Catalog",
    id=_name_id("name"),
    outputs=lambda ctx: {"metastoreId": ctx.guid("metastore")},
)
answer(
    "databricks:index/schema:Schema",
    id=_schema_id,
    outputs=lambda ctx: {"metastoreId": ctx.guid("metastore")},
)
answer("databricks:index/grants:Grants", id=_grants_id)


@invoke("databricks:index/getGroup:getGroup")
def _get_group(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    """A workspace's built-in or existing group, looked up by display name."""
    name = str(args.get("displayName") or "users")
    return {
        "id": str(int(guid("group", name).replace("-", ""), 16))[:16],
        "displayName": name,
        "aclPrincipalId": f"groups/{name}",
        "members": [],
        "childGroups": [],
        "groups": [],
        "servicePrincipals": [],
        "users": [],
        "instanceProfiles": [],
        "recursive": False,
    }
