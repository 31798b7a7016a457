"""MlWorkspace component: defaults, max and WAF-aligned scenarios, the dev variant, and bad arguments."""

from __future__ import annotations

import json
from typing import cast

import pytest

from components import roles
from components.ml_workspace import MlWorkspace, MlWorkspaceArgs
from infra.errors import ConfigError
from tests.platform.platform_inputs import AI_ID, LA_ID, REGISTRY_ID, SUB, SUBNET_ID, TENANT, zone_ids
from tests.support.template import ABSENT, Match, Template

KV = "azure-native:keyvault:Vault"
ST = "azure-native:storage:StorageAccount"
CR = "azure-native:containerregistry:Registry"
MLW = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"
RA = "azure-native:authorization:RoleAssignment"
DIAG = "azure-native:monitor:DiagnosticSetting"
PE = "azure-native:network:PrivateEndpoint"
GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONES = zone_ids(
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
    "privatelink.azurecr.io",
)
READER_ROLE = (
    "/subscriptions/5c1f8a2e-6b3d-4f70-9e21-a8d4c0b7e513/providers/Microsoft.Authorization/roleDefinitions/r1"
)
MINIMAL = {
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
}
LIFECYCLE = {"protect": True, "retain_on_delete": True}


_BUILT: dict[str, Template] = {}


def build(**extra):
    """The plan of the component with ``extra`` args (built once per scenario in this module)."""
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    key = json.dumps(extra, sort_keys=True)
    if key not in _BUILT:
        _BUILT[key] = Template.from_function(
            lambda: MlWorkspace("ws", cast(MlWorkspaceArgs, {**MINIMAL, **extra}))
        )
    return _BUILT[key]


