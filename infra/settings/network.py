"""The private network of an environment: address plan and private endpoints."""

from __future__ import annotations

import ipaddress

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import Cidr, StrictModel


class SubnetPlan(StrictModel):
    """Address ranges of the environment's subnets (each inside ``addressSpace``, none overlapping)."""

    private_endpoints: Cidr
    """Required. Private endpoints of the workspace, Key Vault, storage, ACR, registry."""
    agents: Cidr
    """Required. Self-hosted Azure DevOps agents (VM scale set)."""
    functions: Cidr
    """Required. The retraining Function App's VNet integration (delegated to Microsoft.Web/serverFarms)."""
    aks: Cidr | None = None
    """Conditional. The AKS node subnet; required when AKS is enabled. @default none"""
    databricks_public: Cidr | None = None
    """Conditional. Databricks host (public) subnet; required with Databricks. @default none"""
    databricks_private: Cidr | None = None
    """Conditional. Databricks container (private) subnet; required with Databricks. @default none"""


class NetworkSettings(StrictModel):
    """The environment's VNet."""

    address_space: Cidr
    """Required. The VNet's address space, e.g. 10.10.0.0/16."""
    subnets: SubnetPlan
    """Required. The subnet address plan."""
    private_endpoints: bool = True
    """Optional. Put the workspace and its dependencies behind private endpoints.
    @default true (must be true in qa and prod)."""
    nat_gateway: bool = True
    """Optional. Give the agents, functions and Databricks subnets outbound internet through a NAT
    gateway (subnets have no default outbound access; agents must reach Azure DevOps, Databricks
    secure cluster connectivity needs stable egress). @default true"""

    @model_validator(mode="after")
    def _check_plan(self) -> NetworkSettings:
        space = ipaddress.IPv4Network(self.address_space)
        named = [
            (alias, ipaddress.IPv4Network(value))
            for alias, value in (
                (field.alias, getattr(self.subnets, name)) for name, field in SubnetPlan.model_fields.items()
            )
            if value is not None
        ]
        for alias, net in named:
            if not net.subnet_of(space):
                raise PydanticCustomError(
                    "address_plan",
                    "subnets.{alias} {net} is outside addressSpace {space}",
                    {"alias": alias, "net": str(net), "space": str(space)},
                )
        for i, (alias_a, net_a) in enumerate(named):
            for alias_b, net_b in named[i + 1 :]:
                if net_a.overlaps(net_b):
                    raise PydanticCustomError(
                        "address_plan",
                        "subnets.{a} {na} overlaps subnets.{b} {nb}; give each subnet its own range",
                        {"a": alias_a, "na": str(net_a), "b": alias_b, "nb": str(net_b)},
                    )
        if ipaddress.IPv4Network(self.subnets.functions).prefixlen > 28:
            raise PydanticCustomError(
                "address_plan",
                "subnets.functions {net} is too small; Function App VNet integration needs /28 or larger",
                {"net": self.subnets.functions},
            )
        if self.subnets.aks is not None and ipaddress.ip_network(self.subnets.aks).prefixlen > 24:
            raise PydanticCustomError(
                "address_plan",
                "subnets.aks {net} is too small; AKS with Azure CNI overlay needs /24 or larger",
                {"net": self.subnets.aks},
            )
        return self
