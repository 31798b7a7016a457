"""A corpus of bad stack configurations: each one exits 2 with one clear message naming the
file and the key path, and never prints a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.cli import main
from tests.support.project import copy_project, edit_stack

NS = "mlops-estate"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``mlops-estate:<a.b.c>`` (creating maps on the way)."""

    def change(config: dict[str, Any]) -> None:
        top, *rest = path.split(".")
        key = f"{NS}:{top}" if ":" not in top else top
        if not rest:
            config[key] = value
            return
        node = config.setdefault(key, {})
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        top, *rest = path.split(".")
        key = f"{NS}:{top}" if ":" not in top else top
        if not rest:
            del config[key]
            return
        node = config[key]
        for part in rest[:-1]:
            node = node[part]
        del node[rest[-1]]

    return change


def _chain(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        for each in changes:
            each(config)

    return change


# (id, stack, change, key path expected in the message, text expected in the message)
CASES: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    ("typo-top-level-key", "dev", _set("netwrok", {}), "mlops-estate:netwrok", "did you mean 'network'"),
    (
        "typo-nested-key",
        "dev",
        _set("network.adressSpace", "10.1.0.0/16"),
        "mlops-estate:network.adressSpace",
        "did you mean 'addressSpace'",
    ),
    (
        "maturity-not-a-number",
        "dev",
        _set("maturityLevel", "two"),
        "mlops-estate:maturityLevel",
        "valid integer",
    ),
    (
        "maturity-out-of-range",
        "dev",
        _set("maturityLevel", 7),
        "mlops-estate:maturityLevel",
        "less than or equal to 5",
    ),
    (
        "region-typo",
        "dev",
        _set("location", "westeurop"),
        "mlops-estate:location",
        "did you mean 'westeurope'",
    ),
    (
        "subscription-not-guid",
        "dev",
        _set("subscriptionId", "my-sub"),
        "mlops-estate:subscriptionId",
        "is not a GUID",
    ),
    (
        "workload-invalid",
        "dev",
        _set("workload", "MLOps-Platform"),
        "mlops-estate:workload",
        "should match pattern",
    ),
    (
        "subnets-overlap",
        "dev",
        _set("network.subnets.agents", "10.10.0.0/25"),
        "mlops-estate:network",
        "overlaps subnets.agents",
    ),
    (
        "subnet-outside-space",
        "dev",
        _set("network.subnets.agents", "10.99.1.0/24"),
        "mlops-estate:network",
        "outside addressSpace",
    ),
    (
        "cidr-invalid",
        "dev",
        _set("network.addressSpace", "10.10.0.0/33"),
        "mlops-estate:network.addressSpace",
        "not an IPv4 network",
    ),
    (
        "prod-without-private-endpoints",
        "prod",
        _set("network.privateEndpoints", False),
        "mlops-estate:network.privateEndpoints",
        "prod requires private networking",
    ),
    (
        "prod-public-workspace",
        "prod",
        _set("workspace.publicNetworkAccess", True),
        "mlops-estate:workspace.publicNetworkAccess",
        "prod workspaces are private",
    ),
    (
        "model-version-latest",
        "prod",
        _set("models.diabetes.deployments.blue.version", "latest"),
        "mlops-estate:models.diabetes.deployments.blue.version",
        "'latest' is not an explicit registry version",
    ),
    (
        "model-version-empty",
        "prod",
        _set("models.diabetes.deployments.blue.version", ""),
        "mlops-estate:models.diabetes.deployments.blue.version",
        "empty version",
    ),
    (
        "model-version-label",
        "prod",
        _set("models.diabetes.deployments.blue.version", "champion"),
        "mlops-estate:models.diabetes.deployments.blue.version",
        "a label or malformed",
    ),
    (
        "traffic-not-100",
        "prod",
        _set("models.diabetes.deployments.green.traffic", 20),
        "mlops-estate:models.diabetes",
        "adds up to 110",
    ),
    (
        "mirror-on-live-slot",
        "prod",
        _set("models.diabetes.mirrorTraffic", {"green": 10}),
        "mlops-estate:models.diabetes",
        "takes 10% live traffic",
    ),
    (
        "mirror-unknown-slot",
        "prod",
        _set("models.diabetes.mirrorTraffic", {"purple": 5}),
        "mlops-estate:models.diabetes",
        "no such deployment slot",
    ),
    (
        "slot-key-typo",
        "prod",
        _set("models.diabetes.deployments.blue.instanceTyp", "Standard_DS3_v2"),
        "mlops-estate:models.diabetes.deployments.blue.instanceTyp",
        "did you mean 'instanceType'",
    ),
    (
        "model-kind-invalid",
        "prod",
        _set("models.diabetes.kind", "deep-learning"),
        "mlops-estate:models.diabetes.kind",
        "'ml' or 'rule-based'",
    ),
    (
        "missing-subscription",
        "dev",
        _delete("subscriptionId"),
        "mlops-estate:subscriptionId",
        "required key is missing",
    ),
    (
        "missing-environment",
        "dev",
        _delete("environment"),
        "mlops-estate:environment",
        "required key is missing",
    ),
    (
        "environment-unknown",
        "dev",
        _set("environment", "staging"),
        "mlops-estate:environment",
        "'staging' is not an environment",
    ),
    (
        "default-providers-enabled",
        "dev",
        _delete("pulumi:disable-default-providers"),
        "pulumi:disable-default-providers",
        "must disable the default providers",
    ),
    (
        "foreign-namespace",
        "dev",
        _set("azure-native:location", "westeurope"),
        "azure-native:location",
        "providers are configured explicitly",
    ),
    (
        "prod-advisory-policy",
        "prod",
        _set("policy", {"enforcement": "advisory"}),
        "mlops-estate:policy.enforcement",
        "cannot be advisory in prod",
    ),
    (
        "prod-unprotected",
        "prod",
        _set("lifecycle", {"protect": False}),
        "mlops-estate:lifecycle.protect",
        "must be protected in prod",
    ),
    (
        "recreate-outside-dev",
        "prod",
        _set("lifecycle", {"recreateAfterDelete": True}),
        "mlops-estate:lifecycle.recreateAfterDelete",
        "dev-only switch",
    ),
    (
        "impossible-endpoint-name",
        "prod",
        _set(
            "models.a_very_long_model_name_for_x",
            {"kind": "ml", "serving": "online", "deployments": {"blue": {"version": "1", "traffic": 100}}},
        ),
        "mlops-estate:models.a_very_long_model_name_for_x",
        "onlineEndpoints names are 3-32",
    ),
    ("qa-without-agents", "qa", _delete("agents"), "mlops-estate:agents", "self-hosted agents"),
    (
        "prod-without-approvals",
        "prod",
        _delete("devops.approvals"),
        "mlops-estate:devops.approvals",
        "deploys only after approval",
    ),
    (
        "aks-without-subnet",
        "prod",
        _delete("network.subnets.aks"),
        "mlops-estate:network.subnets.aks",
        "network.subnets.aks is not set",
    ),
    (
        "kubernetes-target-without-aks",
        "dev",
        _chain(
            _set("models.diabetes.target", "kubernetes"),
            _delete("models.diabetes.authMode"),  # dev pins aad_token, which kubernetes refuses first
            _delete("models.diabetes.deployments.blue.instanceType"),
            _delete("models.diabetes.deployments.blue.instanceCount"),
        ),
        "mlops-estate:models.diabetes.target",
        "aks.enabled is false",
    ),
    (
        "reserved-tag",
        "dev",
        _set("tags.extra", {"environment": "x"}),
        "mlops-estate:tags.extra",
        "is set by the estate",
    ),
    (
        "alert-email-invalid",
        "prod",
        _set("monitoring.alertEmails", ["oncall-at-contoso"]),
        "mlops-estate:monitoring.alertEmails",
        "not an e-mail address",
    ),
    (
        "traffic-wrong-type",
        "prod",
        _set("models.diabetes.deployments.blue.traffic", "ninety"),
        "mlops-estate:models.diabetes.deployments.blue.traffic",
        "valid integer",
    ),
]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    return root


