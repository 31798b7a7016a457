"""The platform components against the policy pack: the production shape passes every rule,
a deliberately weakened one fails with the rule's message."""

from __future__ import annotations

from components.aks import AksCluster, AksClusterArgs
from components.common import LifecycleArgs
from components.ml_workspace import MlWorkspace, MlWorkspaceArgs
from components.registry import MlRegistry
from infra.engine.policy_runner import evaluate
from tests.platform.platform_inputs import AI_ID, LA_ID, REGISTRY_ID, SUB, SUBNET_ID, TENANT, zone_ids
from tests.support.template import Template

LIFECYCLE: LifecycleArgs = {"protect": True, "retain_on_delete": True}
TAGS: dict[str, str] = {
    "environment": "prod",
    "workload": "mlops",
    "owner": "platform@contoso.com",
    "costCenter": "CC-1",
    "managedBy": "pulumi:mlops-estate",
}
READER = (
    "/subscriptions/5c1f8a2e-6b3d-4f70-9e21-a8d4c0b7e513/providers/Microsoft.Authorization/roleDefinitions/r1"
)
WORKSPACE: MlWorkspaceArgs = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "subscription_id": SUB,
    "tenant_id": TENANT,
    "workspace_name": "mlw-x",
    "key_vault_name": "kv-x",
    "storage_account_name": "stx",
    "container_registry_name": "crxprod1",
    "app_insights_id": AI_ID,
    "log_analytics_id": LA_ID,
    "training_cluster": {"name": "cpu-training"},
    "private_endpoints": {
        "subnet_id": SUBNET_ID,
        "dns_zone_ids": zone_ids(
            "privatelink.api.azureml.ms",
            "privatelink.notebooks.azure.net",
            "privatelink.blob.core.windows.net",
            "privatelink.file.core.windows.net",
            "privatelink.vaultcore.azure.net",
            "privatelink.azurecr.io",
        ),
    },
    "registry_access": {"registry_id": REGISTRY_ID, "role_definition_id": READER},
    "tags": TAGS,
    "lifecycle": LIFECYCLE,
}
AKS: AksClusterArgs = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "subscription_id": SUB,
    "tenant_id": TENANT,
    "cluster_name": "aks-x",
    "identity_name": "id-aks-x",
    "subnet_id": SUBNET_ID,
    "log_analytics_id": LA_ID,
    "workspace_name": "mlw-x",
    "inference_hostname": "scoring.prod.mlops.internal",
    "system_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 2, "max_count": 3},
    "inference_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 2, "max_count": 6},
    "tags": TAGS,
}


def prod_findings(fn) -> list[tuple[str, str]]:
    """Policies violated by what ``fn`` builds, judged as a prod stack with mandatory enforcement.

    Component previews use the engine's default provider, so the explicit-provider rule (a
    composition concern, checked on the real stacks) is left out.
    """
    plan = Template.from_function(fn).plan
    return sorted(
        (v.policy, v.message)
        for v in evaluate(plan["resources"], environment="prod", enforcement="mandatory")
        if v.policy != "explicit-provider"
    )


def test_production_shapes_pass_every_rule():
    assert prod_findings(lambda: MlWorkspace("ws", WORKSPACE)) == []
    assert prod_findings(lambda: AksCluster("aks", AKS)) == []
    assert (
        prod_findings(
            lambda: MlRegistry(
                "reg",
                {
                    "resource_group_name": "rg-s",
                    "resource_group_id": f"/subscriptions/{SUB}/resourceGroups/rg-s",
                    "subscription_id": SUB,
                    "location": "westeurope",
                    "registry_name": "mlr-x",
                    "log_analytics_id": LA_ID,
                    "tags": {**TAGS, "environment": "prod"},
                    "lifecycle": LIFECYCLE,
                },
            )
        )
        == []
    )


def test_public_workspace_fails_in_prod_with_the_rules_messages():
    found = prod_findings(lambda: MlWorkspace("ws", {**WORKSPACE, "public_network_access": True}))
    assert (
        "aml-workspace-public-access-disabled",
        "azure-native:machinelearningservices:Workspace 'ws-mlw': `publicNetworkAccess` is \"Enabled\"; "
        'expected "Disabled" (required outside dev; stack environment is prod)',
    ) in found
    assert (
        "keyvault-public-access-disabled",
        "azure-native:keyvault:Vault 'ws-kv': `properties.publicNetworkAccess` is \"Enabled\"; "
        'expected "Disabled" (required outside dev; stack environment is prod)',
    ) in found
    assert (
        "acr-export-policy-disabled",
        "azure-native:containerregistry:Registry 'ws-cr': `policies.exportPolicy.status` is \"enabled\"; "
        'expected "disabled"',
    ) in found


def test_unprotected_internet_outbound_workspace_fails_in_prod():
    found = prod_findings(
        lambda: MlWorkspace("ws", {**WORKSPACE, "isolation_mode": "AllowInternetOutbound", "lifecycle": {}})
    )
    policies = [p for p, _ in found]
    assert policies.count("protect-stateful-resources") == 4
    assert policies.count("retain-stateful-resources") == 4
    assert (
        "aml-workspace-managed-network-isolation",
        "azure-native:machinelearningservices:Workspace 'ws-mlw': `managedNetwork.isolationMode` is "
        '"AllowInternetOutbound"; expected "AllowOnlyApprovedOutbound"',
    ) in found


def test_public_aks_fails_in_prod():
    found = prod_findings(lambda: AksCluster("aks", {**AKS, "private_cluster": False}))
    assert found == [
        (
            "aks-private-cluster",
            "azure-native:containerservice:ManagedCluster 'aks-aks': `apiServerAccessProfile.enablePrivateCluster` "
            "is false; expected true (required outside dev; stack environment is prod)",
        )
    ]
