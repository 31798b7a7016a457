"""Shared inputs of the platform component tests (fixed ids, so plans are deterministic)."""

from __future__ import annotations

SUB = "00000000-0000-0000-0000-0000000000a1"
TENANT = "00000000-0000-0000-0000-0000000000b2"
LA_ID = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.OperationalInsights/workspaces/log-x"
AI_ID = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.Insights/components/appi-x"
REGISTRY_ID = "/subscriptions/5c1f8a2e-6b3d-4f70-9e21-a8d4c0b7e513/resourceGroups/rg-s/providers/Microsoft.MachineLearningServices/registries/mlr-x"
SUBNET_ID = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/vnet-x/subnets/snet-x"


def zone_ids(*zones: str) -> dict[str, str]:
    """Private DNS zone ids by name, as Network.private_dns_zone_ids holds them."""
    return {
        z: f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.Network/privateDnsZones/{z}"
        for z in zones
    }