def _run(capsys) -> tuple[int, str]:
    code = main(["preview", "--all", "--quiet", "--no-policy"])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


@pytest.mark.parametrize(("case", "stack", "change", "key", "text"), CASES, ids=[c[0] for c in CASES])
def test_bad_configuration_is_a_clear_error(project, capsys, case, stack, change, key, text):
    edit_stack(project, stack, change)
    code, output = _run(capsys)
    assert code == 2, output
    assert f"Pulumi.{stack}.yaml" in output
    assert key in output
    assert text in output
    assert "Traceback" not in output
    assert output.startswith("error: ")


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_malformed_yaml_names_file_and_line(project, capsys):
    path = project / "Pulumi.dev.yaml"
    lines = path.read_text().splitlines()
    lines.insert(5, "  mlops-estate:oops: [unclosed")
    path.write_text("\n".join(lines) + "\n")
    code, output = _run(capsys)
    assert code == 2
    assert "Pulumi.dev.yaml: malformed YAML at line" in output
    assert "Traceback" not in output


def test_config_that_is_not_a_mapping(project, capsys):
    (project / "Pulumi.qa.yaml").write_text("config:\n  - just\n  - a list\n")
    code, output = _run(capsys)
    assert code == 2
    assert "Pulumi.qa.yaml: config: 'config:' must be a mapping" in output


def test_unknown_stack_is_a_usage_error(project, capsys):
    code = main(["preview", "staging", "--quiet"])
    output = capsys.readouterr().err
    assert code == 2
    assert "no stack 'staging' (stacks: shared, dev, qa, prod)" in output


def test_nothing_is_written_when_settings_fail(project, capsys, tmp_path):
    edit_stack(project, "dev", _set("maturityLevel", 9))
    out = tmp_path / "plans"
    code = main(["preview", "--all", "--quiet", "--json", str(out)])
    capsys.readouterr()
    assert code == 2
    assert not (out / "plan-dev.json").exists()
