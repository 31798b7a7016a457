"""DevOpsEnvironment: WIF service connection + federated credential, least-privilege roles, Key Vault
variable group, the ADO environment and its checks, pipeline permissions."""

from __future__ import annotations

from typing import cast

import pytest

from components.devops_environment import RBAC_CONDITION, DevOpsEnvironment, DevOpsEnvironmentArgs
from infra.errors import ConfigError
from tests.support.template import ABSENT, Match, Template

UAI = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE_DEF = "azure-native:authorization:RoleDefinition"
ROLE = "azure-native:authorization:RoleAssignment"
SECRET = "azure-native:keyvault:Secret"
SC = "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM"
VG = "azuredevops:index/variableGroup:VariableGroup"
ENV = "azuredevops:index/environment:Environment"
APPROVAL = "azuredevops:index/checkApproval:CheckApproval"
BRANCH = "azuredevops:index/checkBranchControl:CheckBranchControl"
LOCK = "azuredevops:index/checkExclusiveLock:CheckExclusiveLock"
AUTH = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"
SUB = "6e4c2a0b-9d8f-4a7e-b5c3-3f2e1d0c9b87"
TENANT = "0f4b3c2a-7d18-4e9b-a6c5-2e1d9f8b7a60"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
KV = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-x"
TAGS = {
    "environment": "prod",
    "workload": "mlops",
    "owner": "o@x.com",
    "costCenter": "CC-1",
    "managedBy": "pulumi",
}


def build(**extra):
    def program():
        import pulumi_azuredevops as azuredevops

        provider = azuredevops.Provider("ado", org_service_url="https://dev.azure.com/contoso")
        # Tests feed untyped (also invalid) args on purpose: the component validates them.
        args = cast(
            DevOpsEnvironmentArgs,
            {
                "environment": "prod",
                "project_id": "p-1",
                "devops_provider": provider,
                "subscription_id": SUB,
                "subscription_name": "prod",
                "tenant_id": TENANT,
                "resource_group_name": "rg",
                "resource_group_id": RG,
                "location": "westeurope",
                "identity_name": "id-deployer",
                "default_branch": "main",
                **extra,
            },
        )
        DevOpsEnvironment("devops", args)

    return Template.from_function(program)


def _own(t: Template) -> dict[str, int]:
    return {k: v for k, v in t.count_by_type().items() if not k.startswith("pulumi:")}


