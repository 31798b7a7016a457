"""Azure naming rules at their edges, the estate's derived names, and suffix stability."""

from __future__ import annotations

import pytest

from infra.errors import ConfigError
from infra.naming import RULES, Namer, check_name, stable_suffix

DEV_SUB = "8a3e5f1b-2c4d-4b6a-9f7e-1d2c3b4a5e60"


def namer(
    env: str = "dev", sub: str = DEV_SUB, stack: str = "dev", generation: int = 0, workload: str = "mlops"
) -> Namer:
    return Namer(
        workload=workload,
        environment=env,
        region_code="weu",
        subscription_id=sub,
        project="mlops-estate",
        stack=stack,
        generation=generation,
        file=f"Pulumi.{stack}.yaml",
    )


# (kind, longest valid, shortest valid, too long, too short, invalid characters/shape)
EDGES = [
    ("storage_account", "a" * 24, "abc", "a" * 25, "ab", "st-mlops"),
    ("key_vault", "k" * 24, "kv1", "k" * 25, "kv", "1kv-mlops"),
    ("container_registry", "c" * 50, "crabc", "c" * 51, "crab", "cr-mlops"),
    ("ml_workspace", "w" * 33, "w12", "w" * 34, "w1", "-mlw"),
    ("ml_registry", "r" * 33, "r1234", "r" * 34, "r123", "_registry"),
    ("ml_compute", "c" * 16, "c1", "c" * 17, "c", "cpu_cluster"),
    ("online_endpoint", "e" * 32, "e12", "e" * 33, "e1", "1-endpoint"),
    ("aks_node_pool", "p" * 12, "p", "p" * 13, "", "Pool1"),
    ("log_analytics", "l" * 63, "log1", "l" * 64, "lo1", "log-mlops-"),
    ("function_app", "f" * 60, "f1", "f" * 61, "f", "func-mlops-"),
    ("data_factory", "d" * 63, "adf", "d" * 64, "ad", "-adf"),
    ("databricks_workspace", "d" * 30, "dbw", "d" * 31, "db", "dbw.mlops"),
    ("vmss", "v" * 64, "v", "v" * 65, "", "vmss-agents-"),
    ("subnet", "s" * 80, "s", "s" * 81, "", "snet-agents."),
    ("resource_group", "g" * 90, "g", "g" * 91, "", "rg-mlops."),
]


@pytest.mark.parametrize(
    ("kind", "longest", "shortest", "too_long", "too_short", "bad"), EDGES, ids=[e[0] for e in EDGES]
)
def test_rule_edges(kind, longest, shortest, too_long, too_short, bad):
    rule = RULES[kind]
    assert rule.check(longest) is None
    assert rule.check(shortest) is None
    assert rule.check(too_long) == (
        f"is {len(too_long)} characters; {rule.arm_type} names are {rule.min_length}-{rule.max_length}"
    )
    if too_short:
        assert "characters;" in (rule.check(too_short) or "")
    assert rule.check(bad) is not None


def test_key_vault_rejects_double_hyphen():
    assert RULES["key_vault"].check("kv--mlops") is not None
    assert RULES["key_vault"].check("kv-mlops") is None


def test_storage_rejects_upper_case():
    assert RULES["storage_account"].check("StMlops") is not None


def test_check_name_blames_the_setting():
    with pytest.raises(ConfigError) as err:
        check_name("storage_account", "st-bad", key="mlops-estate:workload", file="Pulumi.dev.yaml")
    assert str(err.value) == (
        "Pulumi.dev.yaml: mlops-estate:workload: derived storage account name 'st-bad' has characters or a shape "
        "Microsoft.Storage/storageAccounts does not allow (lower-case letters and digits only)"
    )


def test_dev_names_are_exactly_these():
    n = namer()
    assert n.suffix == "uc057"
    assert {
        kind: n.name(kind)
        for kind in (
            "resource_group",
            "storage_account",
            "key_vault",
            "container_registry",
            "ml_workspace",
            "log_analytics",
            "app_insights",
            "aks",
            "function_app",
            "data_factory",
            "vnet",
        )
    } == {
        "resource_group": "rg-mlops-dev-weu",
        "storage_account": "stmlopsdevuc057",
        "key_vault": "kv-mlops-dev-uc057",
        "container_registry": "crmlopsdevuc057",
        "ml_workspace": "mlw-mlops-dev-weu-uc057",
        "log_analytics": "log-mlops-dev-weu-uc057",
        "app_insights": "appi-mlops-dev-weu",
        "aks": "aks-mlops-dev-weu",
        "function_app": "func-mlops-dev-weu-uc057",
        "data_factory": "adf-mlops-dev-weu-uc057",
        "vnet": "vnet-mlops-dev-weu",
    }
    assert n.endpoint("diabetes", "online") == "diabetes-dev-uc05"
    assert n.name("subnet", "agents") == "snet-mlops-agents-dev-weu"


def test_shared_registry_name_has_no_environment():
    n = namer(env="shared", sub="5c1f8a2e-6b3d-4f70-9e21-a8d4c0b7e513", stack="shared")
    assert n.name("ml_registry") == "mlr-mlops-weu-qvsj9"


def test_suffix_is_stable_and_depends_only_on_stable_inputs():
    assert stable_suffix("a", "b") == "yci1h"
    assert stable_suffix("a", "b") == stable_suffix("a", "b")
    assert namer().suffix == namer().suffix
    assert namer(sub="2b7d9c4e-5f3a-4e1b-8c6d-7a9e0f1b2c34").suffix != namer().suffix
    assert namer(stack="dev-alice").suffix != namer().suffix
    assert namer(generation=1).suffix != namer().suffix
    assert all(ch.isalnum() and not ch.isupper() for ch in namer().suffix)


def test_workload_too_long_for_storage_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        namer(workload="mlopsplatformxyz").name("storage_account")
    assert "mlops-estate:workload" in str(err.value)
    assert "is 26 characters" in str(err.value)


def test_long_model_name_makes_an_impossible_endpoint_name():
    with pytest.raises(ConfigError) as err:
        namer().endpoint("a_model_name_that_is_far_too_long", "online")
    assert "mlops-estate:models.a_model_name_that_is_far_too_long" in str(err.value)
