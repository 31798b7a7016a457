"""ModelAssets in isolation: defaults, every feature, the secure production shape, bad args."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.serving.model_assets import ModelAssets
from infra.errors import ConfigError
from tests.support.template import ABSENT, Match, Template

FIXTURES = str(Path(__file__).resolve().parent / "fixtures")
SUB = "8a3e5f1b-2c4d-4b6a-9f7e-1d2c3b4a5e60"
RG = "rg-mlops-dev-weu"
WS_ID = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev"
)
LOGS = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/log-dev"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
DYNAMIC = "pulumi-python:dynamic:Resource"


@pytest.fixture(autouse=True)
def _fixture_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture models' registry versions answer the version lookups."""
    monkeypatch.setenv("ESTATE_REGISTRY_CATALOG", str(Path(FIXTURES) / "registry-catalog.yaml"))


def _args(**extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": "online",
        "serving": "online",
        "endpoint_name": "online-dev-ab12",
        "resource_group_name": RG,
        "workspace_name": "mlw-dev",
        "workspace_id": WS_ID,
        "location": "westeurope",
        "registry_name": "mlr-shared",
        "registry_resource_group_name": "rg-shared",
        "deployments": {"blue": {"version": "3", "traffic": 100}},
        "spec_root": FIXTURES,
    }
    args.update(extra)
    return args


def _template(**extra: Any) -> Template:
    return Template.from_function(lambda: ModelAssets("model-online", _args(**extra)))  # type: ignore[arg-type]


def test_defaults_managed_online() -> None:
    t = _template()
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:model_assets:ModelAssets": 1,
        "azure-native:machinelearningservices:EnvironmentVersion": 1,
        DYNAMIC: 2,
        ENDPOINT: 1,
        DEPLOYMENT: 1,
    }
    t.has_resource_properties(
        ENDPOINT,
        {
            "endpointName": "online-dev-ab12",
            "kind": "Managed",
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "authMode": "AADToken",
                "description": "Test online endpoint.",
                "traffic": ABSENT,
                "mirrorTraffic": ABSENT,
            },
            "tags": {"model": "online"},
        },
    )
    t.has_resource(
        ENDPOINT, {"ignoreChanges": ["properties.traffic", "properties.mirrorTraffic"], "protect": False}
    )
    blue = t.has_resource_properties(
        DEPLOYMENT,
        {
            "deploymentName": "blue",
            "endpointName": "online-dev-ab12",
            "kind": "Managed",
            "sku": {"name": "Default", "capacity": 1},
            "properties": {
                "model": "azureml://registries/mlr-shared/models/online/versions/3",
                "instanceType": "Standard_DS2_v2",
                "endpointComputeType": "Managed",
                "appInsightsEnabled": True,
                "codeConfiguration": {
                    "scoringScript": "score.py",
                    "codeId": Match.string_like(
                        r"^" + WS_ID + r"/codes/online-scoring/versions/[0-9a-f]{32}$"
                    ),
                },
                "environmentId": Match.string_like(
                    r"/workspaces/mlw-dev/environments/online-serving/versions/[0-9a-f]{32}$"
                ),
            },
        },
    )
    traffic = t.resource(DYNAMIC, "model-online-traffic")
    assert traffic["inputs"]["traffic"] == {"blue": 100}
    assert traffic["inputs"]["mirrorTraffic"] == {}
    assert traffic["inputs"]["estateKind"] == "endpointTraffic"
    assert blue["urn"] in traffic["dependencies"]
    assert traffic["id"] == traffic["inputs"]["endpointId"] + "/traffic"
    code = t.resource(DYNAMIC, "model-online-code")
    assert code["inputs"]["path"] == "tests/model_assets/fixtures/online/src"


