"""Azure DevOps objects, agents and release wiring in each stack's offline plan.

Stack previews take tens of seconds on a shared machine: these tests are marked ``slow``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from infra.engine.policy_runner import evaluate
from tests.support.template import Match, Template

pytestmark = pytest.mark.slow

SC = "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ENV = "azuredevops:index/environment:Environment"
APPROVAL = "azuredevops:index/checkApproval:CheckApproval"
BRANCH = "azuredevops:index/checkBranchControl:CheckBranchControl"
LOCK = "azuredevops:index/checkExclusiveLock:CheckExclusiveLock"
POOL = "azuredevops:index/elasticPool:ElasticPool"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
AUTH = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"
BUILD = "azuredevops:index/buildDefinition:BuildDefinition"
SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"

ENV_COMMON = {
    "mlops:delivery:DevOpsEnvironment": 1,
    "mlops:delivery:BuildAgents": 1,
    "pulumi:providers:azuredevops": 1,
    # deployer (custom role, RBAC admin, Key Vault secrets), preview (Reader), jobs (AzureML Data Scientist)
    "azure-native:authorization:RoleAssignment": 5,
    "azure-native:authorization:RoleDefinition": 1,
    # deployer, preview, jobs, agents
    "azure-native:managedidentity:UserAssignedIdentity": 4,
    FIC: 3,
    "azure-native:keyvault:Secret": 1,
    VMSS: 1,
    SC: 3,
    "azuredevops:index/variableGroup:VariableGroup": 1,
    ENV: 1,
    BRANCH: 2,
    POOL: 1,
    "azuredevops:index/queue:Queue": 1,
}
RELEASE_WRITER = {
    "azure-native:managedidentity:UserAssignedIdentity": 5,
    FIC: 4,
    SC: 4,
    "azuredevops:index/gitPermissions:GitPermissions": 2,
    "azuredevops:index/servicePrincipalEntitlement:ServicePrincipalEntitlement": 1,
}
RELEASE: dict[str, int] = {}
EXPECTED = {
    "shared": {
        "mlops:delivery:DevOpsProject": 1,
        "mlops:delivery:DevOpsEnvironment": 1,
        "pulumi:providers:azuredevops": 1,
        "azuredevops:index/project:Project": 1,
        "azuredevops:index/git:Git": 1,
        BUILD: 6,
        "azuredevops:index/branchPolicyMinReviewers:BranchPolicyMinReviewers": 1,
        "azuredevops:index/branchPolicyBuildValidation:BranchPolicyBuildValidation": 2,
        "azuredevops:index/branchPolicyCommentResolution:BranchPolicyCommentResolution": 1,
        "azure-native:authorization:RoleAssignment": 3,
        "azure-native:authorization:RoleDefinition": 1,
        "azure-native:managedidentity:UserAssignedIdentity": 2,
        FIC: 2,
        SC: 2,
        ENV: 1,
        BRANCH: 2,
        LOCK: 1,
        AUTH: 3,
    },
    "dev": {**ENV_COMMON, AUTH: 12},  # ci and train are authorised in dev only
    # approvals: environment, deployer connection, release-writer connection
    "qa": {**ENV_COMMON, **RELEASE, **RELEASE_WRITER, BRANCH: 3, APPROVAL: 3, AUTH: 13},
    "prod": {**ENV_COMMON, **RELEASE, **RELEASE_WRITER, BRANCH: 4, APPROVAL: 3, LOCK: 1, AUTH: 13},
}


@pytest.fixture(scope="module", params=["shared", "dev", "qa", "prod"])
def stack(request):
    return request.param, Template.from_stack(request.param)


def _settings(stack: str):
    """The validated settings of ``stack`` (the models it serves filter the release events)."""
    from infra.engine import PROJECT_ROOT
    from infra.engine.project import load_project, load_stack_config
    from infra.settings import load_settings

    project = load_project(PROJECT_ROOT)
    config = load_stack_config(project, stack, None)
    return load_settings(config.values, project=project.name, stack=stack, file=config.file.name).settings


def _delivery(t: Template) -> list[dict]:
    """Resources of the delivery step: the ADO provider, the delivery components and their children."""
    urns = {r["urn"] for r in t.resources if r["type"].startswith("mlops:delivery:")}
    grown = True
    while grown:
        before = len(urns)
        urns |= {r["urn"] for r in t.resources if r["parent"] in urns}
        grown = len(urns) != before
    return [r for r in t.resources if r["urn"] in urns or r["type"] == "pulumi:providers:azuredevops"]


def test_exact_counts(stack):
    name, t = stack
    assert dict(Counter(r["type"] for r in _delivery(t))) == EXPECTED[name]


def test_every_devops_resource_uses_the_explicit_provider(stack):
    name, t = stack
    devops = [r for r in t.resources if r["type"].startswith("azuredevops:index/")]
    assert devops
    for resource in devops:
        assert f"pulumi:providers:azuredevops::azuredevops-{name}::" in (resource["provider"] or ""), (
            resource["name"]
        )
    provider = t.resource("pulumi:providers:azuredevops", f"azuredevops-{name}")
    assert provider["inputs"] == {"orgServiceUrl": "https://dev.azure.com/contoso"}


def test_wif_service_connection_and_federated_credential(stack):
    name, t = stack
    identity = t.has_resource_properties(
        "azure-native:managedidentity:UserAssignedIdentity", {"resourceName": f"id-mlops-deployer-{name}-weu"}
    )
    connection = t.has_resource_properties(
        SC,
        {
            "serviceEndpointName": f"mlops-estate-{name}",
            "serviceEndpointAuthenticationScheme": "WorkloadIdentityFederation",
            "credentials": Match.exact({"serviceprincipalid": identity["outputs"]["clientId"]}),
        },
    )
    t.has_resource_properties(
        FIC,
        {
            "issuer": connection["outputs"]["workloadIdentityFederationIssuer"],
            "subject": connection["outputs"]["workloadIdentityFederationSubject"],
            "audiences": ["api://AzureADTokenExchange"],
        },
    )
    t.has_output("devopsServiceConnection", f"mlops-estate-{name}")


def test_environment_checks(stack):
    name, t = stack
    env = t.has_resource_properties(ENV, {"name": f"mlops-{name}"})
    t.has_resource_properties(
        BRANCH,
        {"targetResourceId": env["id"], "allowedBranches": "refs/heads/main", "verifyBranchProtection": True},
    )
    connection = t.has_resource_properties(SC, {"serviceEndpointName": f"mlops-estate-{name}"})
    t.has_resource_properties(
        BRANCH,
        {
            "targetResourceId": connection["id"],
            "targetResourceType": "endpoint",
            "allowedBranches": "refs/heads/main",
        },
    )
    approvals = {"qa": (1440, 1), "prod": (2880, 2)}
    if name in approvals:
        timeout, minimum = approvals[name]
        t.has_resource_properties(
            APPROVAL,
            {
                "targetResourceId": env["id"],
                "targetResourceType": "environment",
                "timeout": timeout,
                "minimumRequiredApprovers": minimum,
                "approvers": [Match.string_like("^[0-9a-f-]{36}$")],
            },
        )
    else:
        t.resource_count_is(APPROVAL, 0)
    assert len(t.find_resources(LOCK)) == (1 if name in ("prod", "shared") else 0)


def test_agent_pools_per_environment(stack):
    name, t = stack
    sizes = {"dev": (0, 2, 15), "qa": (0, 2, 30), "prod": (1, 4, 30)}
    if name not in sizes:
        t.resource_count_is(POOL, 0)
        return
    idle, capacity, ttl = sizes[name]
    vmss = t.has_resource_properties(
        VMSS,
        {
            "vmScaleSetName": f"vmss-mlops-agents-{name}-weu",
            "overprovision": False,
            "upgradePolicy": {"mode": "Manual"},
            "sku": {"capacity": 0},
        },
    )
    subnet = vmss["inputs"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
        "ipConfigurations"
    ][0]["subnet"]["id"]
    assert subnet == t.resource("azure-native:network:Subnet", "network-agents")["id"]
    t.has_resource_properties(
        POOL,
        {
            "name": f"mlops-agents-{name}",
            "desiredIdle": idle,
            "maxCapacity": capacity,
            "timeToLiveMinutes": ttl,
            "azureResourceId": vmss["id"],
            "serviceEndpointId": t.resource(SC, "devops-environment-connection")["id"],
        },
    )


def test_release_stacks_export_the_release_pipeline(stack):
    name, t = stack
    # No event relay: the training run that registered a version queues the release itself.
    relays = [r["name"] for r in t.plan["resources"] if r["type"] == SUBSCRIPTION and "release" in r["name"]]
    assert relays == []  # the monitor and new-data subscriptions go to the retraining Function
    t.resource_count_is("azure-native:logic:Workflow", 0)
    if name in ("qa", "prod"):
        assert t.plan["outputs"]["releasePipelineId"]
    else:
        assert "releasePipelineId" not in t.plan["outputs"]


def test_shared_exports_what_environment_stacks_read(stack):
    name, t = stack
    if name != "shared":
        return
    t.has_output("devopsOrganizationUrl", "https://dev.azure.com/contoso")
    t.has_output("devopsProjectName", "mlops-estate")
    project = t.resource("azuredevops:index/project:Project", "devops-project-project")
    t.has_output("devopsProjectId", project["id"])
    ids = t.has_output("devopsPipelineIds")
    assert sorted(ids) == ["batch", "ci", "infra-deploy", "infra-preview", "release", "train"]
    assert {r["inputs"]["name"]: r["id"] for r in t.find_resources(BUILD)} == ids


def test_no_policy_violation_from_delivery(stack):
    name, t = stack
    urns = {r["urn"] for r in _delivery(t)}
    environment = name
    enforcement = "advisory" if name == "dev" else "mandatory"
    found = [v.to_json() for v in evaluate(t.resources, environment=environment, enforcement=enforcement)]
    assert [v for v in found if v["urn"] in urns] == []
