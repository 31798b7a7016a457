"""The platform in the real stacks: exact counts of its resources, dev vs qa/prod shape, protection,
registry access per environment, outputs, and zero policy violations from platform resources."""

from __future__ import annotations

import pytest

from components import roles
from infra.engine import preview
from tests.support.template import Template

pytestmark = pytest.mark.slow

MINE = (
    "mlops:network:Network",
    "mlops:ml_workspace:MlWorkspace",
    "mlops:aks:AksCluster",
    "mlops:registry:MlRegistry",
    "mlops:private_endpoint:PrivateEndpoint",
)
SHARED_SUB = "5c1f8a2e-6b3d-4f70-9e21-a8d4c0b7e513"


@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:
    return {stack: preview(stack) for stack in ("shared", "dev", "qa", "prod")}


def mine(plan: dict) -> Template:
    """The platform's part of a plan: its top-level components and everything under them (the
    first type of a URN's type chain is the top-level ancestor's)."""
    return Template(
        {**plan, "resources": [r for r in plan["resources"] if _top_level_type(r["urn"]) in MINE]}
    )


def _top_level_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[0]


NETWORK_QA = {
    "azure-native:network:VirtualNetwork": 1,
    "azure-native:network:Subnet": 4,
    "azure-native:network:NetworkSecurityGroup": 4,
    "azure-native:network:NatGateway": 1,
    "azure-native:network:PublicIPAddress": 1,
    "azure-native:privatedns:PrivateZone": 10,
    "azure-native:privatedns:VirtualNetworkLink": 10,
}
WORKSPACE = {
    "azure-native:keyvault:Vault": 1,
    "azure-native:storage:StorageAccount": 1,
    "azure-native:containerregistry:Registry": 1,
    "azure-native:machinelearningservices:Workspace": 1,
}
AKS = {
    "azure-native:containerservice:ManagedCluster": 1,
    "azure-native:containerservice:AgentPool": 1,
    "azure-native:kubernetesconfiguration:Extension": 1,
    "azure-native:managedidentity:UserAssignedIdentity": 1,
}


def test_exact_platform_counts_per_stack(plans):
    shared = mine(plans["shared"]).count_by_type()
    assert shared == {
        "mlops:registry:MlRegistry": 1,
        "azure-native:machinelearningservices:Registry": 1,
        "azure-native:authorization:RoleDefinition": 1,
        "azure-native:monitor:DiagnosticSetting": 1,
    }
    dev = mine(plans["dev"]).count_by_type()
    assert dev == {
        "mlops:network:Network": 1,
        "mlops:ml_workspace:MlWorkspace": 1,
        # no private endpoints in dev, so no private DNS zones either
        **{k: v for k, v in NETWORK_QA.items() if not k.startswith("azure-native:privatedns:")},
        "azure-native:network:Subnet": 3,
        "azure-native:network:NetworkSecurityGroup": 3,
        **WORKSPACE,
        "azure-native:machinelearningservices:Compute": 1,
        "azure-native:authorization:RoleAssignment": 9,
        "azure-native:monitor:DiagnosticSetting": 5 + 8,
    }
    qa = mine(plans["qa"]).count_by_type()
    assert qa == {
        "mlops:network:Network": 1,
        "mlops:ml_workspace:MlWorkspace": 1,
        "mlops:aks:AksCluster": 1,
        "mlops:private_endpoint:PrivateEndpoint": 6,
        **NETWORK_QA,
        # qa runs batch too: Databricks host/container subnets and their NSGs, Databricks and
        # Data Factory private DNS zones with their VNet links
        "azure-native:network:Subnet": 6,
        "azure-native:network:NetworkSecurityGroup": 6,
        "azure-native:privatedns:PrivateZone": 13,
        "azure-native:privatedns:VirtualNetworkLink": 13,
        **WORKSPACE,
        **AKS,
        "azure-native:network:PrivateEndpoint": 6,
        "azure-native:network:PrivateDnsZoneGroup": 6,
        "azure-native:machinelearningservices:Compute": 2,
        "azure-native:authorization:RoleAssignment": 9 + 2,
        "azure-native:monitor:DiagnosticSetting": 6 + 8 + 6 + 1 + 2,
    }
    prod = mine(plans["prod"]).count_by_type()
    assert prod["azure-native:network:Subnet"] == 6  # + Databricks host/container subnets
    assert prod["azure-native:privatedns:PrivateZone"] == 13  # + Databricks and Data Factory zones
    assert prod["azure-native:network:PrivateEndpoint"] == 6


