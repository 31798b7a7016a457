"""Passing and failing cases of the cross-cutting security rules (policy/rules/security.py),
built with the real SDKs; tests/policy/test_rules.py runs them with the other rules' cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_azure_native as azure
import pulumi_azuredevops as ado
import pytest

from tests.policy.estate_fixtures import Providers
from tests.policy.harness import Program

if TYPE_CHECKING:
    from pulumi_databricks import JobGitSourceArgsDict

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg-estate"


def endpoint(access: str | None, kind: str = "Managed") -> Program:
    def program(providers: Providers, env: str) -> None:
        properties: azure.machinelearningservices.OnlineEndpointPropertiesArgsDict = {"auth_mode": "AADToken"}
        if access is not None:
            properties["public_network_access"] = access
        azure.machinelearningservices.OnlineEndpoint(
            "endpoint",
            endpoint_name="ep",
            resource_group_name="rg-estate",
            workspace_name="mlw",
            location="westeurope",
            kind=kind,
            identity={"type": "SystemAssigned"},
            properties=properties,
            opts=pulumi.ResourceOptions(provider=providers.azure()),
        )

    return program


def pool(recycle: bool) -> Program:
    def program(providers: Providers, env: str) -> None:
        ado.ElasticPool(
            "pool",
            name="mlops-agents",
            service_endpoint_id="se",
            service_endpoint_scope="p",
            azure_resource_id=f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss",
            desired_idle=0,
            max_capacity=2,
            recycle_after_each_use=recycle,
            opts=pulumi.ResourceOptions(provider=providers.ado()),
        )

    return program


def job(source: JobGitSourceArgsDict) -> Program:
    def program(providers: Providers, env: str) -> None:
        import pulumi_databricks as dbx

        dbx_provider = dbx.Provider("dbx", host="https://adb-1.2.azuredatabricks.net")
        dbx.Job(
            "job",
            name="batch",
            git_source=source,
            opts=pulumi.ResourceOptions(provider=dbx_provider),
        )

    return program


EP = "azure-native:machinelearningservices:OnlineEndpoint 'endpoint'"
PASSING: list[Any] = [
    pytest.param("ml-managed-endpoint-private", endpoint("Disabled"), "prod", id="endpoint-private"),
    pytest.param("ml-managed-endpoint-private", endpoint(None, "Kubernetes"), "prod", id="endpoint-aks"),
    pytest.param("ml-managed-endpoint-private", endpoint("Enabled"), "dev", id="endpoint-dev-public"),
    pytest.param("ado-agent-pool-recycles", pool(True), "prod", id="pool-recycles"),
    pytest.param(
        "databricks-job-pinned-source",
        job({"url": "https://x/repo", "provider": "gitHub", "commit": "a" * 40}),
        "prod",
        id="job-commit",
    ),
]
FAILING: list[Any] = [
    pytest.param(
        "ml-managed-endpoint-private",
        endpoint(None),
        "prod",
        [f'{EP}: `properties.publicNetworkAccess` is absent; expected "Disabled"'],
        id="endpoint-absent",
    ),
    pytest.param(
        "ml-managed-endpoint-private",
        endpoint("Enabled"),
        "qa",
        [f'{EP}: `properties.publicNetworkAccess` is "Enabled"; expected "Disabled"'],
        id="endpoint-public",
    ),
    pytest.param(
        "ado-agent-pool-recycles",
        pool(False),
        "prod",
        ["azuredevops:index/elasticPool:ElasticPool 'pool': `recycleAfterEachUse` is false; expected true"],
        id="pool-reuses",
    ),
    pytest.param(
        "databricks-job-pinned-source",
        job({"url": "https://x/repo", "provider": "gitHub", "branch": "main"}),
        "prod",
        [
            "databricks:index/job:Job 'job': `gitSource` is \"main\"; "
            "expected a commit or tag (a branch moves under the job)"
        ],
        id="job-branch",
    ),
]

PLAN_COVERED: frozenset[str] = frozenset({"ado-preview-identity-read-only", "prod-customer-managed-keys"})
"""Rules whose cases need resource outputs (client and principal ids) or several related resources,
which the SDK capture leaves unknown: tests/security/test_policy_rules.py and
tests/security/test_cmk.py run them on plan entries."""
