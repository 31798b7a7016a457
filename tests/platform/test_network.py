"""Network component: defaults, max and WAF-aligned scenarios, and bad arguments."""

from __future__ import annotations

from typing import cast

import pytest

from components.network import PRIVATE_DNS_ZONES, Network, NetworkArgs
from infra.errors import ConfigError
from tests.platform.platform_inputs import LA_ID
from tests.support.template import ABSENT, Template

VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
NAT = "azure-native:network:NatGateway"
PIP = "azure-native:network:PublicIPAddress"
DIAG = "azure-native:monitor:DiagnosticSetting"


def subnet(role: str, prefix: str) -> dict[str, str]:
    return {"name": f"snet-{role}", "address_prefix": prefix, "nsg_name": f"nsg-{role}"}


BASE_SUBNETS = {
    "privateEndpoints": subnet("pe", "10.10.0.0/24"),
    "agents": subnet("agents", "10.10.1.0/24"),
    "functions": subnet("func", "10.10.2.0/26"),
}
MINIMAL = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "vnet_name": "vnet-x",
    "address_space": "10.10.0.0/16",
    "subnets": BASE_SUBNETS,
    "log_analytics_id": LA_ID,
}
ALL_SUBNETS = {
    **BASE_SUBNETS,
    "aks": subnet("aks", "10.10.4.0/22"),
    "databricksPublic": subnet("dbw-host", "10.10.8.0/24"),
    "databricksPrivate": subnet("dbw-container", "10.10.9.0/24"),
}


def build(**extra):
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    return Template.from_function(lambda: Network("net", cast(NetworkArgs, {**MINIMAL, **extra})))


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:network:Network": 1,
        "pulumi:pulumi:Stack": 1,
        VNET: 1,
        SUBNET: 3,
        NSG: 3,
        ZONE: len(PRIVATE_DNS_ZONES),
        LINK: len(PRIVATE_DNS_ZONES),
        DIAG: 4,
    }
    t.has_resource_properties(
        VNET,
        {
            "virtualNetworkName": "vnet-x",
            "addressSpace": {"addressPrefixes": ["10.10.0.0/16"]},
            "enableDdosProtection": False,
            "tags": {},
        },
    )
    t.has_resource(VNET, {"ignoreChanges": ["subnets"]})
    nsg = t.resource(NSG, "net-privateEndpoints-nsg")
    t.has_resource_properties(
        SUBNET,
        {
            "subnetName": "snet-pe",
            "addressPrefix": "10.10.0.0/24",
            "defaultOutboundAccess": False,
            "privateEndpointNetworkPolicies": "Enabled",
            "networkSecurityGroup": {"id": nsg["id"]},
            "natGateway": ABSENT,
            "delegations": ABSENT,
        },
    )
    assert "natGateway" not in t.resource(SUBNET, "net-agents")["inputs"]
    t.has_resource_properties(
        SUBNET,
        {
            "subnetName": "snet-func",
            "delegations": [
                {"name": "Microsoft.Web.serverFarms", "serviceName": "Microsoft.Web/serverFarms"}
            ],
        },
    )
    assert nsg["inputs"]["securityRules"] == [
        {
            "name": "deny-internet-inbound",
            "description": "Nothing in this subnet is reachable from the internet.",
            "priority": 4096,
            "direction": "Inbound",
            "access": "Deny",
            "protocol": "*",
            "sourceAddressPrefix": "Internet",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": "*",
        }
    ]
    assert sorted(r["inputs"]["privateZoneName"] for r in t.find_resources(ZONE)) == sorted(PRIVATE_DNS_ZONES)
    vnet = t.resource(VNET, "net-vnet")
    t.all_resources_properties(ZONE, {"location": "global"})
    t.all_resources_properties(
        LINK,
        {
            "location": "global",
            "registrationEnabled": False,
            "virtualNetwork": {"id": vnet["id"]},
            "virtualNetworkLinkName": "vnet-x",
        },
    )


def test_subnets_are_created_one_after_another():
    t = build(subnets=ALL_SUBNETS)
    order = ["privateEndpoints", "agents", "functions", "aks", "databricksPublic", "databricksPrivate"]
    urns = {role: t.resource(SUBNET, f"net-{role}")["urn"] for role in order}
    assert not set(urns.values()) & set(t.resource(SUBNET, "net-privateEndpoints")["dependencies"])
    for before, after in zip(order[:-1], order[1:], strict=True):
        assert urns[before] in t.resource(SUBNET, f"net-{after}")["dependencies"], (before, after)