def test_max_every_feature() -> None:
    uai = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ep"
    t = _template(
        deployments={
            "blue": {"version": "3", "traffic": 90},
            "green": {"version": "4", "traffic": 10, "instance_type": "Standard_DS3_v2", "instance_count": 2},
            "shadow": {"version": "1", "traffic": 0},
        },
        mirror_traffic={"shadow": 20},
        auth_mode="key",
        user_assigned_identity_id=uai,
        app_insights=False,
        request_settings={"request_timeout_ms": 9000},
        liveness_probe={"period": 20},
        readiness_probe={"initial_delay": 15},
        autoscale={"min_instances": 1, "max_instances": 4, "target_cpu_percent": 60},
        byom={"artifact_uri": "azureml://datastores/external/paths/online/5/", "version": "5"},
        log_analytics_id=LOGS,
        tags={"environment": "dev"},
    )
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:model_assets:ModelAssets": 1,
        "azure-native:machinelearningservices:RegistryModelVersion": 1,
        "azure-native:machinelearningservices:EnvironmentVersion": 1,
        DYNAMIC: 2,
        ENDPOINT: 1,
        "azure-native:monitor:DiagnosticSetting": 1,
        DEPLOYMENT: 3,
        "azure-native:monitor:AutoscaleSetting": 3,
    }
    t.has_resource_properties(
        ENDPOINT,
        {
            "identity": {"type": "UserAssigned", "userAssignedIdentities": [uai]},
            "properties": {"authMode": "Key"},
        },
    )
    t.has_resource_properties(
        DEPLOYMENT,
        {
            "deploymentName": "green",
            "sku": {"capacity": 2},
            "properties": {
                "instanceType": "Standard_DS3_v2",
                "appInsightsEnabled": False,
                "model": "azureml://registries/mlr-shared/models/online/versions/4",
                "requestSettings": {"requestTimeout": "PT9S"},
                "livenessProbe": {"period": "PT20S"},
                "readinessProbe": {"initialDelay": "PT15S"},
            },
        },
    )
    t.has_resource(DEPLOYMENT, {"name": "model-online-green", "ignoreChanges": ["sku.capacity"]})
    t.has_resource("azure-native:machinelearningservices:RegistryModelVersion", {"retainOnDelete": True})
    t.has_resource_properties(
        "azure-native:machinelearningservices:RegistryModelVersion",
        {
            "registryName": "mlr-shared",
            "resourceGroupName": "rg-shared",
            "modelName": "online",
            "version": "5",
            "properties": {
                "modelType": "custom_model",
                "modelUri": "azureml://datastores/external/paths/online/5/",
            },
        },
    )
    scale = t.resource("azure-native:monitor:AutoscaleSetting", "model-online-green-autoscale")
    profile = scale["inputs"]["profiles"][0]
    assert profile["capacity"] == {"minimum": "1", "maximum": "4", "default": "2"}
    assert [r["metricTrigger"]["threshold"] for r in profile["rules"]] == [60, 40]
    assert (
        profile["rules"][0]["metricTrigger"]["metricResourceUri"]
        == t.resource(DEPLOYMENT, "model-online-green")["id"]
    )
    assert scale["inputs"]["autoscaleSettingName"] == "online-dev-ab12-green-autoscale"
    traffic = t.resource(DYNAMIC, "model-online-traffic")["inputs"]
    assert traffic["traffic"] == {"blue": 90, "green": 10, "shadow": 0}
    assert traffic["mirrorTraffic"] == {"shadow": 20}


def test_byom_version_is_deployed_from_the_registered_resource() -> None:
    t = _template(
        deployments={"blue": {"version": "5", "traffic": 100}},
        byom={"artifact_uri": "azureml://datastores/external/paths/online/5/", "version": "5"},
    )
    registered = t.resource(
        "azure-native:machinelearningservices:RegistryModelVersion", "model-online-byom-5"
    )
    blue = t.resource(DEPLOYMENT, "model-online-blue")
    assert blue["inputs"]["properties"]["model"] == "azureml://registries/mlr-shared/models/online/versions/5"
    assert registered["urn"] in blue["dependencies"]


def test_waf_aligned_kubernetes_with_diagnostics_and_protection() -> None:
    compute = f"{WS_ID}/computes/aks-inference"
    t = _template(
        target="kubernetes",
        kubernetes_compute_id=compute,
        auth_mode="aml_token",
        log_analytics_id=LOGS,
        lifecycle={"protect": True, "retain_on_delete": True},
    )
    t.has_resource_properties(
        ENDPOINT, {"kind": "Kubernetes", "properties": {"authMode": "AMLToken", "compute": compute}}
    )
    t.has_resource(ENDPOINT, {"protect": True, "retainOnDelete": False})
    t.has_resource_properties(
        DEPLOYMENT,
        {
            "kind": "Kubernetes",
            "properties": {"endpointComputeType": "Kubernetes", "instanceType": "defaultinstancetype"},
        },
    )
    t.has_resource_properties(
        "azure-native:monitor:DiagnosticSetting",
        {"workspaceId": LOGS, "logs": [{"categoryGroup": "allLogs", "enabled": True}]},
    )
    t.resource_count_is("azure-native:monitor:AutoscaleSetting", 0)


