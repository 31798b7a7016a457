"""MlRegistry component: defaults, max and WAF-aligned scenarios, and bad arguments."""

from __future__ import annotations

from typing import cast

import pytest

from components import roles
from components.registry import MlRegistry, MlRegistryArgs
from infra.errors import ConfigError
from tests.platform.platform_inputs import LA_ID, SUB
from tests.support.template import Template

MLR = "azure-native:machinelearningservices:Registry"
ROLE = "azure-native:authorization:RoleDefinition"
DIAG = "azure-native:monitor:DiagnosticSetting"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-s"
MINIMAL = {
    "resource_group_name": "rg-s",
    "resource_group_id": RG_ID,
    "subscription_id": SUB,
    "location": "westeurope",
    "registry_name": "mlr-x",
    "log_analytics_id": LA_ID,
}


def build(**extra):
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    return Template.from_function(lambda: MlRegistry("reg", cast(MlRegistryArgs, {**MINIMAL, **extra})))


def region(location: str, sku: str = "Standard_LRS") -> dict:
    return {
        "location": location,
        "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
        "storageAccountDetails": [
            {
                "systemCreatedStorageAccount": {
                    "allowBlobPublicAccess": False,
                    "storageAccountHnsEnabled": False,
                    "storageAccountType": sku,
                }
            }
        ],
    }


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:registry:MlRegistry": 1,
        "pulumi:pulumi:Stack": 1,
        MLR: 1,
        ROLE: 1,
        DIAG: 1,
    }
    assert t.resource(MLR, "reg-mlr")["inputs"] == {
        "registryName": "mlr-x",
        "resourceGroupName": "rg-s",
        "location": "westeurope",
        "tags": {},
        "identity": {"type": "SystemAssigned"},
        "publicNetworkAccess": "Disabled",
        "regionDetails": [region("westeurope")],
    }
    diag = t.resource(DIAG, "reg-mlr-diagnostics")["inputs"]
    assert diag["resourceUri"] == t.resource(MLR, "reg-mlr")["id"] and "metrics" not in diag
    role = t.resource(ROLE, "reg-reader-role")["inputs"]
    assert role["permissions"] == [
        {
            "actions": list(roles.REGISTRY_READER_ACTIONS),
            "notActions": [],
            "dataActions": [],
            "notDataActions": [],
        }
    ]
    assert (role["scope"], role["assignableScopes"]) == (RG_ID, [RG_ID])
    assert role["roleName"] == "AzureML Registry Reader (mlops-estate) mlr-x"
    t.has_resource(MLR, {"protect": False, "retainOnDelete": False})


def test_outputs_name_both_roles_in_the_registry_subscription():
    t = Template.from_function(lambda: _export(MlRegistry("reg", cast(MlRegistryArgs, MINIMAL))))
    guid = t.resource(ROLE, "reg-reader-role")["inputs"]["roleDefinitionId"]
    assert (
        t.plan["outputs"]["reader"]
        == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
    assert t.plan["outputs"]["writer"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{roles.AZUREML_REGISTRY_USER.guid}"
    )
    assert t.plan["outputs"]["location"] == "westeurope"


def _export(registry: MlRegistry) -> None:
    import pulumi

    pulumi.export("reader", registry.reader_role_definition_id)
    pulumi.export("writer", registry.writer_role_definition_id)
    pulumi.export("location", registry.registry_location)


def test_max():
    t = build(
        regions=["northeurope", "swedencentral"],
        public_network_access=True,
        storage_sku="Standard_ZRS",
        tags={"environment": "shared"},
        lifecycle={"protect": True, "retain_on_delete": True},
    )
    t.has_resource_properties(
        MLR,
        {
            "publicNetworkAccess": "Enabled",
            "tags": {"environment": "shared"},
            "regionDetails": [
                region("westeurope", "Standard_ZRS"),
                region("northeurope", "Standard_ZRS"),
                region("swedencentral", "Standard_ZRS"),
            ],
        },
    )
    t.has_resource(MLR, {"protect": True, "retainOnDelete": True})


def test_waf_aligned():
    t = build(regions=["northeurope"], lifecycle={"protect": True, "retain_on_delete": True})
    t.has_resource_properties(
        MLR, {"publicNetworkAccess": "Disabled", "identity": {"type": "SystemAssigned"}}
    )
    t.has_resource(MLR, {"protect": True, "retainOnDelete": True})
    actions = t.resource(ROLE, "reg-reader-role")["inputs"]["permissions"][0]["actions"]
    assert all(a.endswith("/read") for a in actions)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"regions": ["westeurope"]}, "MlRegistry args.regions: lists the primary location 'westeurope'"),
        ({"regions": ["northeurope", "northeurope"]}, "MlRegistry args.regions: lists a region twice"),
        ({"storage_sku": "Premium_LRS"}, "MlRegistry args.storage_sku: 'Premium_LRS' is not one of"),
        ({"registry_name": ""}, "MlRegistry args.registry_name: is required"),
        ({"region": "x"}, "MlRegistry args.region: is not an argument of MlRegistry"),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)
