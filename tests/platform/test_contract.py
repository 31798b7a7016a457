"""The composition contract (docs/architecture.md): the attributes later steps read from
``ctx.parts["network"]``, ``["workspace"]`` and ``["aks"]``."""

from __future__ import annotations

import pulumi

from components.aks import AksCluster
from components.ml_workspace import MlWorkspace
from components.network import PRIVATE_DNS_ZONES, Network
from components.registry import MlRegistry
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

    def program() -> None:
        built["network"] = Network("net", {**test_network.MINIMAL, "subnets": test_network.ALL_SUBNETS})
        built["workspace"] = MlWorkspace("ws", test_ml_workspace.MINIMAL)
        built["aks"] = AksCluster("aks", test_aks.MINIMAL)
        built["registry"] = MlRegistry("reg", test_registry.MINIMAL)

    Template.from_function(program)
    network = built["network"]
    assert isinstance(network.vnet_id, pulumi.Output) and isinstance(network.vnet_name, pulumi.Output)
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
