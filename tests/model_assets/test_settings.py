"""Every bad model config is a ConfigError naming the file and key (mlops-estate:models)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.engine import PROJECT_ROOT
from infra.engine.project import load_project, load_stack_config
from infra.errors import ConfigError
from infra.settings import EnvironmentStackSettings, load_settings

KEY = "mlops-estate:models"


def _load(models: dict[str, Any], stack: str = "dev"):
    config = load_stack_config(load_project(PROJECT_ROOT), stack, {KEY: models})
    return load_settings(config.values, project="mlops-estate", stack=stack, file=config.file.name)


def _model(**extra: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "kind": "ml",
        "serving": "online",
        "target": "managed",
        "deployments": {"blue": {"version": "3", "traffic": 90}, "green": {"version": "4", "traffic": 10}},
    }
    model.update(extra)
    return model


def test_the_issue_shape_loads() -> None:
    settings = _load(
        {
            "diabetes": _model(
                deployments={
                    "blue": {"version": "3", "traffic": 90},
                    "green": {
                        "version": "4",
                        "traffic": 10,
                        "instanceType": "Standard_DS3_v2",
                        "instanceCount": 2,
                    },
                },
                mirrorTraffic={"green": 0},
            )
        }
    ).settings
    model = settings.models["diabetes"]
    assert model.deployments["green"].instance_type == "Standard_DS3_v2"
    assert model.deployments["green"].instance_count == 2
    assert model.mirror_traffic == {"green": 0}
    assert model.champion_slot == "blue" and model.effective_auth_mode == "aad_token"


def test_bare_integer_versions_read_as_strings() -> None:
    model = _load({"diabetes": _model(deployments={"blue": {"version": 3, "traffic": 100}})}).settings.models[
        "diabetes"
    ]
    assert model.deployments["blue"].version == "3"


BAD: list[tuple[dict[str, Any], str]] = [
    (
        {"deployments": {"blue": {"version": "latest", "traffic": 100}}},
        "Pulumi.dev.yaml: mlops-estate:models.diabetes.deployments.blue.version: 'latest' is not an explicit registry "
        "version; deployments are pinned, e.g. version: \"4\" (got 'latest')",
    ),
    (
        {"deployments": {"blue": {"version": "champion", "traffic": 100}}},
        "Pulumi.dev.yaml: mlops-estate:models.diabetes.deployments.blue.version: 'champion' is not an explicit registry "
        'version (a label or malformed); use digits such as "4" or "1.2.0" (got \'champion\')',
    ),
    (
        {"deployments": {"blue": {"version": "@prod", "traffic": 100}}},
        "mlops-estate:models.diabetes.deployments.blue.version: '@prod' is not an explicit registry version",
    ),
    (
        {"deployments": {"blue": {"version": " ", "traffic": 100}}},
        "mlops-estate:models.diabetes.deployments.blue.version: empty version; pin an explicit registry version",
    ),
    (
        {"deployments": {"blue": {"version": "3", "traffic": 50}, "green": {"traffic": 50}}},
        "Pulumi.dev.yaml: mlops-estate:models.diabetes: deployments.green has no registered version but "
        "takes traffic; while other slots are pinned, an unregistered slot takes traffic 0",
    ),
    (
        {
            "deployments": {"blue": {"version": "3", "traffic": 100}, "green": {}},
            "mirrorTraffic": {"green": 10},
        },
        "mlops-estate:models.diabetes: deployments.green has no registered version but takes traffic",
    ),
    (
        {"deployments": {"blue": {"version": "3", "traffic": 90}}},
        "Pulumi.dev.yaml: mlops-estate:models.diabetes: deployments traffic adds up to 90, it must add up to 100 (blue=90)",
    ),
    (
        {"deployments": {"blue": {"version": "3", "traffic": 101}}},
        "mlops-estate:models.diabetes.deployments.blue.traffic: Input should be less than or equal to 100",
    ),
    (
        {"deployments": {"blue": {"version": "3", "traffic": 100, "sku": "big"}}},
        "mlops-estate:models.diabetes.deployments.blue.sku: unknown key",
    ),
    (
        {"mirrorTraffic": {"purple": 10}},
        "mlops-estate:models.diabetes: mirrorTraffic.purple: no such deployment slot (slots: blue, green)",
    ),
    (
        {"mirrorTraffic": {"green": 10}},
        "mlops-estate:models.diabetes: mirrorTraffic.green is 10 but slot green takes 10% live traffic; mirror only a "
        "slot with traffic 0",
    ),
    (
        {
            "deployments": {"blue": {"version": "3", "traffic": 100}, "green": {"version": "4"}},
            "mirrorTraffic": {"green": 60},
        },
        "mlops-estate:models.diabetes: mirrorTraffic.green is 60; mirror traffic is 0-50 percent",
    ),
    (
        {"deployments": {"Blue": {"version": "3", "traffic": 100}}},
        "mlops-estate:models.diabetes: deployment slot name 'Blue' is invalid",
    ),
    (
        {"deployments": {"blue": {"version": "3", "traffic": 100, "instanceType": "defaultinstancetype"}}},
        "mlops-estate:models.diabetes: deployments.blue.instanceType 'defaultinstancetype' is not a VM size",
    ),
    (
        {"target": "kubernetes"},
        "Pulumi.dev.yaml: mlops-estate:models.diabetes.target: target is kubernetes but aks.enabled is false",
    ),
    (
        {"serving": "batch"},
        "mlops-estate:models.diabetes: a batch model has exactly one default slot with traffic 100",
    ),
    (
        {
            "serving": "batch",
            "deployments": {"blue": {"version": "3", "traffic": 100}},
            "requestSettings": {"requestTimeoutMs": 10},
        },
        "mlops-estate:models.diabetes: requestSettings apply to online models only",
    ),
    ({"kind": "deep"}, "mlops-estate:models.diabetes.kind: Input should be 'ml' or 'rule-based'"),
    (
        {"autoscale": {"minInstances": 4, "maxInstances": 2}},
        "mlops-estate:models.diabetes.autoscale: minInstances 4 is greater than maxInstances 2",
    ),
    (
        {"requestSettings": {"requestTimeoutMs": 0}},
        "mlops-estate:models.diabetes.requestSettings.requestTimeoutMs: Input should be greater than or equal to 1",
    ),
    ({"livenessProbe": {"every": 5}}, "mlops-estate:models.diabetes.livenessProbe.every: unknown key"),
    (
        {"userAssignedIdentityId": "id-endpoint"},
        "mlops-estate:models.diabetes.userAssignedIdentityId: String should match pattern",
    ),
    ({"deployments": {}}, "mlops-estate:models.diabetes.deployments: Dictionary should have at least 1 item"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m.split(": ", 2)[-1][:40] for _, m in BAD])
def test_bad_model_config(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load({"diabetes": _model(**change)})
    assert message in str(err.value)


def test_bad_model_name() -> None:
    with pytest.raises(ConfigError, match=r"mlops-estate:models: model name 'Diabetes' is invalid"):
        _load({"Diabetes": _model()})


def test_kubernetes_instance_types_are_cluster_names() -> None:
    model = _model(
        target="kubernetes",
        deployments={"blue": {"version": "3", "traffic": 100, "instanceType": "Standard_DS3_v2"}},
    )
    with pytest.raises(
        ConfigError, match=r"deployments.blue.instanceType 'Standard_DS3_v2' is a VM size; kubernetes "
    ):
        _load({"diabetes": model}, stack="qa")
    model["deployments"]["blue"]["instanceType"] = "gpu-small"
    assert (
        _load({"diabetes": model}, stack="qa").settings.models["diabetes"].deployments["blue"].instance_type
        == "gpu-small"
    )


# Day 0: which stacks may declare a slot without a registered version, and what it means.
UNPINNED = {"blue": {"traffic": 100}}
DAY0_RULES = [
    ("dev", UNPINNED, None),
    ("dev", {"blue": {"version": "3", "traffic": 100}, "green": {}}, None),
    (
        "qa",
        UNPINNED,
        "Pulumi.qa.yaml: mlops-estate:models.diabetes.deployments.blue.version: qa serves registered "
        "versions only; pin the version dev validated (estate promote qa diabetes VERSION); slots "
        "without a version are allowed in dev only",
    ),
    (
        "prod",
        UNPINNED,
        "Pulumi.prod.yaml: mlops-estate:models.diabetes.deployments.blue.version: prod serves",
    ),
]


@pytest.mark.parametrize(("stack", "deployments", "error"), DAY0_RULES)
def test_unregistered_slots_are_dev_only(stack: str, deployments: dict[str, Any], error: str | None) -> None:
    if error is None:
        settings = _load({"diabetes": _model(deployments=deployments)}, stack=stack).settings
        assert isinstance(settings, EnvironmentStackSettings)
        model = settings.models["diabetes"]
        assert model.unregistered_slots == [s for s, d in deployments.items() if "version" not in d]
        return
    with pytest.raises(ConfigError) as err:
        _load({"diabetes": _model(deployments=deployments)}, stack=stack)
    assert error in str(err.value)
