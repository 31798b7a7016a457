"""The private network of an environment: VNet, subnets with NSGs, NAT, private DNS zones.

Secure defaults: every subnet has a network security group (with an explicit deny of inbound
internet traffic) and no default outbound access; subnets that must reach the internet
(build agents, the Function App's VNet integration) go out through a NAT gateway. Private
DNS zones for every private-link service the estate uses are linked to the VNet so private
endpoints resolve inside it. Subnets are created one after another: Azure serialises writes
to one VNet and parallel subnet PUTs fail with ``AnotherOperationInProgress``
(pulumi/pulumi-azure-native#1024).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network, privatedns

from components import dns_zones
from components.common import arg_error, check_unknown_args, require
from components.diagnostics import send_to_log_analytics

COMPONENT = "Network"

SUBNET_ROLES: tuple[str, ...] = (
    "privateEndpoints",
    "agents",
    "functions",
    "aks",
    "databricksPublic",
    "databricksPrivate",
)
"""The subnets an environment can have (the keys of ``subnet_ids``)."""

REQUIRED_ROLES: tuple[str, ...] = ("privateEndpoints", "agents", "functions")
"""Subnets every environment has (other parts of the estate use them)."""

DELEGATIONS: dict[str, str] = {
    "functions": "Microsoft.Web/serverFarms",
    "databricksPublic": "Microsoft.Databricks/workspaces",
    "databricksPrivate": "Microsoft.Databricks/workspaces",
}
"""Subnets delegated to a service (VNet integration / injection needs it)."""

NAT_ROLES: tuple[str, ...] = ("agents", "functions", "databricksPublic", "databricksPrivate", "aks")
"""Subnets that go out to the internet through the NAT gateway (when one is requested): build
agents (Azure DevOps), the Function App's VNet integration, Databricks secure cluster
connectivity, which needs a stable egress path, and AKS (outbound type userAssignedNATGateway:
no public IP on the cluster's load balancer)."""

PRIVATE_DNS_ZONES: tuple[str, ...] = dns_zones.CORE_ZONES
"""Zones every environment with private endpoints creates (components/dns_zones.py)."""

OPTIONAL_PRIVATE_DNS_ZONES: tuple[str, ...] = dns_zones.OPTIONAL_ZONES
"""Zones added when the environment uses Databricks or Data Factory."""


class SubnetArgs(TypedDict):
    """One subnet of :class:`Network`."""

    name: str
    """Required. Azure name of the subnet."""
    address_prefix: str
    """Required. IPv4 CIDR inside the VNet's address space."""
    nsg_name: str
    """Required. Azure name of the subnet's network security group."""


class NetworkArgs(TypedDict):
    """Arguments of :class:`Network`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of every network resource."""
    location: str
    """Required. Azure region of the VNet."""
    vnet_name: str
    """Required. Azure name of the VNet."""
    address_space: str
    """Required. IPv4 CIDR of the VNet, e.g. 10.10.0.0/16."""
    subnets: dict[str, SubnetArgs]
    """Required. Subnets by role (``privateEndpoints``, ``agents``, ``functions`` required;
    ``aks``, ``databricksPublic``, ``databricksPrivate`` optional)."""
    log_analytics_id: pulumi.Input[str]
    """Required. Log Analytics workspace that receives the diagnostics."""
    private_dns_zones: NotRequired[list[str]]
    """Optional. Private DNS zones to create and link. @default PRIVATE_DNS_ZONES"""
    nat_gateway_name: NotRequired[str]
    """Optional. Create a NAT gateway with this name (and a public IP ``<name>-pip``) for the
    subnets in NAT_ROLES. @default no NAT gateway"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of every taggable resource. @default {}"""


def _check_cidr(arg: str, value: object) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise arg_error(COMPONENT, arg, f"'{value}' is not an IPv4 CIDR like 10.10.0.0/24 ({exc})") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise arg_error(COMPONENT, arg, f"'{value}' is not IPv4")
    return net


def _validate(args: NetworkArgs) -> dict[str, ipaddress.IPv4Network]:
    check_unknown_args(COMPONENT, args, NetworkArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "location",
        "vnet_name",
        "address_space",
        "subnets",
        "log_analytics_id",
    )
    space = _check_cidr("address_space", args["address_space"])
    subnets = args["subnets"]
    nets: dict[str, ipaddress.IPv4Network] = {}
    for role, spec in subnets.items():
        if role not in SUBNET_ROLES:
            raise arg_error(
                COMPONENT, f"subnets.{role}", f"is not a subnet role (roles: {', '.join(SUBNET_ROLES)})"
            )
        for key in ("name", "address_prefix", "nsg_name"):
            if not spec.get(key):
                raise arg_error(COMPONENT, f"subnets.{role}.{key}", "is required")
        unknown = set(spec) - {"name", "address_prefix", "nsg_name"}
        if unknown:
            raise arg_error(
                COMPONENT,
                f"subnets.{role}.{sorted(unknown)[0]}",
                "is not a subnet argument (arguments: address_prefix, name, nsg_name)",
            )
        net = _check_cidr(f"subnets.{role}.address_prefix", spec["address_prefix"])
        if not net.subnet_of(space):
            raise arg_error(
                COMPONENT, f"subnets.{role}.address_prefix", f"{net} is outside address_space {space}"
            )
        for other, other_net in nets.items():
            if net.overlaps(other_net):
                raise arg_error(
                    COMPONENT,
                    f"subnets.{role}.address_prefix",
                    f"{net} overlaps subnets.{other} {other_net}; give each subnet its own range",
                )
        nets[role] = net
    for role in REQUIRED_ROLES:
        if role not in subnets:
            raise arg_error(COMPONENT, f"subnets.{role}", "is required (other parts of the estate use it)")
    if ("databricksPublic" in subnets) != ("databricksPrivate" in subnets):
        raise arg_error(COMPONENT, "subnets", "databricksPublic and databricksPrivate go together")
    zones = args.get("private_dns_zones", list(PRIVATE_DNS_ZONES))
    known = set(PRIVATE_DNS_ZONES) | set(OPTIONAL_PRIVATE_DNS_ZONES)
    for zone in zones:
        if zone not in known:
            raise arg_error(
                COMPONENT,
                "private_dns_zones",
                f"'{zone}' is not a private-link zone the estate uses (zones: {', '.join(sorted(known))})",
            )
    if len(set(zones)) != len(zones):
        raise arg_error(COMPONENT, "private_dns_zones", "lists a zone twice")
    return nets


class Network(pulumi.ComponentResource):
    """VNet, subnets, NSGs, NAT gateway and private DNS zones (``mlops:network:Network``)."""

    vnet_id: pulumi.Output[str]
    """ARM id of the VNet."""
    vnet_name: pulumi.Output[str]
    """Azure name of the VNet."""
    subnet_ids: dict[str, pulumi.Output[str]]
    """Subnet ARM ids keyed by role (``privateEndpoints``, ``agents``, ``functions``, ``aks``...)."""
    private_dns_zone_ids: dict[str, pulumi.Output[str]]
    """Private DNS zone ARM ids keyed by zone name (``privatelink.api.azureml.ms``...)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:network:Network", name, {}, opts)
        _validate(args)
        rg = args["resource_group_name"]
        location = args["location"]
        tags = dict(args.get("tags", {}))
        la = args["log_analytics_id"]

        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=args["vnet_name"],
            resource_group_name=rg,
            location=location,
            address_space={"address_prefixes": [args["address_space"]]},
            enable_ddos_protection=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        send_to_log_analytics(f"{name}-vnet", resource_id=vnet.id, workspace_id=la, parent=self)

        nat = self._nat_gateway(name, args, tags)
        self.subnet_ids = {}
        previous: network.Subnet | None = None
        for role in SUBNET_ROLES:
            spec = args["subnets"].get(role)
            if spec is not None:
                previous = self._subnet(name, args, role, spec, vnet, nat, previous, tags)
                self.subnet_ids[role] = previous.id
        self.private_dns_zone_ids = self._dns_zones(name, args, vnet, tags)

        self.vnet_id = vnet.id
        self.vnet_name = vnet.name
        self.register_outputs(
            {
                "vnet_id": self.vnet_id,
                "vnet_name": self.vnet_name,
                "subnet_ids": self.subnet_ids,
                "private_dns_zone_ids": self.private_dns_zone_ids,
            }
        )

    def _nat_gateway(self, name: str, args: NetworkArgs, tags: dict[str, str]) -> network.NatGateway | None:
        """The NAT gateway and its public IP (when ``nat_gateway_name`` is set)."""
        if not args.get("nat_gateway_name"):
            return None
        child = pulumi.ResourceOptions(parent=self)
        rg, location = args["resource_group_name"], args["location"]
        ip = network.PublicIPAddress(
            f"{name}-nat-ip",
            public_ip_address_name=f"{args['nat_gateway_name']}-pip",
            resource_group_name=rg,
            location=location,
            sku={"name": "Standard", "tier": "Regional"},
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            tags=tags,
            opts=child,
        )
        send_to_log_analytics(
            f"{name}-nat-ip", resource_id=ip.id, workspace_id=args["log_analytics_id"], parent=self
        )
        return network.NatGateway(
            f"{name}-nat",
            nat_gateway_name=args["nat_gateway_name"],
            resource_group_name=rg,
            location=location,
            sku={"name": "Standard"},
            idle_timeout_in_minutes=4,
            public_ip_addresses=[{"id": ip.id}],
            tags=tags,
            opts=child,
        )

    def _subnet(
        self,
        name: str,
        args: NetworkArgs,
        role: str,
        spec: SubnetArgs,
        vnet: network.VirtualNetwork,
        nat: network.NatGateway | None,
        previous: network.Subnet | None,
        tags: dict[str, str],
    ) -> network.Subnet:
        """One subnet and its NSG; created after ``previous`` (Azure serialises VNet writes)."""
        nsg = network.NetworkSecurityGroup(
            f"{name}-{role}-nsg",
            network_security_group_name=spec["nsg_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            security_rules=[DENY_INTERNET_INBOUND],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        send_to_log_analytics(
            f"{name}-{role}-nsg",
            resource_id=nsg.id,
            workspace_id=args["log_analytics_id"],
            parent=self,
            metrics=False,
        )
        plan = subnet_plan(role, nat_gateway=nat is not None)
        return network.Subnet(
            f"{name}-{role}",
            subnet_name=spec["name"],
            virtual_network_name=vnet.name,
            resource_group_name=args["resource_group_name"],
            address_prefix=spec["address_prefix"],
            network_security_group={"id": nsg.id},
            nat_gateway={"id": nat.id} if nat is not None and plan.nat else None,
            default_outbound_access=False,
            private_endpoint_network_policies=plan.private_endpoint_network_policies,
            private_link_service_network_policies="Enabled",
            delegations=[{"name": plan.delegation.replace("/", "."), "service_name": plan.delegation}]
            if plan.delegation
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else None),
        )

    def _dns_zones(
        self, name: str, args: NetworkArgs, vnet: network.VirtualNetwork, tags: dict[str, str]
    ) -> dict[str, pulumi.Output[str]]:
        """The private DNS zones, each linked to the VNet; ids by zone name."""
        ids: dict[str, pulumi.Output[str]] = {}
        child = pulumi.ResourceOptions(parent=self)
        for zone_name in args.get("private_dns_zones", list(PRIVATE_DNS_ZONES)):
            label = zone_label(zone_name)
            zone = privatedns.PrivateZone(
                f"{name}-dns-{label}",
                private_zone_name=zone_name,
                resource_group_name=args["resource_group_name"],
                location="global",
                tags=tags,
                opts=child,
            )
            privatedns.VirtualNetworkLink(
                f"{name}-dns-{label}-link",
                virtual_network_link_name=args["vnet_name"],
                private_zone_name=zone.name,
                resource_group_name=args["resource_group_name"],
                location="global",
                virtual_network={"id": vnet.id},
                registration_enabled=False,
                resolution_policy="Default",
                tags=tags,
                opts=child,
            )
            ids[zone_name] = zone.id
        return ids


DENY_INTERNET_INBOUND: network.SecurityRuleArgsDict = {
    "name": "deny-internet-inbound",
    "description": "Nothing in this subnet is reachable from the internet.",
    "priority": 4096,
    "direction": "Inbound",
    "access": "Deny",
    "protocol": "*",
    "source_address_prefix": "Internet",
    "source_port_range": "*",
    "destination_address_prefix": "*",
    "destination_port_range": "*",
}
"""The NSG rule of every subnet: an explicit deny of inbound internet traffic."""


@dataclass(frozen=True)
class SubnetPlan:
    """What a subnet role decides: NAT egress, service delegation, private endpoint policies."""

    nat: bool
    delegation: str | None
    private_endpoint_network_policies: str


def subnet_plan(role: str, *, nat_gateway: bool) -> SubnetPlan:
    """The settings of the ``role`` subnet (``nat_gateway``: the network has a NAT gateway)."""
    return SubnetPlan(
        nat=nat_gateway and role in NAT_ROLES,
        delegation=DELEGATIONS.get(role),
        private_endpoint_network_policies="Enabled" if role == "privateEndpoints" else "Disabled",
    )


def zone_label(zone_name: str) -> str:
    """The logical-name label of a private DNS zone (``privatelink.blob.core.windows.net`` → ``blob-core-windows-net``)."""
    return zone_name.removeprefix("privatelink.").replace(".", "-")
