"""Pure decisions of the platform components, table-driven (no preview needed)."""

from __future__ import annotations

from typing import cast

import pytest

from components import dns_zones, roles
from components.build_agents import RULES as BUILD_AGENT_RULES
from components.build_agents import BuildAgentsArgs
from components.common import ArgRule, validate
from components.ml_workspace import managed_network, workspace_grants
from components.network import NAT_ROLES, SUBNET_ROLES, SubnetPlan, subnet_plan, zone_label
from components.storage import network_rules
from infra import vocabulary
from infra.errors import ConfigError
from infra.settings.platform import ComputeClusterSettings, WorkspaceSettings


@pytest.mark.parametrize(
    ("role", "nat_gateway", "expected"),
    [
        ("privateEndpoints", True, SubnetPlan(False, None, "Enabled")),
        ("agents", True, SubnetPlan(True, None, "Disabled")),
        ("agents", False, SubnetPlan(False, None, "Disabled")),
        ("functions", True, SubnetPlan(True, "Microsoft.Web/serverFarms", "Disabled")),
        ("aks", True, SubnetPlan(True, None, "Disabled")),  # egress through the NAT gateway
        ("databricksPublic", True, SubnetPlan(True, "Microsoft.Databricks/workspaces", "Disabled")),
        ("databricksPrivate", False, SubnetPlan(False, "Microsoft.Databricks/workspaces", "Disabled")),
    ],
)
def test_subnet_plan(role, nat_gateway, expected):
    assert subnet_plan(role, nat_gateway=nat_gateway) == expected


def test_every_nat_role_is_a_subnet_role():
    assert set(NAT_ROLES) <= set(SUBNET_ROLES)


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        (dns_zones.BLOB, "blob-core-windows-net"),
        (dns_zones.AZUREML_API, "api-azureml-ms"),
        (dns_zones.CONTAINER_REGISTRY, "azurecr-io"),
    ],
)
def test_zone_label(zone, label):
    assert zone_label(zone) == label


def test_every_group_zone_is_a_zone_the_network_creates():
    created = set(dns_zones.CORE_ZONES) | set(dns_zones.OPTIONAL_ZONES)
    assert {z for zones in dns_zones.GROUP_ZONES.values() for z in zones} == created
    assert len(created) == len(dns_zones.CORE_ZONES) + len(dns_zones.OPTIONAL_ZONES)


@pytest.mark.parametrize(
    ("registry", "fqdns", "rules", "firewall"),
    [
        (None, [], ["storage-blob", "storage-file", "key-vault", "container-registry"], None),
        (
            "reg",
            [],
            ["storage-blob", "storage-file", "key-vault", "container-registry", "model-registry"],
            None,
        ),
        (
            None,
            ["pypi.org", "files.pythonhosted.org"],
            ["storage-blob", "storage-file", "key-vault", "container-registry", "fqdn-1", "fqdn-2"],
            "Basic",
        ),
    ],
)
def test_managed_network(registry, fqdns, rules, firewall):
    network = managed_network(
        isolation_mode="AllowOnlyApprovedOutbound",
        storage_id="st",
        vault_id="kv",
        container_registry_id="cr",
        model_registry_id=registry,
        outbound_fqdns=fqdns,
    )
    outbound = network["outbound_rules"]
    assert isinstance(outbound, dict)
    assert list(outbound) == rules
    assert network.get("firewall_sku") == firewall
    assert outbound["key-vault"]["destination"] == {
        "service_resource_id": "kv",
        "subresource_target": "vault",
        "spark_enabled": False,
    }


@pytest.mark.parametrize(("group", "count"), [(None, 7), ("9a2c0a31-0000-4000-8000-000000000001", 8)])
def test_workspace_grants(group, count):
    grants = workspace_grants(
        account_id="st",
        vault_id="kv",
        registry_id="cr",
        workspace_id="mlw",
        workspace_principal="ws",
        compute_principal="cc",
        data_scientists_group_id=group,
    )
    assert len(grants) == count
    assert len({g.suffix for g in grants}) == count
    assert all(g.role in roles.ALL_ROLES for g in grants)
    by_suffix = {g.suffix: g for g in grants}
    assert by_suffix["training-acr"].role == roles.ACR_PULL and by_suffix["training-acr"].principal == "cc"
    assert by_suffix["ws-acr"].role == roles.ACR_PUSH and by_suffix["ws-acr"].principal == "ws"
    if group:
        assert by_suffix["data-scientists"].principal_type == "Group"


@pytest.mark.parametrize(("subnets", "count"), [((), 0), (("s1",), 1), (("s1", "s2"), 2)])
def test_storage_network_rules(subnets, count):
    rules = network_rules(subnets)
    assert rules["default_action"] == "Deny" and rules["bypass"] == "AzureServices"
    assert rules["virtual_network_rules"] == [
        {"virtual_network_resource_id": s, "action": "Allow"} for s in subnets
    ]
    assert len(rules["virtual_network_rules"]) == count


def test_validate_reports_the_first_broken_rule():
    rules: tuple[ArgRule[dict[str, int]], ...] = (
        ArgRule(lambda a: a["n"] < 0, "n", "must not be negative"),
        ArgRule(lambda a: a["n"] > 9, "n", lambda a: f"{a['n']} is over 9"),
    )
    validate("Thing", {"n": 3}, rules)
    with pytest.raises(ConfigError, match=r"Thing args\.n: 12 is over 9"):
        validate("Thing", {"n": 12}, rules)


BASE_AGENTS = {"ssh_public_key": "ssh-ed25519 AAAA", "min_idle": 0, "max_capacity": 4}


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"max_capacity": 0}, "max_capacity", "0 must be 1-1000"),
        ({"min_idle": 5}, "min_idle", "5 must be 0-4 (max_capacity)"),
        ({"ssh_public_key": "not a key"}, "ssh_public_key", "must be an OpenSSH public key"),
        ({"tool_versions": {"helm": "3"}}, "tool_versions", "unknown tools ['helm']"),
    ],
)
def test_build_agent_rules(change, key, message):
    with pytest.raises(ConfigError) as caught:
        validate("BuildAgents", cast(BuildAgentsArgs, {**BASE_AGENTS, **change}), BUILD_AGENT_RULES)
    assert f"BuildAgents args.{key}: {message}" in str(caught.value)


def test_settings_and_components_share_the_vocabulary():
    cluster = ComputeClusterSettings()
    assert (
        cluster.vm_size,
        cluster.min_nodes,
        cluster.max_nodes,
        cluster.idle_minutes_before_scale_down,
    ) == (
        vocabulary.TRAINING_VM_SIZE,
        vocabulary.TRAINING_MIN_NODES,
        vocabulary.TRAINING_MAX_NODES,
        vocabulary.TRAINING_IDLE_MINUTES,
    )
    workspace = WorkspaceSettings()
    assert workspace.storage_sku == vocabulary.DEFAULT_STORAGE_SKU
    assert workspace.container_registry_sku == vocabulary.DEFAULT_ACR_SKU
    assert workspace.isolation_mode == vocabulary.DEFAULT_ISOLATION_MODE
    assert vocabulary.DEFAULT_STORAGE_SKU in vocabulary.STORAGE_SKUS
    assert vocabulary.DEFAULT_ACR_SKU in vocabulary.ACR_SKUS