def test_batch_model_on_the_cluster() -> None:
    cluster = f"{WS_ID}/computes/cpu-cluster"
    t = Template.from_function(
        lambda: ModelAssets(
            "model-scorer",
            _args(  # type: ignore[arg-type]
                model="scorer",
                serving="batch",
                endpoint_name="scorer-dev-ab12",
                batch_compute_id=cluster,
                deployments={
                    "blue": {"version": "1", "traffic": 100},
                    "green": {"version": "1", "traffic": 0},
                },
            ),
        )
    )
    t.resource_count_is("azure-native:machinelearningservices:BatchEndpoint", 1)
    t.resource_count_is("azure-native:machinelearningservices:BatchDeployment", 2)
    t.resource_count_is(ENDPOINT, 0)
    t.has_resource_properties(
        "azure-native:machinelearningservices:BatchEndpoint",
        {"properties": {"authMode": "AADToken", "defaults": ABSENT}},
    )
    t.has_resource(
        "azure-native:machinelearningservices:BatchEndpoint", {"ignoreChanges": ["properties.defaults"]}
    )
    t.has_resource_properties(
        "azure-native:machinelearningservices:BatchDeployment",
        {
            "properties": {
                "compute": cluster,
                "model": {
                    "referenceType": "Id",
                    "assetId": "azureml://registries/mlr-shared/models/scorer/versions/1",
                },
            }
        },
    )
    assert t.resource(DYNAMIC, "model-scorer-traffic")["inputs"]["traffic"] == {"blue": 100, "green": 0}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"serving": "stream"}, "ModelAssets args.serving: 'stream' is not online or batch"),
        ({"deployments": {}}, "ModelAssets args.deployments: needs at least one slot"),
        (
            {"deployments": {"blue": {"version": "latest", "traffic": 100}}},
            "ModelAssets args.deployments.blue.version: 'latest' is not an explicit registry version",
        ),
        (
            {"deployments": {"blue": {"version": "3", "traffic": 90}}},
            "ModelAssets args.deployments: traffic adds up to 90",
        ),
        (
            {"mirror_traffic": {"green": 10}},
            "ModelAssets args.mirror_traffic.green: no such slot (slots: blue)",
        ),
        (
            {"mirror_traffic": {"blue": 10}},
            "ModelAssets args.mirror_traffic.blue: mirror only a slot without live traffic",
        ),
        (
            {"target": "kubernetes"},
            "ModelAssets args.kubernetes_compute_id: is required with target kubernetes",
        ),
        ({"serving": "batch"}, "ModelAssets args.batch_compute_id: is required for batch models"),
        (
            {
                "autoscale": {"min_instances": 1, "max_instances": 2, "target_cpu_percent": 70},
                "target": "kubernetes",
                "kubernetes_compute_id": "k",
            },
            "ModelAssets args.autoscale: applies to managed online deployments only",
        ),
        ({"colour": "blue"}, "ModelAssets args.colour: is not an argument of ModelAssets"),
        ({"registry_name": ""}, "ModelAssets args.registry_name: is required"),
        (
            {
                "byom": {
                    "artifact_uri": "azureml://datastores/x/paths/y/",
                    "version": "5",
                    "model_type": "onnx",
                }
            },
            "ModelAssets args.byom.model_type: 'onnx' is not custom_model, mlflow_model or triton_model",
        ),
    ],
)
def test_bad_args_fail_at_construction(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _template(**extra)
    assert str(err.value).startswith(message)


def test_unknown_version_fails_naming_the_stack_key() -> None:
    with pytest.raises(ConfigError) as err:
        _template(config_file="Pulumi.dev.yaml", deployments={"blue": {"version": "41", "traffic": 100}})
    assert str(err.value) == (
        "Pulumi.dev.yaml: mlops-estate:models.online.deployments.blue.version: version '41' of model 'online' is not "
        "in registry mlr-shared (known: 1, 3, 4)"
    )


def test_unknown_model_in_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESTATE_REGISTRY_CATALOG")
    with pytest.raises(ConfigError) as err:
        _template()
    assert str(err.value) == (
        "stack file: mlops-estate:models.online.deployments.blue.version: version '3' of model 'online' is not in "
        "registry mlr-shared (known: none; model 'online' is not in model_assets/registry-catalog.yaml)"
    )


def test_outputs() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        component = ModelAssets("model-online", _args())  # type: ignore[arg-type]
        pulumi.Output.all(
            component.scoring_uri,
            component.endpoint_principal_id,
            component.endpoint_id,
            component.deployment_ids["blue"],
        ).apply(lambda v: seen.update(values=v))
        seen["versions"] = component.versions

    t = Template.from_function(program)
    endpoint = t.resource(ENDPOINT, "model-online-endpoint")
    assert seen["values"] == [
        "https://online-dev-ab12.westeurope.inference.ml.azure.com/score",
        endpoint["outputs"]["identity"]["principalId"],
        endpoint["id"],
        t.resource(DEPLOYMENT, "model-online-blue")["id"],
    ]
    assert endpoint["id"].endswith(
        f"/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev"
        "/onlineEndpoints/online-dev-ab12"
    )
    assert seen["versions"] == {"blue": "3"}
