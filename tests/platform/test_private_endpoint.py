"""PrivateEndpoint helper: the endpoint, its one DNS zone group, and bad arguments."""

from __future__ import annotations

import pytest

from components.private_endpoint import GROUP_ZONES, PrivateEndpoint
from infra.errors import ConfigError
from tests.platform.platform_inputs import LA_ID, SUBNET_ID, zone_ids
from tests.support.template import Template

PE = "azure-native:network:PrivateEndpoint"
GROUP = "azure-native:network:PrivateDnsZoneGroup"
DIAG = "azure-native:monitor:DiagnosticSetting"
KV_ID = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-x"
MINIMAL = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "endpoint_name": "pe-kv-x",
    "subnet_id": SUBNET_ID,
    "target_id": KV_ID,
    "group_id": "vault",
    "dns_zone_ids": zone_ids("privatelink.vaultcore.azure.net"),
}


def build(**extra):
    return Template.from_function(lambda: PrivateEndpoint("kv", {**MINIMAL, **extra}))


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:private_endpoint:PrivateEndpoint": 1,
        "pulumi:pulumi:Stack": 1,
        PE: 1,
        GROUP: 1,
    }
    pe = t.resource(PE, "kv-pe")
    assert pe["inputs"] == {
        "privateEndpointName": "pe-kv-x",
        "customNetworkInterfaceName": "pe-kv-x-nic",
        "resourceGroupName": "rg-x",
        "location": "westeurope",
        "subnet": {"id": SUBNET_ID},
        "tags": {},
        "privateLinkServiceConnections": [
            {"name": "pe-kv-x", "privateLinkServiceId": KV_ID, "groupIds": ["vault"]}
        ],
    }
    group = t.resource(GROUP, "kv-dns")
    assert group["inputs"] == {
        "privateDnsZoneGroupName": "default",
        "privateEndpointName": "pe-kv-x",
        "resourceGroupName": "rg-x",
        "privateDnsZoneConfigs": [
            {
                "name": "privatelink-vaultcore-azure-net",
                "privateDnsZoneId": MINIMAL["dns_zone_ids"]["privatelink.vaultcore.azure.net"],
            }
        ],
    }
    assert pe["urn"] in group["dependencies"]


def test_max_workspace_endpoint_writes_both_zones_and_sends_metrics():
    zones = zone_ids(
        "privatelink.api.azureml.ms", "privatelink.notebooks.azure.net", "privatelink.blob.core.windows.net"
    )
    t = build(group_id="amlworkspace", dns_zone_ids=zones, log_analytics_id=LA_ID, tags={"environment": "qa"})
    configs = t.resource(GROUP, "kv-dns")["inputs"]["privateDnsZoneConfigs"]
    assert [c["privateDnsZoneId"] for c in configs] == [
        zones["privatelink.api.azureml.ms"],
        zones["privatelink.notebooks.azure.net"],
    ]
    diag = t.resource(DIAG, "kv-pe-diagnostics")["inputs"]
    assert diag["resourceUri"] == t.resource(PE, "kv-pe")["id"]
    assert diag["metrics"] == [{"category": "AllMetrics", "enabled": True}] and "logs" not in diag
    t.has_resource_properties(PE, {"tags": {"environment": "qa"}})


def test_waf_aligned_every_group_has_its_zones():
    assert GROUP_ZONES["amlregistry"] == ("privatelink.api.azureml.ms",)
    assert GROUP_ZONES["registry"] == ("privatelink.azurecr.io",)
    for group, zones in GROUP_ZONES.items():
        assert zones and all(z.startswith("privatelink.") for z in zones), group


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"group_id": "sql"},
            "PrivateEndpoint args.group_id: 'sql' is not a known private-link sub-resource",
        ),
        (
            {"group_id": "blob"},
            "PrivateEndpoint args.dns_zone_ids: has no id for privatelink.blob.core.windows.net",
        ),
        ({"target_id": ""}, "PrivateEndpoint args.target_id: is required"),
        ({"subnet": SUBNET_ID}, "PrivateEndpoint args.subnet: is not an argument of PrivateEndpoint"),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)


def test_an_endpoint_moved_from_another_parent_keeps_its_resources():
    """``moved_from``: both children alias their old parent; ``nic_name=None`` keeps Azure's NIC name."""
    import pulumi

    class Owner(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("mlops:test:Owner", "owner", {}, None)
            PrivateEndpoint(
                "kv",
                {**MINIMAL, "nic_name": None, "moved_from": self},
                opts=pulumi.ResourceOptions(parent=self),
            )

    t = Template.from_function(Owner)
    owner = t.resource("mlops:test:Owner", "owner")["urn"]
    moved = f"name=|type=|parent={owner}"
    for kind, name in ((PE, "kv-pe"), (GROUP, "kv-dns")):
        assert moved in t.resource(kind, name)["aliases"]
    assert "customNetworkInterfaceName" not in t.resource(PE, "kv-pe")["inputs"]
    assert not [a for a in build().resource(PE, "kv-pe")["aliases"] if "parent=urn" in a]
