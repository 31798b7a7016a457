"""Databricks workspaces (environment + central registry) and the Data Factory batch scheduler."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import pytest

from components.data_factory import BatchScheduler, BatchSchedulerArgs
from components.databricks import (
    CentralRegistryWorkspace,
    CentralRegistryWorkspaceArgs,
    DatabricksWorkspace,
    DatabricksWorkspaceArgs,
)
from infra.errors import ConfigError
from tests.support.template import ABSENT, Template

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-x"
VNET = f"{SUB}/providers/Microsoft.Network/virtualNetworks/vnet-x"
LA = f"{SUB}/providers/Microsoft.OperationalInsights/workspaces/log-x"
KV = f"{SUB}/providers/Microsoft.KeyVault/vaults/kv-x"
WORKSPACE = "azure-native:databricks:Workspace"
JOB = "databricks:index/job:Job"
PERMISSIONS = "databricks:index/permissions:Permissions"
REPO = "https://dev.azure.com/contoso/mlops-estate/_git/mlops-estate"


# Tests feed untyped (also invalid) args on purpose: the components validate them.
def workspace(args: Mapping[str, object]) -> DatabricksWorkspace:
    return DatabricksWorkspace("databricks", cast(DatabricksWorkspaceArgs, dict(args)))


def registry_workspace(args: Mapping[str, object]) -> CentralRegistryWorkspace:
    return CentralRegistryWorkspace("registry", cast(CentralRegistryWorkspaceArgs, dict(args)))


def scheduler(args: Mapping[str, object]) -> BatchScheduler:
    return BatchScheduler("data-factory", cast(BatchSchedulerArgs, dict(args)))


MINIMAL: dict[str, Any] = {
    "resource_group_name": "rg-x",
    "resource_group_id": SUB,
    "location": "westeurope",
    "workspace_name": "dbw-x",
    "identity_name": "id-dbx",
    "vnet_id": VNET,
    "public_subnet_id": f"{VNET}/subnets/snet-dbx-public",
    "private_subnet_id": f"{VNET}/subnets/snet-dbx-private",
    "log_analytics_id": LA,
    "key_vault_id": KV,
    "key_vault_uri": "https://kv-x.vault.azure.net/",
    "environment": "prod",
    "private_endpoint_subnet_id": f"{VNET}/subnets/snet-pe",
}
JOBS = {
    "churn_byom": {"entry": "model_assets/churn_byom/src/score.py", "parameters": ["--model", "churn_byom"]}
}

_cache: dict[str, Template] = {}


def env_workspace(kind: str) -> Template:
    if kind not in _cache:
        args = dict(MINIMAL)
        if kind == "max":
            args.update(
                batch_jobs=JOBS,
                repository_url=REPO,
                private_dns_zone_id=f"{SUB}/z",
                max_workers=8,
                node_types=["Standard_D8ds_v5", "Standard_D4ds_v5"],
                tags={"environment": "prod"},
            )
        _cache[kind] = Template.from_function(lambda: workspace(args))
    return _cache[kind]


def test_environment_workspace_defaults():
    t = env_workspace("min")
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:databricks:DatabricksWorkspace": 1,
        WORKSPACE: 1,
        "azure-native:monitor:DiagnosticSetting": 1,
        "mlops:private_endpoint:PrivateEndpoint": 1,
        "azure-native:network:PrivateEndpoint": 1,
        "azure-native:managedidentity:UserAssignedIdentity": 1,
        "pulumi:providers:databricks": 1,
        "databricks:index/clusterPolicy:ClusterPolicy": 1,
        "databricks:index/secretScope:SecretScope": 1,
        "databricks:index/servicePrincipal:ServicePrincipal": 1,
        PERMISSIONS: 1,
    }
    t.has_resource_properties(
        WORKSPACE,
        {
            "workspaceName": "dbw-x",
            "sku": {"name": "premium"},
            "computeMode": "Hybrid",
            "publicNetworkAccess": "Disabled",
            "requiredNsgRules": "NoAzureDatabricksRules",
            "managedResourceGroupId": f"{SUB.rsplit('/', 1)[0]}/databricks-rg-dbw-x",
            "parameters": {
                "enableNoPublicIp": {"value": True},
                "requireInfrastructureEncryption": {"value": True},
                "customVirtualNetworkId": {"value": VNET},
                "customPublicSubnetName": {"value": "snet-dbx-public"},
                "customPrivateSubnetName": {"value": "snet-dbx-private"},
            },
        },
    )
    t.has_resource_properties(
        "azure-native:network:PrivateEndpoint",
        {"privateLinkServiceConnections": [{"groupIds": ["databricks_ui_api"]}]},
    )


def test_provider_is_built_from_the_workspace_and_used_by_every_object():
    t = env_workspace("max")
    workspace = t.resource(WORKSPACE, "databricks-workspace")
    provider = t.resource("pulumi:providers:databricks", "databricks-provider")
    assert provider["inputs"]["host"] == f"https://{workspace['outputs']['workspaceUrl']}"
    assert provider["inputs"]["azureWorkspaceResourceId"] == workspace["id"]
    assert workspace["urn"] in provider["dependencies"]
    objects = [r for r in t.resources if r["type"].startswith("databricks:index/")]
    assert len(objects) == 6 and all(r["provider"].startswith(provider["urn"] + "::") for r in objects)


def test_batch_job_policy_scope_and_permissions():
    t = env_workspace("max")
    runner = t.resource("azure-native:managedidentity:UserAssignedIdentity", "databricks-job-runner")
    app_id = runner["outputs"]["clientId"]
    policy = t.resource("databricks:index/clusterPolicy:ClusterPolicy", "databricks-batch-policy")
    definition = json.loads(policy["inputs"]["definition"])
    assert definition["cluster_type"] == {"type": "allowlist", "values": ["job"]}
    assert definition["node_type_id"] == {
        "type": "allowlist",
        "values": ["Standard_D8ds_v5", "Standard_D4ds_v5"],
        "defaultValue": "Standard_D8ds_v5",
    }
    assert definition["autoscale.max_workers"]["maxValue"] == 8
    assert definition["data_security_mode"] == {"type": "fixed", "value": "SINGLE_USER"}
    job = t.resource(JOB, "databricks-churn_byom-batch-inference")["inputs"]
    assert job["name"] == "churn_byom-batch-inference" and job["maxConcurrentRuns"] == 1
    assert job["gitSource"] == {"url": REPO, "provider": "azureDevOpsServices", "branch": "main"}
    assert job["tasks"] == [
        {
            "taskKey": "score",
            "jobClusterKey": "batch",
            "sparkPythonTask": {
                "pythonFile": "model_assets/churn_byom/src/score.py",
                "source": "GIT",
                "parameters": ["--model", "churn_byom"],
            },
        }
    ]
    cluster = job["jobClusters"][0]["newCluster"]
    assert cluster["policyId"] == policy["outputs"]["policyId"] and cluster["singleUserName"] == app_id
    assert job["runAs"] == {"servicePrincipalName": app_id}
    scope = t.resource("databricks:index/secretScope:SecretScope", "databricks-keyvault-scope")["inputs"]
    assert scope["keyvaultMetadata"] == {"resourceId": KV, "dnsName": "https://kv-x.vault.azure.net/"}
    grants = {
        (p["inputs"].get("jobId", ABSENT) is not ABSENT, p["inputs"]["accessControls"][0]["permissionLevel"])
        for p in t.find_resources(PERMISSIONS)
    }
    assert grants == {(True, "CAN_MANAGE_RUN"), (False, "CAN_USE")}
    for p in t.find_resources(PERMISSIONS):
        assert p["inputs"]["accessControls"][0]["servicePrincipalName"] == app_id
    assert t.count_by_type()["azure-native:network:PrivateDnsZoneGroup"] == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            {"private_endpoint_subnet_id": None},
            "DatabricksWorkspace args.private_endpoint_subnet_id: is required",
        ),
        ({"batch_jobs": JOBS}, "DatabricksWorkspace args.repository_url: is required with batch_jobs"),
        ({"max_workers": 0}, "DatabricksWorkspace args.max_workers: 0 is not 1-100"),
        ({"node_types": []}, "DatabricksWorkspace args.node_types: needs at least one VM size"),
        ({"vnet_id": ""}, "DatabricksWorkspace args.vnet_id: is required"),
    ],
)
def test_bad_workspace_arguments(change, needle):
    args = {**MINIMAL, **change}
    with pytest.raises(ConfigError) as caught:
        Template.from_function(lambda: workspace(args))
    assert needle in str(caught.value)


def test_public_workspace_has_no_private_endpoint():
    args = {**MINIMAL, "public_network_access": True}
    t = Template.from_function(lambda: workspace(args))
    assert "azure-native:network:PrivateEndpoint" not in t.count_by_type()
    t.has_resource_properties(WORKSPACE, {"publicNetworkAccess": "Enabled", "requiredNsgRules": "AllRules"})


def test_central_registry_workspace_forbids_compute():
    args = {
        "resource_group_name": "rg-x",
        "resource_group_id": SUB,
        "location": "westeurope",
        "workspace_name": "dbw-registry",
        "log_analytics_id": LA,
        "catalog": "mlops_models",
    }
    t = Template.from_function(lambda: registry_workspace(args))
    counts = t.count_by_type()
    assert {k: v for k, v in counts.items() if k.startswith("databricks:")} == {
        "databricks:index/entitlements:Entitlements": 1,
        "databricks:index/group:Group": 1,
        "databricks:index/clusterPolicy:ClusterPolicy": 1,
        PERMISSIONS: 1,
        "databricks:index/catalog:Catalog": 1,
        "databricks:index/schema:Schema": 1,
        "databricks:index/grants:Grants": 2,
    }
    assert JOB not in counts and "databricks:index/cluster:Cluster" not in counts
    t.has_resource_properties(
        "databricks:index/entitlements:Entitlements",
        {"allowClusterCreate": False, "allowInstancePoolCreate": False, "databricksSqlAccess": False},
    )
    policy = t.resource("databricks:index/clusterPolicy:ClusterPolicy", "registry-personal-compute")
    assert policy["inputs"]["policyFamilyId"] == "personal-vm"
    permissions = t.resource(PERMISSIONS, "registry-personal-compute-permissions")["inputs"]
    assert permissions["clusterPolicyId"] == policy["id"]
    assert permissions["accessControls"] == [{"groupName": "registry-admins", "permissionLevel": "CAN_USE"}]
    t.has_resource_properties(
        "databricks:index/schema:Schema", {"catalogName": "mlops_models", "name": "models"}
    )
    grants = {
        json.dumps(g["inputs"]["grants"], sort_keys=True)
        for g in t.find_resources("databricks:index/grants:Grants")
    }
    assert grants == {
        json.dumps(
            [{"principal": "mlops-registry-readers", "privileges": ["USE_CATALOG", "BROWSE"]}], sort_keys=True
        ),
        json.dumps(
            [{"principal": "mlops-registry-readers", "privileges": ["USE_SCHEMA", "EXECUTE"]}], sort_keys=True
        ),
    }
    t.has_resource_properties(
        WORKSPACE, {"parameters": {"enableNoPublicIp": {"value": True}}, "sku": {"name": "premium"}}
    )
    with pytest.raises(ConfigError, match="public_network_access: false needs VNet injection"):
        Template.from_function(lambda: registry_workspace({**args, "public_network_access": False}))
    with pytest.raises(
        ConfigError, match="readers_group: 'account users' would open the catalog to everyone"
    ):
        Template.from_function(lambda: registry_workspace({**args, "readers_group": "account users"}))


ADF: dict[str, Any] = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "factory_name": "adf-x",
    "runner_identity_id": f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-dbx",
    "databricks_workspace_id": f"{SUB}/providers/Microsoft.Databricks/workspaces/dbw-x",
    "databricks_workspace_url": "adb-1.2.azuredatabricks.net",
    "log_analytics_id": LA,
    "job_ids": {"churn_byom": "123456", "fraud_rules": "654321"},
    "schedule": {"frequency": "Day", "hour_utc": 3},
}


def test_data_factory_runs_each_job_with_managed_identity():
    t = Template.from_function(lambda: scheduler(ADF))
    counts = t.count_by_type()
    assert {k: v for k, v in counts.items() if k.startswith("azure-native:")} == {
        "azure-native:datafactory:Factory": 1,
        "azure-native:monitor:DiagnosticSetting": 1,
        "azure-native:datafactory:CredentialOperation": 1,
        "azure-native:datafactory:LinkedService": 1,
        "azure-native:datafactory:Pipeline": 2,
        "azure-native:datafactory:Trigger": 2,
    }
    t.has_resource_properties(
        "azure-native:datafactory:Factory",
        {
            "publicNetworkAccess": "Disabled",
            "identity": {
                "type": "SystemAssigned,UserAssigned",
                "userAssignedIdentities": [ADF["runner_identity_id"]],
            },
        },
    )
    linked = t.resource("azure-native:datafactory:LinkedService", "data-factory-databricks")["inputs"][
        "properties"
    ]
    assert linked == {
        "type": "AzureDatabricks",
        "authentication": "MSI",
        "domain": "https://adb-1.2.azuredatabricks.net",
        "workspaceResourceId": ADF["databricks_workspace_id"],
        "credential": {"referenceName": "databricks-job-runner", "type": "CredentialReference"},
        "description": "Databricks workspace, managed identity authentication (no tokens)",
    }
    assert "accessToken" not in json.dumps(linked)
    pipeline = t.resource("azure-native:datafactory:Pipeline", "data-factory-churn_byom-pipeline")["inputs"]
    assert (
        pipeline["activities"][0]["type"] == "DatabricksJob"
        and pipeline["activities"][0]["jobId"] == "123456"
    )
    assert pipeline["activities"][0]["linkedServiceName"] == {
        "referenceName": "databricks",
        "type": "LinkedServiceReference",
    }
    trigger = t.resource("azure-native:datafactory:Trigger", "data-factory-churn_byom-schedule")["inputs"][
        "properties"
    ]
    assert trigger["recurrence"] == {
        "frequency": "Day",
        "interval": 1,
        "startTime": "2026-01-01T00:00:00Z",
        "timeZone": "UTC",
        "schedule": {"hours": [3], "minutes": [0]},
    }
    assert trigger["pipelines"] == [
        {"pipelineReference": {"referenceName": "churn_byom-batch-inference", "type": "PipelineReference"}}
    ]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            {"schedule": {"frequency": "Month"}},
            "BatchScheduler args.schedule.frequency: 'Month' is not Hour, Day or Week",
        ),
        ({"schedule": {"frequency": "Day", "hour_utc": 25}}, "BatchScheduler args.schedule.hour_utc: 25"),
        ({"job_ids": None}, "BatchScheduler args.job_ids: is required"),
    ],
)
def test_bad_factory_arguments(change, needle):
    args = {**ADF, **change}
    with pytest.raises(ConfigError) as caught:
        Template.from_function(lambda: scheduler(args))
    assert needle in str(caught.value)


def test_private_workspace_provider_waits_for_its_private_endpoint_and_dns_zone_group():
    """First deploy: the provider's REST calls resolve the workspace URL through the private zone."""
    t = env_workspace("max")
    provider = t.resource("pulumi:providers:databricks", "databricks-provider")
    endpoint = t.resource("azure-native:network:PrivateEndpoint", "databricks-ui-api-pe")
    zone_group = t.resource("azure-native:network:PrivateDnsZoneGroup", "databricks-ui-api-dns")
    assert endpoint["urn"] in provider["dependencies"]
    assert zone_group["urn"] in provider["dependencies"]


def test_batch_jobs_run_a_pinned_commit_when_given():
    args = dict(MINIMAL)
    commit = "0123456789abcdef0123456789abcdef01234567"
    args.update(batch_jobs=JOBS, repository_url=REPO, repository_commit=commit)
    t = Template.from_function(lambda: workspace(args))
    job = t.resource(JOB, "databricks-churn_byom-batch-inference")["inputs"]
    assert job["gitSource"] == {"url": REPO, "provider": "azureDevOpsServices", "commit": commit}
