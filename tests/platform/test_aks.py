"""AksCluster component: defaults, max and WAF-aligned scenarios, and bad arguments."""

from __future__ import annotations

import json
from typing import cast

import pytest

from components import roles
from components.aks import AksCluster, AksClusterArgs
from infra.errors import ConfigError
from tests.platform.platform_inputs import LA_ID, SUB, SUBNET_ID, TENANT
from tests.support.template import Template

AKS = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
UAI = "azure-native:managedidentity:UserAssignedIdentity"
RA = "azure-native:authorization:RoleAssignment"
EXT = "azure-native:kubernetesconfiguration:Extension"
COMPUTE = "azure-native:machinelearningservices:Compute"
DIAG = "azure-native:monitor:DiagnosticSetting"
ACR_ID = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.ContainerRegistry/registries/crx1"
ADMINS = "11111111-2222-3333-4444-555555555555"
MINIMAL = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "subscription_id": SUB,
    "tenant_id": TENANT,
    "cluster_name": "aks-x",
    "identity_name": "id-aks-x",
    "subnet_id": SUBNET_ID,
    "log_analytics_id": LA_ID,
    "workspace_name": "mlw-x",
    "inference_hostname": "scoring.qa.mlops.internal",
    "system_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 1, "max_count": 3},
    "inference_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 1, "max_count": 5},
}


_BUILT: dict[str, Template] = {}


def build(**extra):
    """The plan of the component with ``extra`` args (built once per scenario in this module)."""
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    key = json.dumps(extra, sort_keys=True)
    if key not in _BUILT:
        _BUILT[key] = Template.from_function(
            lambda: AksCluster("aks", cast(AksClusterArgs, {**MINIMAL, **extra}))
        )
    return _BUILT[key]


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:aks:AksCluster": 1,
        "pulumi:pulumi:Stack": 1,
        UAI: 1,
        RA: 1,
        AKS: 1,
        POOL: 1,
        EXT: 1,
        COMPUTE: 1,
        DIAG: 1,
    }
    identity = t.resource(UAI, "aks-identity")
    cluster = t.resource(AKS, "aks-aks")
    inputs = cluster["inputs"]
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity["id"]]}
    assert (inputs["enableRBAC"], inputs["disableLocalAccounts"], inputs["publicNetworkAccess"]) == (
        True,
        True,
        "Disabled",
    )
    assert inputs["aadProfile"] == {
        "managed": True,
        "enableAzureRBAC": True,
        "tenantID": TENANT,
        "adminGroupObjectIDs": [],
    }
    assert inputs["apiServerAccessProfile"] == {
        "enablePrivateCluster": True,
        "privateDNSZone": "system",
        "enablePrivateClusterPublicFQDN": False,
        "disableRunCommand": True,
    }
    assert inputs["networkProfile"] == {
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "networkDataplane": "cilium",
        "networkPolicy": "cilium",
        "podCidr": "10.244.0.0/16",
        "serviceCidr": "10.0.0.0/16",
        "dnsServiceIP": "10.0.0.10",
        "loadBalancerSku": "standard",
        "outboundType": "userAssignedNATGateway",
    }
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"] == {
        "workloadIdentity": {"enabled": True},
        "imageCleaner": {"enabled": True, "intervalHours": 168},
        "defender": {"logAnalyticsWorkspaceResourceId": LA_ID, "securityMonitoring": {"enabled": True}},
    }
    assert inputs["addonProfiles"] == {
        "omsagent": {
            "enabled": True,
            "config": {"logAnalyticsWorkspaceResourceID": LA_ID, "useAADAuth": "true"},
        },
        "azurepolicy": {"enabled": True},
        "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true"}},
    }
    assert inputs["autoUpgradeProfile"] == {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "NodeImage"}
    assert inputs["sku"] == {"name": "Base", "tier": "Standard"}
    assert inputs["agentPoolProfiles"] == [
        {
            "osDiskType": "Ephemeral",
            "osDiskSizeGB": 64,
            "enableEncryptionAtHost": True,
            "name": "system",
            "mode": "System",
            "vmSize": "Standard_D4ds_v5",
            "count": 1,
            "minCount": 1,
            "maxCount": 3,
            "enableAutoScaling": True,
            "vnetSubnetID": SUBNET_ID,
            "osType": "Linux",
            "osSKU": "AzureLinux",
            "type": "VirtualMachineScaleSets",
            "maxPods": 110,
            "upgradeSettings": {"maxSurge": "33%"},
            "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"],
        }
    ]
    subnet_role = t.resource(RA, "aks-subnet-network")
    assert subnet_role["inputs"]["scope"] == SUBNET_ID
    assert subnet_role["inputs"]["roleDefinitionId"].endswith(roles.NETWORK_CONTRIBUTOR.guid)
    assert subnet_role["inputs"]["principalId"] == identity["outputs"]["principalId"]
    assert subnet_role["urn"] in cluster["dependencies"]
    t.has_resource_properties(
        POOL,
        {
            "agentPoolName": "inference",
            "resourceName": "aks-x",
            "mode": "User",
            "minCount": 1,
            "maxCount": 5,
            "count": 1,
            "enableAutoScaling": True,
            "nodeLabels": {"workload": "inference"},
            "vnetSubnetID": SUBNET_ID,
            "osDiskType": "Ephemeral",
            "enableEncryptionAtHost": True,
        },
    )


