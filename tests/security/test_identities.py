"""Least privilege along the delivery path, checked on each stack's offline plan: the exact Azure
role set of every pull-request preview identity (read only), which pipeline may use which
connection, the checks on the deployer connections, and agent recycling.

Whole-stack previews: marked ``slow``.
"""

from __future__ import annotations

import pytest

from components.devops_environment import (
    AZUREML_DATA_SCIENTIST,
    READER,
    RELEASE_GIT_PERMISSIONS,
    RELEASE_REPOSITORY_PERMISSIONS,
)
from tests.support.template import Template

pytestmark = pytest.mark.slow

UAI = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"
SC = "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM"
AUTH = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"
BUILD = "azuredevops:index/buildDefinition:BuildDefinition"
BRANCH = "azuredevops:index/checkBranchControl:CheckBranchControl"
APPROVAL = "azuredevops:index/checkApproval:CheckApproval"
POOL = "azuredevops:index/elasticPool:ElasticPool"
GIT_PERMISSIONS = "azuredevops:index/gitPermissions:GitPermissions"
ENTITLEMENT = "azuredevops:index/servicePrincipalEntitlement:ServicePrincipalEntitlement"

READ_ONLY_ROLES = {READER}
"""Built-in roles without any write, delete or action permission."""


@pytest.fixture(scope="module", params=["shared", "dev", "qa", "prod"])
def stack(request: pytest.FixtureRequest) -> tuple[str, Template]:
    return request.param, Template.from_stack(request.param)


def _roles_of(t: Template, principal: str) -> set[str]:
    """Role definition GUIDs assigned to ``principal`` anywhere in the plan."""
    return {
        r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1]
        for r in t.find_resources(ROLE)
        if r["inputs"].get("principalId") == principal
    }


def test_preview_identity_has_exactly_reader(stack: tuple[str, Template]) -> None:
    name, t = stack
    identity = t.has_resource_properties(UAI, {"resourceName": f"id-mlops-preview-{name}-weu"})
    principal = identity["outputs"]["principalId"]
    assert _roles_of(t, principal) == {READER}
    assert _roles_of(t, principal) <= READ_ONLY_ROLES
    scopes = {
        r["inputs"]["scope"] for r in t.find_resources(ROLE) if r["inputs"].get("principalId") == principal
    }
    assert len(scopes) == 1
    assert next(iter(scopes)).split("/")[-2:] == ["resourceGroups", f"rg-mlops-{name}-weu"]
    assert not any(r["inputs"].get("originId") == principal for r in t.find_resources(ENTITLEMENT))
    t.has_output("devopsPreviewPrincipalId", principal)


def test_preview_pipeline_reaches_only_the_preview_connection(stack: tuple[str, Template]) -> None:
    name, t = stack
    preview = t.has_resource_properties(SC, {"serviceEndpointName": f"mlops-estate-{name}-preview"})
    auths = [a for a in t.find_resources(AUTH) if a["inputs"]["resourceId"] == preview["id"]]
    assert len(auths) == 1
    preview_pipeline = auths[0]["inputs"]["pipelineId"]
    mine = {
        (a["inputs"]["type"], a["inputs"]["resourceId"])
        for a in t.find_resources(AUTH)
        if a["inputs"]["pipelineId"] == preview_pipeline and a["inputs"]["type"] != "queue"
    }
    assert mine == {("endpoint", preview["id"])}
    # No check on the preview connection (pull-request branches use it), and nothing else uses it.
    assert not [c for c in t.find_resources(BRANCH) if c["inputs"]["targetResourceId"] == preview["id"]]


def test_deployer_connection_carries_its_own_checks(stack: tuple[str, Template]) -> None:
    name, t = stack
    deployer = t.has_resource_properties(SC, {"serviceEndpointName": f"mlops-estate-{name}"})
    t.has_resource_properties(
        BRANCH,
        {
            "targetResourceId": deployer["id"],
            "targetResourceType": "endpoint",
            "allowedBranches": "refs/heads/main",
            "verifyBranchProtection": True,
            "ignoreUnknownProtectionStatus": False,
        },
    )
    approvals = [a for a in t.find_resources(APPROVAL) if a["inputs"]["targetResourceId"] == deployer["id"]]
    assert len(approvals) == (1 if name in ("qa", "prod") else 0)


def test_jobs_identity_only_runs_workspace_jobs(stack: tuple[str, Template]) -> None:
    name, t = stack
    if name == "shared":
        assert not [r for r in t.find_resources(UAI) if "-jobs-" in r["inputs"]["resourceName"]]
        return
    identity = t.has_resource_properties(UAI, {"resourceName": f"id-mlops-jobs-{name}-weu"})
    assert _roles_of(t, identity["outputs"]["principalId"]) == {AZUREML_DATA_SCIENTIST}
    jobs = t.has_resource_properties(SC, {"serviceEndpointName": f"mlops-estate-{name}-jobs"})
    guarded = [c for c in t.find_resources(BRANCH) if c["inputs"]["targetResourceId"] == jobs["id"]]
    assert len(guarded) == (1 if name == "prod" else 0)


def test_release_writer_is_the_only_bypass(stack: tuple[str, Template]) -> None:
    name, t = stack
    permissions = t.find_resources(GIT_PERMISSIONS)
    if name not in ("qa", "prod"):
        assert permissions == []
        return
    # Contribute + bypass on the branch the release writes, read on the repository; one principal.
    assert len(permissions) == 2
    (branch,) = [p for p in permissions if p["inputs"].get("branchName")]
    (repository,) = [p for p in permissions if not p["inputs"].get("branchName")]
    assert branch["inputs"]["branchName"] == "main"
    assert branch["inputs"]["permissions"] == RELEASE_GIT_PERMISSIONS
    assert repository["inputs"]["permissions"] == RELEASE_REPOSITORY_PERMISSIONS
    assert len({p["inputs"]["principal"] for p in permissions}) == 1
    writer = t.has_resource_properties(SC, {"serviceEndpointName": f"mlops-estate-{name}-release"})
    users = [a for a in t.find_resources(AUTH) if a["inputs"]["resourceId"] == writer["id"]]
    assert len(users) == 1
    assert (
        len([a for a in t.find_resources(APPROVAL) if a["inputs"]["targetResourceId"] == writer["id"]]) == 1
    )
    identity = t.has_resource_properties(UAI, {"resourceName": f"id-mlops-release-{name}-weu"})
    assert _roles_of(t, identity["outputs"]["principalId"]) == set()


def test_agent_pools_recycle(stack: tuple[str, Template]) -> None:
    _, t = stack
    for pool in t.find_resources(POOL):
        assert pool["inputs"]["recycleAfterEachUse"] is True