def test_defaults():
    t = build()
    assert _own(t) == {
        "mlops:delivery:DevOpsEnvironment": 1,
        UAI: 2,
        FIC: 2,
        ROLE_DEF: 1,
        ROLE: 3,
        SC: 2,
        ENV: 1,
        BRANCH: 2,
    }
    identity = t.resource(UAI, "devops-identity")
    connection = t.has_resource_properties(
        SC,
        {
            "projectId": "p-1",
            "serviceEndpointName": "mlops-estate-prod",
            "serviceEndpointAuthenticationScheme": "WorkloadIdentityFederation",
            "credentials": Match.exact({"serviceprincipalid": identity["outputs"]["clientId"]}),
            "azurermSpnTenantid": TENANT,
            "azurermSubscriptionId": SUB,
            "environment": "AzureCloud",
            "features": {"validate": False},
        },
    )
    out = connection["outputs"]
    assert out["workloadIdentityFederationIssuer"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert out["workloadIdentityFederationSubject"].startswith("/eid1/c/pub/t/")
    assert out["workloadIdentityFederationSubject"].endswith(f"/{connection['id']}")
    t.has_resource_properties(
        FIC,
        {
            "resourceName": "id-deployer",
            "federatedIdentityCredentialResourceName": "ado-mlops-estate-prod",
            "issuer": out["workloadIdentityFederationIssuer"],
            "subject": out["workloadIdentityFederationSubject"],
            "audiences": ["api://AzureADTokenExchange"],
        },
    )
    env = t.has_resource_properties(ENV, {"name": "mlops-prod", "projectId": "p-1"})
    t.has_resource_properties(
        BRANCH,
        {
            "targetResourceId": connection["id"],
            "targetResourceType": "endpoint",
            "allowedBranches": "refs/heads/main",
            "verifyBranchProtection": True,
        },
    )
    t.has_resource_properties(
        BRANCH,
        {
            "targetResourceId": env["id"],
            "targetResourceType": "environment",
            "allowedBranches": "refs/heads/main",
            "verifyBranchProtection": True,
            "ignoreUnknownProtectionStatus": False,
        },
    )


def test_roles_are_least_privilege():
    t = build()
    scope = RG
    definition = t.has_resource_properties(
        ROLE_DEF,
        {
            "scope": scope,
            "roleName": "mlops-estate deployer (prod)",
            "roleType": "CustomRole",
            "assignableScopes": [scope],
        },
    )
    permissions = definition["inputs"]["permissions"][0]
    assert "*" not in permissions["actions"]
    assert "Microsoft.MachineLearningServices/*" in permissions["actions"]
    assert not any(
        a.startswith("Microsoft.Authorization/") and not a.endswith("/read") for a in permissions["actions"]
    )
    assert permissions["notActions"] == [
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/elevateAccess/Action",
    ]
    principal = t.resource(UAI, "devops-identity")["outputs"]["principalId"]
    t.has_resource_properties(
        ROLE,
        {
            "roleDefinitionId": definition["id"],
            "scope": scope,
            "principalId": principal,
            "principalType": "ServicePrincipal",
        },
    )
    rbac = t.has_resource_properties(
        ROLE,
        {
            "roleDefinitionId": Match.string_like("f58310d9-a9f6-439a-9e8d-f62e7b41a168$"),
            "conditionVersion": "2.0",
            "condition": RBAC_CONDITION,
        },
    )
    for guid in (
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "18d7d88d-d35e-4fb3-a5c3-7773c20a72d9",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    ):
        assert rbac["inputs"]["condition"].count(guid) == 2
    from infra.engine.policy_runner import evaluate

    found = {
        v.to_json()["policy"] for v in evaluate(t.resources, environment="prod", enforcement="mandatory")
    }
    assert "role-assignment-least-privilege" not in found
    assert not any(str(p).startswith("ado-") for p in found)


def test_max():
    t = build(
        key_vault_id=KV,
        key_vault_name="kv-x",
        key_vault_secrets={"appinsights-connection-string": "cs"},
        approval={
            "approver_ids": ["g-1"],
            "timeout_minutes": 2880,
            "min_approvers": 2,
            "instructions": "look",
        },
        exclusive_lock=True,
        tags=TAGS,
        pipeline_permissions={
            "release": ("7", ["endpoint", "environment", "variablegroup"]),
            "train": ("12", ["endpoint"]),
        },
    )
    assert _own(t) == {
        "mlops:delivery:DevOpsEnvironment": 1,
        UAI: 2,
        FIC: 2,
        ROLE_DEF: 1,
        ROLE: 4,
        SECRET: 1,
        SC: 2,
        VG: 1,
        ENV: 1,
        BRANCH: 2,
        APPROVAL: 2,
        LOCK: 1,
        AUTH: 4,
    }
    connection = t.resource(SC, "devops-connection")
    env = t.resource(ENV, "devops-environment")
    group = t.has_resource_properties(
        VG,
        {
            "name": "mlops-estate-prod-keyvault",
            "allowAccess": False,
            "keyVault": {"name": "kv-x", "serviceEndpointId": connection["id"]},
            "variables": [{"name": "appinsights-connection-string"}],
        },
    )
    t.has_resource_properties(
        SECRET,
        {
            "vaultName": "kv-x",
            "secretName": "appinsights-connection-string",
            "properties": "[secret]",
            "tags": TAGS,
        },
    )
    t.has_resource_properties(
        ROLE, {"scope": KV, "roleDefinitionId": Match.string_like("4633458b-17de-408a-b874-0445c86b69e6$")}
    )
    t.has_resource_properties(
        APPROVAL,
        {
            "targetResourceId": env["id"],
            "targetResourceType": "environment",
            "approvers": ["g-1"],
            "minimumRequiredApprovers": 2,
            "timeout": 2880,
            "requesterCanApprove": False,
            "instructions": "look",
        },
    )
    t.has_resource_properties(
        APPROVAL,
        {
            "targetResourceId": connection["id"],
            "targetResourceType": "endpoint",
            "approvers": ["g-1"],
            "minimumRequiredApprovers": 2,
            "requesterCanApprove": False,
        },
    )
    t.has_resource_properties(
        LOCK, {"targetResourceId": env["id"], "targetResourceType": "environment", "timeout": 43200}
    )
    t.has_resource_properties(AUTH, {"type": "endpoint", "resourceId": connection["id"], "pipelineId": 7})
    t.has_resource_properties(AUTH, {"type": "environment", "resourceId": env["id"], "pipelineId": 7})
    t.has_resource_properties(AUTH, {"type": "variablegroup", "resourceId": group["id"], "pipelineId": 7})
    t.has_resource_properties(AUTH, {"type": "endpoint", "resourceId": connection["id"], "pipelineId": 12})
    t.all_resources_properties(UAI, {"tags": TAGS})


def test_waf_aligned_no_secret_in_the_connection():
    t = build(approval={"approver_ids": ["g-1"]}, exclusive_lock=True, tags=TAGS)
    connection = t.resource(SC, "devops-connection")["inputs"]
    assert connection["credentials"].get("serviceprincipalkey", ABSENT) is ABSENT
    assert "serviceprincipalcertificate" not in connection["credentials"]
    from infra.engine.policy_runner import evaluate

    found = [v.to_json() for v in evaluate(t.resources, environment="prod", enforcement="mandatory")]
    assert {v["policy"] for v in found} == {"explicit-provider"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"environment": "test"},
            "DevOpsEnvironment args.environment: 'test' is not one of shared, dev, qa, prod",
        ),
        (
            {"key_vault_id": KV, "key_vault_secrets": {"a": "b"}},
            "DevOpsEnvironment args.key_vault_name: is required with key_vault_id",
        ),
        (
            {"key_vault_id": KV, "key_vault_name": "kv-x"},
            "DevOpsEnvironment args.key_vault_secrets: needs at least one secret",
        ),
        ({"key_vault_secrets": {"a": "b"}}, "DevOpsEnvironment args.key_vault_secrets: needs key_vault_id"),
        (
            {"approval": {"approver_ids": []}},
            "DevOpsEnvironment args.approval.approver_ids: needs at least one approver",
        ),
        (
            {"approval": {"approver_ids": ["g"], "timeout_minutes": 1}},
            "DevOpsEnvironment args.approval.timeout_minutes: 1 must be 5-43200",
        ),
        (
            {"pipeline_permissions": {"ci": ("1", ["queue"])}},
            "DevOpsEnvironment args.pipeline_permissions.ci: ['queue'] are not resource types",
        ),
        (
            {"pipeline_permissions": {"ci": ("1", ["variablegroup"])}},
            "DevOpsEnvironment args.pipeline_permissions.ci: asks for the variable group, which needs key_vault_id",
        ),
        (
            {"pipeline_permissions": {"train": ("1", ["jobs-endpoint"])}},
            "DevOpsEnvironment args.pipeline_permissions.train: asks for the jobs-endpoint, which needs jobs",
        ),
        (
            {"pipeline_permissions": {"release": ("1", ["release-endpoint"])}},
            "DevOpsEnvironment args.pipeline_permissions.release: asks for the release-endpoint, which needs release_writer",
        ),
        ({"jobs": {"identity_name": "id-jobs"}}, "DevOpsEnvironment args.workspace_id: is required"),
        ({"tenant_id": ""}, "DevOpsEnvironment args.tenant_id: is required"),
        ({"resource_group_id": None}, "DevOpsEnvironment args.resource_group_id: is required"),
    ],
)
def test_bad_args(extra, message):
    with pytest.raises(ConfigError) as err:
        build(**extra)
    assert message in str(err.value)
