"""A private endpoint and its DNS zone group: the one way the estate reaches a PaaS resource privately.

The zone group makes Azure write (and remove) the endpoint's A records in the linked private
DNS zones, so clients in the VNet resolve the service's public name to the private address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network

from components.common import ArgRule, check_unknown_args, require, validate
from components.diagnostics import send_to_log_analytics
from components.dns_zones import GROUP_ZONES

COMPONENT = "PrivateEndpoint"


class PrivateEndpointArgs(TypedDict):
    """Arguments of :class:`PrivateEndpoint`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the endpoint."""
    location: str
    """Required. Region of the endpoint (the VNet's region)."""
    endpoint_name: str
    """Required. Azure name of the private endpoint (its NIC is ``<name>-nic``)."""
    subnet_id: pulumi.Input[str]
    """Required. Subnet the endpoint's NIC joins."""
    target_id: pulumi.Input[str]
    """Required. ARM id of the resource reached privately."""
    group_id: str
    """Required. Private-link sub-resource, one of GROUP_ZONES (``blob``, ``vault``, ``amlworkspace``...)."""
    dns_zone_ids: Mapping[str, pulumi.Input[str]]
    """Required. Private DNS zone ids by zone name; must hold every zone the group id needs."""
    nic_name: NotRequired[str | None]
    """Optional. Name of the endpoint's NIC; ``None`` lets Azure name it (endpoints created
    before the estate named NICs: renaming a NIC replaces the endpoint). @default '<endpoint_name>-nic'"""
    moved_from: NotRequired[pulumi.Resource]
    """Optional. The component whose direct children the endpoint and zone group were before
    they moved into this component: both get an alias to that parent, so the existing
    resources are kept, not replaced. @default no alias"""
    log_analytics_id: NotRequired[pulumi.Input[str]]
    """Optional. Send the endpoint's metrics here. @default no diagnostic setting"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of the endpoint. @default {}"""


def _missing_zones(args: PrivateEndpointArgs) -> list[str]:
    return [zone for zone in GROUP_ZONES.get(args["group_id"], ()) if zone not in args["dns_zone_ids"]]


RULES: tuple[ArgRule[PrivateEndpointArgs], ...] = (
    ArgRule(
        lambda a: a["group_id"] not in GROUP_ZONES,
        "group_id",
        lambda a: (
            f"'{a['group_id']}' is not a known private-link sub-resource "
            f"(known: {', '.join(sorted(GROUP_ZONES))})"
        ),
    ),
    ArgRule(
        lambda a: bool(_missing_zones(a)),
        "dns_zone_ids",
        lambda a: f"has no id for {', '.join(_missing_zones(a))}, which group '{a['group_id']}' needs",
    ),
)
"""Argument rules of :class:`PrivateEndpoint`, checked in order after the required args."""


class PrivateEndpoint(pulumi.ComponentResource):
    """A private endpoint plus one DNS zone group (``mlops:private_endpoint:PrivateEndpoint``)."""

    endpoint_id: pulumi.Output[str]
    """ARM id of the private endpoint."""

    def __init__(
        self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:private_endpoint:PrivateEndpoint", name, {}, opts)
        check_unknown_args(COMPONENT, args, PrivateEndpointArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "location",
            "endpoint_name",
            "subnet_id",
            "target_id",
            "group_id",
            "dns_zone_ids",
        )
        validate(COMPONENT, args, RULES)
        group, zones = args["group_id"], args["dns_zone_ids"]
        moved_from = args.get("moved_from")
        aliases = [pulumi.Alias(parent=moved_from)] if moved_from is not None else None
        children = pulumi.ResourceOptions(parent=self, aliases=aliases)

        endpoint = network.PrivateEndpoint(
            f"{name}-pe",
            private_endpoint_name=args["endpoint_name"],
            custom_network_interface_name=args.get("nic_name", f"{args['endpoint_name']}-nic"),
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            subnet={"id": args["subnet_id"]},
            private_link_service_connections=[
                {
                    "name": args["endpoint_name"],
                    "private_link_service_id": args["target_id"],
                    "group_ids": [group],
                }
            ],
            tags=dict(args.get("tags", {})),
            opts=children,
        )
        network.PrivateDnsZoneGroup(
            f"{name}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=endpoint.name,
            resource_group_name=args["resource_group_name"],
            private_dns_zone_configs=[
                {"name": zone.replace(".", "-"), "private_dns_zone_id": zones[zone]}
                for zone in GROUP_ZONES[group]
            ],
            opts=children,
        )
        if args.get("log_analytics_id") is not None:
            send_to_log_analytics(
                f"{name}-pe",
                resource_id=endpoint.id,
                workspace_id=args["log_analytics_id"],
                parent=self,
                logs=False,
            )
        self.endpoint_id = endpoint.id
        self.register_outputs({"endpoint_id": self.endpoint_id})
