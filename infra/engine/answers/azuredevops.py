"""Answers for pulumi-azuredevops resources (ids as Azure DevOps returns them).

Azure DevOps gives GUIDs to projects, repositories and service connections, and small integers
to build definitions, policies, environments, checks, variable groups, pools and queues. The
service connection's workload identity federation issuer and subject are answered the way
Azure DevOps issues them for new connections (Entra issuer of the tenant, ``/eid1/...``
subject naming the organisation and the connection), so the federated credential in the plan
is wired to real-looking values.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from infra.engine.answers.common import ResourceContext, answer, guid, invoke

AZURE_DEVOPS_APP_ID = "499b84ac-1321-427f-aa17-267ca6975798"
"""The Entra application (resource) id of Azure DevOps."""


def _guid_id(ctx: ResourceContext) -> str:
    return ctx.guid("id")


def _numeric_id(ctx: ResourceContext) -> str:
    return str(int(ctx.guid("id").replace("-", "")[:6], 16) % 100000 + 1)


def organization_id(tenant_id: str) -> str:
    """The (deterministic) id of the Azure DevOps organisation connected to ``tenant_id``."""
    return guid("azure-devops-organization", tenant_id)


def _b64_guid(value: str) -> str:
    return base64.urlsafe_b64encode(uuid.UUID(value).bytes_le).decode().rstrip("=")


def _project(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "processTemplateId": "adcc42ab-9882-485e-a3ed-7678f01f66bc",
        "visibility": ctx.input("visibility", "private"),
    }


def _git(ctx: ResourceContext) -> dict[str, Any]:
    name = ctx.input("name")
    project = ctx.input("projectId")
    base = f"https://dev.azure.com/organization/{project}/_git/{name}"
    return {
        "remoteUrl": base,
        "url": f"https://dev.azure.com/organization/{project}/_apis/git/repositories/{ctx.guid('id')}",
        "webUrl": base,
        "sshUrl": f"git@ssh.dev.azure.com:v3/organization/{project}/{name}",
        "size": 0,
        "isFork": False,
    }


def _service_endpoint_azurerm(ctx: ResourceContext) -> dict[str, Any]:
    tenant = str(ctx.input("azurermSpnTenantid") or ctx.tenant_id)
    endpoint_id = ctx.guid("id")
    out: dict[str, Any] = {
        "authorization": {"scheme": ctx.input("serviceEndpointAuthenticationScheme") or "ServicePrincipal"}
    }
    if ctx.input("serviceEndpointAuthenticationScheme") == "WorkloadIdentityFederation":
        out["workloadIdentityFederationIssuer"] = f"https://login.microsoftonline.com/{tenant}/v2.0"
        out["workloadIdentityFederationSubject"] = (
            f"/eid1/c/pub/t/{_b64_guid(tenant)}/a/{_b64_guid(AZURE_DEVOPS_APP_ID)}"
            f"/sc/{organization_id(tenant)}/{endpoint_id}"
        )
    credentials = ctx.input("credentials")
    if isinstance(credentials, dict) and credentials.get("serviceprincipalid"):
        out["servicePrincipalId"] = credentials["serviceprincipalid"]
    return out


def _build_definition(ctx: ResourceContext) -> dict[str, Any]:
    return {"revision": 1}


def _principal_entitlement(ctx: ResourceContext) -> dict[str, Any]:
    return {
        "descriptor": f"aadsp.{_b64_guid(ctx.guid('descriptor'))}",
        "principalName": ctx.input("originId"),
    }


def _group(ctx: ResourceContext) -> dict[str, Any]:
    descriptor = f"vssgp.{_b64_guid(ctx.guid('descriptor'))}"
    return {
        "descriptor": descriptor,
        "originId": ctx.guid("origin"),
        "origin": "vsts",
        "subjectKind": "group",
        "principalName": f"[{ctx.input('scope')}]\\{ctx.input('displayName')}",
    }


_GUID_TYPES = {
    "azuredevops:index/project:Project": _project,
    "azuredevops:index/git:Git": _git,
    "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM": _service_endpoint_azurerm,
    "azuredevops:index/pipelineAuthorization:PipelineAuthorization": None,
    "azuredevops:index/servicePrincipalEntitlement:ServicePrincipalEntitlement": _principal_entitlement,
    "azuredevops:index/buildDefinitionPermissions:BuildDefinitionPermissions": None,
    "azuredevops:index/group:Group": _group,
    "azuredevops:index/groupMembership:GroupMembership": None,
    "azuredevops:index/gitPermissions:GitPermissions": None,
}

# Types whose ids Azure DevOps returns as integers.
NUMERIC_ID_TYPES: set[str] = {
    "azuredevops:index/buildDefinition:BuildDefinition",
    "azuredevops:index/branchPolicyMinReviewers:BranchPolicyMinReviewers",
    "azuredevops:index/branchPolicyBuildValidation:BranchPolicyBuildValidation",
    "azuredevops:index/branchPolicyCommentResolution:BranchPolicyCommentResolution",
    "azuredevops:index/branchPolicyWorkItemLinking:BranchPolicyWorkItemLinking",
    "azuredevops:index/environment:Environment",
    "azuredevops:index/checkApproval:CheckApproval",
    "azuredevops:index/checkBranchControl:CheckBranchControl",
    "azuredevops:index/checkExclusiveLock:CheckExclusiveLock",
    "azuredevops:index/variableGroup:VariableGroup",
    "azuredevops:index/elasticPool:ElasticPool",
    "azuredevops:index/queue:Queue",
}

for _token, _outputs in _GUID_TYPES.items():
    answer(_token, id=_guid_id, outputs=_outputs)
for _token in sorted(NUMERIC_ID_TYPES):
    answer(_token, id=_numeric_id, outputs=_build_definition if _token.endswith("BuildDefinition") else None)


@invoke("azuredevops:index/getProject:getProject")
def _get_project(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    name = str(args.get("name") or "")
    return {
        "id": guid("azure-devops-project", name),
        "projectId": guid("azure-devops-project", name),
        "name": name,
        "visibility": "private",
        "versionControl": "Git",
        "workItemTemplate": "Agile",
        "processTemplateId": "adcc42ab-9882-485e-a3ed-7678f01f66bc",
        "features": {},
    }


@invoke("azuredevops:index/getGroup:getGroup")
def _get_group(args: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    key = f"{args.get('projectId') or ''}/{args.get('name') or ''}"
    return {
        "id": f"vssgp.{_b64_guid(guid('azure-devops-group', key))}",
        "name": args.get("name"),
        "projectId": args.get("projectId"),
        "descriptor": f"vssgp.{_b64_guid(guid('azure-devops-group', key))}",
        "originId": guid("azure-devops-group-origin", key),
        "origin": "vsts",
        "groupId": guid("azure-devops-group-origin", key),
    }