def test_max():
    zones = [*PRIVATE_DNS_ZONES, "privatelink.azuredatabricks.net", "privatelink.datafactory.azure.net"]
    t = build(
        subnets=ALL_SUBNETS, private_dns_zones=zones, nat_gateway_name="ng-x", tags={"environment": "prod"}
    )
    counts = t.count_by_type()
    assert (counts[SUBNET], counts[NSG], counts[ZONE], counts[LINK], counts[NAT], counts[PIP]) == (
        6,
        6,
        12,
        12,
        1,
        1,
    )
    assert counts[DIAG] == 1 + 6 + 1  # VNet, NSGs, public IP
    nat = t.resource(NAT, "net-nat")
    pip = t.resource(PIP, "net-nat-ip")
    assert nat["inputs"]["publicIpAddresses"] == [{"id": pip["id"]}]
    assert pip["inputs"]["sku"] == {"name": "Standard", "tier": "Regional"}
    for role in ("agents", "functions", "databricksPublic", "databricksPrivate", "aks"):
        assert t.resource(SUBNET, f"net-{role}")["inputs"]["natGateway"] == {"id": nat["id"]}
    assert "natGateway" not in t.resource(SUBNET, "net-privateEndpoints")["inputs"]
    for role in ("databricksPublic", "databricksPrivate"):
        assert t.resource(SUBNET, f"net-{role}")["inputs"]["delegations"] == [
            {"name": "Microsoft.Databricks.workspaces", "serviceName": "Microsoft.Databricks/workspaces"}
        ]
    t.all_resources_properties(NSG, {"tags": {"environment": "prod"}})


def test_waf_aligned_diagnostics_and_nsg_on_every_subnet():
    t = build(subnets=ALL_SUBNETS)
    nsg_ids = {r["id"] for r in t.find_resources(NSG)}
    assert {s["inputs"]["networkSecurityGroup"]["id"] for s in t.find_resources(SUBNET)} == nsg_ids
    t.all_resources_properties(SUBNET, {"defaultOutboundAccess": False})
    targets = {d["inputs"]["resourceUri"]: d["inputs"] for d in t.find_resources(DIAG)}
    assert set(targets) == nsg_ids | {t.resource(VNET, "net-vnet")["id"]}
    for nsg_id in nsg_ids:
        assert "metrics" not in targets[nsg_id]  # NSGs have logs, no platform metrics
        assert targets[nsg_id]["workspaceId"] == LA_ID


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"address_space": "10.10.0.1/16"}, "Network args.address_space: '10.10.0.1/16' is not an IPv4 CIDR"),
        (
            {"subnets": {**BASE_SUBNETS, "agents": subnet("agents", "10.10.0.128/25")}},
            "Network args.subnets.agents.address_prefix: 10.10.0.128/25 overlaps subnets.privateEndpoints 10.10.0.0/24",
        ),
        (
            {"subnets": {**BASE_SUBNETS, "functions": subnet("func", "10.99.2.0/26")}},
            "Network args.subnets.functions.address_prefix: 10.99.2.0/26 is outside address_space 10.10.0.0/16",
        ),
        (
            {"subnets": {k: v for k, v in BASE_SUBNETS.items() if k != "agents"}},
            "Network args.subnets.agents: is required",
        ),
        (
            {"subnets": {**BASE_SUBNETS, "gateway": subnet("gw", "10.10.3.0/24")}},
            "Network args.subnets.gateway: is not a subnet role",
        ),
        (
            {"subnets": {**BASE_SUBNETS, "databricksPublic": subnet("dbw", "10.10.8.0/24")}},
            "Network args.subnets: databricksPublic and databricksPrivate go together",
        ),
        (
            {"private_dns_zones": ["privatelink.example.com"]},
            "Network args.private_dns_zones: 'privatelink.example.com' is not a private-link zone the estate uses",
        ),
        ({"vnet_name": ""}, "Network args.vnet_name: is required"),
        ({"dns_zones": []}, "Network args.dns_zones: is not an argument of Network"),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)