def test_opt_outs_are_explicit():
    t = build(
        defender=False, ephemeral_os_disk=False, outbound_type="userDefinedRouting", inference_router_ha=True
    )
    inputs = t.resource(AKS, "aks-aks")["inputs"]
    assert "defender" not in inputs["securityProfile"]
    assert inputs["networkProfile"]["outboundType"] == "userDefinedRouting"
    assert inputs["agentPoolProfiles"][0]["osDiskType"] == "Managed"
    assert inputs["agentPoolProfiles"][0]["enableEncryptionAtHost"] is True
    assert t.resource(EXT, "aks-azureml")["inputs"]["configurationSettings"]["inferenceRouterHA"] == "True"


def test_extension_and_workspace_attach():
    t = build()
    cluster = t.resource(AKS, "aks-aks")
    ext = t.resource(EXT, "aks-azureml")
    assert ext["inputs"]["extensionType"] == "Microsoft.AzureML.Kubernetes"
    assert (
        ext["inputs"]["clusterRp"],
        ext["inputs"]["clusterResourceName"],
        ext["inputs"]["clusterName"],
    ) == ("Microsoft.ContainerService", "managedClusters", "aks-x")
    assert ext["inputs"]["configurationSettings"] == {
        "enableTraining": "False",
        "enableInference": "True",
        "inferenceRouterServiceType": "LoadBalancer",
        "internalLoadBalancerProvider": "azure",
        "inferenceRouterHA": "False",
        "allowInsecureConnections": "False",
        "sslCname": "scoring.qa.mlops.internal",
        "sslSecret": "azureml-inference-tls",
        "clusterPurpose": "FastProd",
        "nodeSelector.workload": "inference",
    }
    assert t.resource(POOL, "aks-inference")["urn"] in ext["dependencies"]
    attach = t.resource(COMPUTE, "aks-attach")
    assert attach["inputs"]["computeName"] == "aks-inference"
    assert attach["inputs"]["workspaceName"] == "mlw-x"
    assert attach["inputs"]["properties"]["computeType"] == "Kubernetes"
    assert attach["inputs"]["properties"]["resourceId"] == cluster["id"]
    assert ext["urn"] in attach["dependencies"]