def role_id(role: roles.Role) -> str:
    return f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}"


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:ml_workspace:MlWorkspace": 1,
        "pulumi:pulumi:Stack": 1,
        KV: 1,
        ST: 1,
        CR: 1,
        MLW: 1,
        COMPUTE: 1,
        RA: 7,
        DIAG: 8,
    }
    assert t.resource(KV, "ws-kv")["inputs"]["properties"] == {
        "tenantId": TENANT,
        "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": True,
        "enablePurgeProtection": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enabledForDeployment": False,
        "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {
            "defaultAction": "Deny",
            "bypass": "AzureServices",
            "ipRules": [],
            "virtualNetworkRules": [],
        },
    }
    t.has_resource_properties(
        ST,
        {
            "accountName": "stx",
            "kind": "StorageV2",
            "sku": {"name": "Standard_ZRS"},
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "allowCrossTenantReplication": False,
            "defaultToOAuthAuthentication": True,
            "enableHttpsTrafficOnly": True,
            "minimumTlsVersion": "TLS1_2",
            "isHnsEnabled": False,
            "isLocalUserEnabled": False,
            "isSftpEnabled": False,
            "publicNetworkAccess": "Disabled",
            "networkRuleSet": {
                "defaultAction": "Deny",
                "bypass": "AzureServices",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "encryption": {"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": True},
        },
    )
    t.has_resource_properties(
        CR,
        {
            "registryName": "crxprod1",
            "sku": {"name": "Premium"},
            "adminUserEnabled": False,
            "anonymousPullEnabled": False,
            "publicNetworkAccess": "Disabled",
            "zoneRedundancy": "Enabled",
            "networkRuleSet": {"defaultAction": "Deny"},
            "policies": {
                "exportPolicy": {"status": "disabled"},
                "retentionPolicy": {"status": "enabled", "days": 7},
                "quarantinePolicy": {"status": "disabled"},
                "trustPolicy": {"status": "disabled", "type": "Notary"},
            },
        },
    )
    kv, st, cr = (t.resource(KV, "ws-kv")["id"], t.resource(ST, "ws-st")["id"], t.resource(CR, "ws-cr")["id"])
    ws = t.resource(MLW, "ws-mlw")["inputs"]
    assert {k: ws[k] for k in ("keyVault", "storageAccount", "containerRegistry", "applicationInsights")} == {
        "keyVault": kv,
        "storageAccount": st,
        "containerRegistry": cr,
        "applicationInsights": AI_ID,
    }
    assert (
        ws["publicNetworkAccess"],
        ws["systemDatastoresAuthMode"],
        ws["hbiWorkspace"],
        ws["identity"],
    ) == ("Disabled", "identity", False, {"type": "SystemAssigned"})
    assert ws["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert "firewallSku" not in ws["managedNetwork"]
    assert {
        name: (r["destination"]["serviceResourceId"], r["destination"]["subresourceTarget"])
        for name, r in ws["managedNetwork"]["outboundRules"].items()
    } == {
        "storage-blob": (st, "blob"),
        "storage-file": (st, "file"),
        "key-vault": (kv, "vault"),
        "container-registry": (cr, "registry"),
    }
    t.has_resource_properties(
        COMPUTE,
        {
            "computeName": "cpu-training",
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "computeType": "AmlCompute",
                "disableLocalAuth": True,
                "properties": {
                    "vmSize": "Standard_DS3_v2",
                    "vmPriority": "Dedicated",
                    "osType": "Linux",
                    "enableNodePublicIp": False,
                    "remoteLoginPortPublicAccess": "Disabled",
                    "scaleSettings": {
                        "minNodeCount": 0,
                        "maxNodeCount": 4,
                        "nodeIdleTimeBeforeScaleDown": "PT30M",
                    },
                },
            },
        },
    )
    for type_ in (KV, ST, CR, MLW):
        t.has_resource(type_, {"protect": False, "retainOnDelete": False})
    assert t.find_resources(PE) == []


def test_role_assignments_are_least_privilege_and_named():
    t = build()
    st, kv, cr = t.resource(ST, "ws-st")["id"], t.resource(KV, "ws-kv")["id"], t.resource(CR, "ws-cr")["id"]
    ws_principal = t.resource(MLW, "ws-mlw")["outputs"]["identity"]["principalId"]
    cluster_principal = t.resource(COMPUTE, "ws-training")["outputs"]["identity"]["principalId"]
    got = {
        (r["inputs"]["scope"], r["inputs"]["roleDefinitionId"], r["inputs"]["principalId"])
        for r in t.find_resources(RA)
    }
    assert got == {
        (st, role_id(roles.STORAGE_BLOB_DATA_CONTRIBUTOR), ws_principal),
        (st, role_id(roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR), ws_principal),
        (kv, role_id(roles.KEY_VAULT_SECRETS_OFFICER), ws_principal),
        (cr, role_id(roles.ACR_PUSH), ws_principal),
        (st, role_id(roles.STORAGE_BLOB_DATA_CONTRIBUTOR), cluster_principal),
        (kv, role_id(roles.KEY_VAULT_SECRETS_USER), cluster_principal),
        (cr, role_id(roles.ACR_PULL), cluster_principal),
    }
    t.all_resources_properties(
        RA,
        {
            "principalType": "ServicePrincipal",
            "roleAssignmentName": Match.string_like(r"^[0-9a-f-]{36}$"),
            "description": Match.string_like(r"^[A-Za-z ]+: .{20,}"),
        },
    )
    assert len({r["inputs"]["roleAssignmentName"] for r in t.find_resources(RA)}) == 7


def test_max():
    t = build(
        public_network_access=False,
        isolation_mode="AllowOnlyApprovedOutbound",
        hbi=True,
        outbound_fqdns=["pypi.org", "files.pythonhosted.org"],
        storage_sku="Standard_GZRS",
        private_endpoints={"subnet_id": SUBNET_ID, "dns_zone_ids": ZONES},
        registry_access={"registry_id": REGISTRY_ID, "role_definition_id": READER_ROLE},
        data_scientists_group_id="11111111-2222-3333-4444-555555555555",
        training_cluster={
            "name": "gpu",
            "vm_size": "Standard_NC6s_v3",
            "min_nodes": 0,
            "max_nodes": 8,
            "idle_minutes_before_scale_down": 10,
        },
        tags={"environment": "prod"},
        lifecycle=LIFECYCLE,
    )
    counts = t.count_by_type()
    assert (counts[RA], counts[PE], counts[GROUP], counts["mlops:private_endpoint:PrivateEndpoint"]) == (
        10,
        5,
        5,
        5,
    )
    assert counts[DIAG] == 8 + 5
    ws = t.resource(MLW, "ws-mlw")["inputs"]
    assert ws["hbiWorkspace"] is True and ws["imageBuildCompute"] == "gpu"
    assert ws["managedNetwork"]["firewallSku"] == "Basic"
    assert ws["managedNetwork"]["outboundRules"]["model-registry"] == {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {
            "serviceResourceId": REGISTRY_ID,
            "subresourceTarget": "amlregistry",
            "sparkEnabled": False,
        },
    }
    assert ws["managedNetwork"]["outboundRules"]["fqdn-2"] == {
        "type": "FQDN",
        "category": "UserDefined",
        "destination": "files.pythonhosted.org",
    }
    targets = {
        (r["inputs"]["privateEndpointName"], r["inputs"]["privateLinkServiceConnections"][0]["groupIds"][0])
        for r in t.find_resources(PE)
    }
    assert targets == {
        ("pe-mlw-x", "amlworkspace"),
        ("pe-kv-x", "vault"),
        ("pe-stx-blob", "blob"),
        ("pe-stx-file", "file"),
        ("pe-crxprod1", "registry"),
    }
    registry_grants = [r for r in t.find_resources(RA) if r["inputs"]["scope"] == REGISTRY_ID]
    assert [r["inputs"]["roleDefinitionId"] for r in registry_grants] == [READER_ROLE, READER_ROLE]
    t.has_resource_properties(
        RA,
        {
            "principalType": "Group",
            "principalId": "11111111-2222-3333-4444-555555555555",
            "roleDefinitionId": role_id(roles.AZUREML_DATA_SCIENTIST),
            "scope": t.resource(MLW, "ws-mlw")["id"],
        },
    )
    t.has_resource_properties(
        COMPUTE,
        {
            "properties": {
                "properties": {
                    "scaleSettings": {
                        "minNodeCount": 0,
                        "maxNodeCount": 8,
                        "nodeIdleTimeBeforeScaleDown": "PT10M",
                    }
                }
            }
        },
    )
    t.has_resource_properties(ST, {"sku": {"name": "Standard_GZRS"}, "tags": {"environment": "prod"}})


def test_waf_aligned_private_and_protected():
    t = build(
        private_endpoints={"subnet_id": SUBNET_ID, "dns_zone_ids": ZONES},
        registry_access={"registry_id": REGISTRY_ID, "role_definition_id": READER_ROLE},
        lifecycle=LIFECYCLE,
    )
    for type_ in (KV, ST, CR, MLW):
        t.has_resource(type_, {"protect": True, "retainOnDelete": True})
    t.has_resource(COMPUTE, {"protect": False, "retainOnDelete": False})
    for type_ in (KV, ST, CR, MLW):
        resource = t.find_resources(type_)[0]
        assert (
            resource["inputs"].get("publicNetworkAccess")
            or resource["inputs"]["properties"]["publicNetworkAccess"]
        ) == "Disabled"
    covered = {d["inputs"]["resourceUri"] for d in t.find_resources(DIAG)}
    assert {t.find_resources(x)[0]["id"] for x in (KV, ST, CR, MLW)} <= covered
    st = t.resource(ST, "ws-st")["id"]
    assert {
        f"{st}/{svc}/default" for svc in ("blobServices", "fileServices", "queueServices", "tableServices")
    } <= covered


def test_dev_variant_public_basic_acr():
    t = build(
        public_network_access=True,
        isolation_mode="AllowInternetOutbound",
        container_registry_sku="Basic",
        storage_sku="Standard_LRS",
    )
    t.has_resource_properties(
        CR,
        {
            "sku": {"name": "Basic"},
            "publicNetworkAccess": "Enabled",
            "zoneRedundancy": "Disabled",
            "policies": ABSENT,
            "networkRuleSet": ABSENT,
        },
    )
    t.has_resource_properties(
        MLW, {"publicNetworkAccess": "Enabled", "managedNetwork": {"isolationMode": "AllowInternetOutbound"}}
    )
    t.has_resource_properties(
        KV, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Deny"}}}
    )
    t.has_resource_properties(
        ST, {"publicNetworkAccess": "Enabled", "networkRuleSet": {"defaultAction": "Deny"}}
    )


def test_public_premium_registry_keeps_export_enabled():
    t = build(public_network_access=True)
    t.has_resource_properties(CR, {"policies": {"exportPolicy": {"status": "enabled"}}})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"isolation_mode": "Disabled"}, "MlWorkspace args.isolation_mode: 'Disabled' is not one of"),
        (
            {
                "container_registry_sku": "Basic",
                "private_endpoints": {"subnet_id": SUBNET_ID, "dns_zone_ids": ZONES},
            },
            "MlWorkspace args.container_registry_sku: 'Basic': private endpoints need Premium",
        ),
        ({"storage_sku": "Premium_LRS"}, "MlWorkspace args.storage_sku: 'Premium_LRS' is not one of"),
        (
            {"training_cluster": {"name": "c", "min_nodes": 3, "max_nodes": 2}},
            "MlWorkspace args.training_cluster.min_nodes: 3..2 is not a valid range",
        ),
        (
            {"training_cluster": {"name": "c", "nodes": 2}},
            "MlWorkspace args.training_cluster.nodes: is not an argument",
        ),
        ({"training_cluster": {}}, "MlWorkspace args.training_cluster.name: is required"),
        (
            {"isolation_mode": "AllowInternetOutbound", "outbound_fqdns": ["pypi.org"]},
            "MlWorkspace args.outbound_fqdns: FQDN rules only apply with isolation_mode AllowOnlyApprovedOutbound",
        ),
        (
            {"registry_access": {"registry_id": REGISTRY_ID}},
            "MlWorkspace args.registry_access.role_definition_id: is required",
        ),
        ({"key_vault_name": ""}, "MlWorkspace args.key_vault_name: is required"),
        ({"public": True}, "MlWorkspace args.public: is not an argument of MlWorkspace"),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)
