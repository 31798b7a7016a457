"""The composition contract (docs/architecture.md): the attributes later steps read from
``ctx.parts["network"]``, ``["workspace"]`` and ``["aks"]``."""

from __future__ import annotations

from typing import cast

import pulumi

from components.aks import AksCluster, AksClusterArgs
from components.ml_workspace import MlWorkspace, MlWorkspaceArgs
from components.network import PRIVATE_DNS_ZONES, Network, NetworkArgs
from components.registry import MlRegistry, MlRegistryArgs
from tests.platform import test_aks, test_ml_workspace, test_network, test_registry
from tests.support.template import Template

WORKSPACE_ATTRS = (
    "workspace_id",
    "workspace_name",
    "workspace_principal_id",
    "key_vault_id",
    "key_vault_name",
    "key_vault_uri",
    "storage_account_id",
    "storage_account_name",
    "container_registry_id",
    "training_compute_name",
    "training_compute_id",
)
AKS_ATTRS = ("cluster_id", "cluster_name", "kubernetes_compute_name", "kubernetes_compute_id")
REGISTRY_ATTRS = ("registry_id", "registry_name", "registry_location")


def test_contract_attributes_are_outputs():
    built: dict[str, pulumi.ComponentResource] = {}
    networks: list[Network] = []

    def program() -> None:
        # The test modules' args are plain dicts (their tests also feed invalid ones).
        networks.append(
            Network(
                "net",
                cast(NetworkArgs, {**test_network.MINIMAL, "subnets": test_network.ALL_SUBNETS}),
            )
        )
        built["workspace"] = MlWorkspace("ws", cast(MlWorkspaceArgs, test_ml_workspace.MINIMAL))
        built["aks"] = AksCluster("aks", cast(AksClusterArgs, test_aks.MINIMAL))
        built["registry"] = MlRegistry("reg", cast(MlRegistryArgs, test_registry.MINIMAL))

    Template.from_function(program)
    (network,) = networks
    assert isinstance(network.vnet_id, pulumi.Output)
    assert isinstance(network.vnet_name, pulumi.Output)
    assert set(network.subnet_ids) == {
        "privateEndpoints",
        "agents",
        "functions",
        "aks",
        "databricksPublic",
        "databricksPrivate",
    }
    assert set(network.private_dns_zone_ids) == set(PRIVATE_DNS_ZONES)
    assert "privatelink.api.azureml.ms" in network.private_dns_zone_ids
    assert all(
        isinstance(v, pulumi.Output)
        for v in [*network.subnet_ids.values(), *network.private_dns_zone_ids.values()]
    )
    for part, attrs in (("workspace", WORKSPACE_ATTRS), ("aks", AKS_ATTRS), ("registry", REGISTRY_ATTRS)):
        for attr in attrs:
            assert isinstance(getattr(built[part], attr), pulumi.Output), f"{part}.{attr}"