def test_max():
    t = build(
        gpu_pool={"vm_size": "Standard_NC4as_T4_v3", "min_count": 0, "max_count": 2},
        inference_pool={"vm_size": "Standard_D8ds_v5", "min_count": 3, "max_count": 6},
        admin_group_object_ids=[ADMINS],
        container_registry_id=ACR_ID,
        sku_tier="Free",
        pod_cidr="172.16.0.0/16",
        service_cidr="172.17.0.0/16",
        dns_service_ip="172.17.0.10",
        inference_tls_secret="fe-tls",
        compute_name="k8s-prod",
        tags={"environment": "prod"},
    )
    assert t.count_by_type()[POOL] == 2 and t.count_by_type()[RA] == 3
    t.has_resource_properties(
        POOL,
        {
            "agentPoolName": "gpu",
            "minCount": 0,
            "count": 0,
            "maxCount": 2,
            "nodeTaints": ["sku=gpu:NoSchedule"],
            "nodeLabels": {"workload": "inference", "accelerator": "nvidia"},
        },
    )
    cluster = t.resource(AKS, "aks-aks")
    assert cluster["inputs"]["aadProfile"]["adminGroupObjectIDs"] == [ADMINS]
    assert cluster["inputs"]["sku"]["tier"] == "Free"
    assert cluster["inputs"]["networkProfile"]["dnsServiceIP"] == "172.17.0.10"
    t.has_resource_properties(
        RA,
        {
            "scope": cluster["id"],
            "principalId": ADMINS,
            "principalType": "Group",
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{roles.AKS_RBAC_CLUSTER_ADMIN.guid}",
        },
    )
    kubelet = cluster["outputs"]["identityProfile"]["kubeletidentity"]["objectId"]
    t.has_resource_properties(
        RA,
        {
            "scope": ACR_ID,
            "principalId": kubelet,
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{roles.ACR_PULL.guid}",
        },
    )
    t.has_resource_properties(
        EXT, {"configurationSettings": {"inferenceRouterHA": "True", "sslSecret": "fe-tls"}}
    )
    t.has_resource_properties(COMPUTE, {"computeName": "k8s-prod", "tags": {"environment": "prod"}})


def test_waf_aligned_and_public_variant():
    t = build()
    diag = t.resource(DIAG, "aks-aks-diagnostics")["inputs"]
    assert diag["resourceUri"] == t.resource(AKS, "aks-aks")["id"] and diag["workspaceId"] == LA_ID
    public = build(private_cluster=False)
    public.has_resource_properties(
        AKS, {"publicNetworkAccess": "Enabled", "apiServerAccessProfile": {"enablePrivateCluster": False}}
    )
    assert "privateDNSZone" not in public.resource(AKS, "aks-aks")["inputs"]["apiServerAccessProfile"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"system_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 0, "max_count": 3}},
            "AksCluster args.system_pool.min_count: 0..3 is not a valid range (1 <= min_count",
        ),
        (
            {"inference_pool": {"vm_size": "Standard_D4ds_v5", "min_count": 4, "max_count": 2}},
            "AksCluster args.inference_pool.min_count: 4..2 is not a valid range",
        ),
        (
            {"gpu_pool": {"vm_size": "Standard_NC4as_T4_v3", "min_count": 0}},
            "AksCluster args.gpu_pool.max_count: is required",
        ),
        (
            {"gpu_pool": {"vm_size": "x", "min_count": 0, "max_count": 1, "taints": []}},
            "AksCluster args.gpu_pool.taints: is not a node pool argument",
        ),
        ({"sku_tier": "Premium"}, "AksCluster args.sku_tier: 'Premium' is not one of Free, Standard"),
        ({"inference_hostname": ""}, "AksCluster args.inference_hostname: is required"),
        ({"private": True}, "AksCluster args.private: is not an argument of AksCluster"),
        (
            {"outbound_type": "none"},
            "AksCluster args.outbound_type: 'none' is not one of userAssignedNATGateway, userDefinedRouting, loadBalancer",
        ),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)