def test_contract_outputs(plans):
    shared = plans["shared"]["outputs"]
    assert shared["registryName"] == "mlr-mlops-weu-" + shared["registryName"].rsplit("-", 1)[1]
    assert shared["registryId"].startswith(
        f"/subscriptions/{SHARED_SUB}/resourceGroups/rg-mlops-shared-weu/providers/"
        "Microsoft.MachineLearningServices/registries/mlr-mlops-"
    )
    assert shared["registryLocation"] == "westeurope"
    assert shared["registryWriterRoleDefinitionId"] == (
        f"/subscriptions/{SHARED_SUB}/providers/Microsoft.Authorization/roleDefinitions/{roles.AZUREML_REGISTRY_USER.guid}"
    )
    for stack in ("dev", "qa", "prod"):
        outputs = plans[stack]["outputs"]
        assert {
            "vnetId",
            "workspaceName",
            "workspaceId",
            "trainingComputeName",
            "keyVaultUri",
            "registryWriter",
        } <= set(outputs)
        assert outputs["trainingComputeName"] == "cpu-training"
        assert outputs["registryWriter"] is (stack == "dev")
    assert plans["prod"]["outputs"]["kubernetesComputeName"] == "aks-inference"
    assert "kubernetesComputeName" not in plans["dev"]["outputs"]


def test_dev_is_the_cheap_open_variant(plans):
    t = mine(plans["dev"])
    t.has_resource_properties(
        "azure-native:machinelearningservices:Workspace",
        {"publicNetworkAccess": "Enabled", "managedNetwork": {"isolationMode": "AllowInternetOutbound"}},
    )
    t.has_resource_properties("azure-native:containerregistry:Registry", {"sku": {"name": "Basic"}})
    t.has_resource_properties("azure-native:storage:StorageAccount", {"sku": {"name": "Standard_LRS"}})
    t.has_resource_properties(
        "azure-native:machinelearningservices:Compute",
        {"properties": {"properties": {"scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2}}}},
    )
    assert not [r["name"] for r in t.resources if r["protect"] or r["retainOnDelete"]]


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_prod_are_private_and_protected(plans, stack):
    t = mine(plans[stack])
    for type_ in WORKSPACE:
        t.has_resource(type_, {"protect": True, "retainOnDelete": True})
    t.has_resource_properties(
        "azure-native:machinelearningservices:Workspace",
        {"publicNetworkAccess": "Disabled", "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}},
    )
    t.has_resource_properties(
        "azure-native:containerservice:ManagedCluster",
        {"apiServerAccessProfile": {"enablePrivateCluster": True}, "publicNetworkAccess": "Disabled"},
    )
    groups = {
        r["inputs"]["privateLinkServiceConnections"][0]["groupIds"][0]
        for r in t.find_resources("azure-native:network:PrivateEndpoint")
    }
    assert groups == {"amlworkspace", "vault", "blob", "file", "registry", "amlregistry"}
    mine(plans["shared"]).has_resource(
        "azure-native:machinelearningservices:Registry", {"protect": True, "retainOnDelete": True}
    )


def test_registry_access_per_environment(plans):
    registry_id = plans["shared"]["outputs"]["registryId"]
    reader = plans["shared"]["outputs"]["registryReaderRoleDefinitionId"]
    writer = plans["shared"]["outputs"]["registryWriterRoleDefinitionId"]
    for stack, expected in (("dev", writer), ("qa", reader), ("prod", reader)):
        grants = [
            r
            for r in mine(plans[stack]).find_resources("azure-native:authorization:RoleAssignment")
            if r["inputs"]["scope"] == registry_id
        ]
        assert [g["inputs"]["roleDefinitionId"] for g in grants] == [expected, expected], stack
        assert grants[0]["provider"].split("::")[-2].endswith(f"azure-{stack}"), stack


@pytest.mark.parametrize("stack", ["shared", "qa", "prod"])
def test_no_policy_violation_from_platform_resources(plans, stack):
    urns = {r["urn"] for r in mine(plans[stack]).resources}
    assert [v for v in plans[stack]["policy"]["violations"] if v["urn"] in urns or v["urn"] is None] == []


def test_dev_advisory_findings_are_the_documented_dev_choices(plans):
    urns = {r["urn"] for r in mine(plans["dev"]).resources}
    found = sorted(v["policy"] for v in plans["dev"]["policy"]["violations"] if v["urn"] in urns)
    assert found == ["acr-export-policy-disabled", "aml-workspace-managed-network-isolation"]
    assert plans["dev"]["policy"]["enforcement"] == "advisory"
