"""Data-collector destinations: the data asset ``az ml`` registers per collection, declared as
azure-native resources and wired into the deployment; and the model type of no-code deployments
checked offline against the type the registry catalog records."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pulumi
import pytest

from components.serving import specs
from components.serving.model_assets import ModelAssets, ModelAssetsArgs
from infra.errors import ConfigError
from tests.support.template import Template

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUB = "8a3e5f1b-2c4d-4b6a-9f7e-1d2c3b4a5e60"
RG = "rg-mlops-dev-weu"
WS_ID = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev"
)
ML = "azure-native:machinelearningservices:"
DEPLOYMENT = f"{ML}OnlineDeployment"
MDC = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"


@pytest.fixture(autouse=True)
def _fixture_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTATE_REGISTRY_CATALOG", str(FIXTURES / "registry-catalog.yaml"))


def _args(model: str, deployments: dict[str, Any], **extra: Any) -> ModelAssetsArgs:
    args: dict[str, Any] = {
        "model": model,
        "serving": "online",
        "endpoint_name": f"{model}-dev-ab12",
        "resource_group_name": RG,
        "workspace_name": "mlw-dev",
        "workspace_id": WS_ID,
        "location": "westeurope",
        "registry_name": "mlr-shared",
        "registry_resource_group_name": "rg-shared",
        "deployments": deployments,
        "spec_root": str(FIXTURES),
        "tags": {"environment": "dev"},
    }
    args.update(extra)  # tests pass bad extras on purpose; the component validates them
    return cast(ModelAssetsArgs, args)


def _template(model: str, deployments: dict[str, Any], **extra: Any) -> Template:
    return Template.from_function(lambda: ModelAssets(f"model-{model}", _args(model, deployments, **extra)))


def _version_properties(uri: str, collection: str) -> dict[str, Any]:
    return {
        "dataType": "uri_folder",
        "dataUri": uri,
        "description": f"Production data collected by collector's deployments ({collection})",
        "isAnonymous": False,
        "isArchived": False,
        "tags": {"environment": "dev"},
    }


def test_each_collection_gets_the_data_asset_az_ml_registers_and_the_deployment_sends_its_id() -> None:
    t = _template("collector", {"blue": {"version": "2", "traffic": 100}})
    counts = t.count_by_type()
    assert (counts[f"{ML}DataContainer"], counts[f"{ML}DataVersion"], counts[DEPLOYMENT]) == (2, 2, 1)
    # model_inputs: the spec's name/version/path; model_outputs: az ml's defaults.
    named = t.resource(f"{ML}DataVersion", "model-collector-data-collector_inputs-2")
    default = t.resource(f"{ML}DataVersion", "model-collector-data-collector-dev-ab12-blue-model_outputs-1")
    assert named["inputs"] == {
        "name": "collector_inputs",
        "version": "2",
        "resourceGroupName": RG,
        "workspaceName": "mlw-dev",
        "properties": _version_properties(
            "azureml://datastores/workspaceblobstore/paths/collected/inputs", "model_inputs"
        ),
    }
    assert default["inputs"] == {
        "name": "collector-dev-ab12-blue-model_outputs",
        "version": "1",
        "resourceGroupName": RG,
        "workspaceName": "mlw-dev",
        "properties": _version_properties(f"{MDC}/collector-dev-ab12/blue/model_outputs", "model_outputs"),
    }
    assert named["replaceOnChanges"] == ["properties.dataUri"] and named["deleteBeforeReplace"] is True
    container = t.resource(f"{ML}DataContainer", "model-collector-data-collector_inputs")
    assert container["inputs"] == {
        "name": "collector_inputs",
        "resourceGroupName": RG,
        "workspaceName": "mlw-dev",
        "properties": {
            "dataType": "uri_folder",
            "description": "Production data collected by collector's deployments (model_inputs)",
            "tags": {"environment": "dev"},
        },
    }
    assert container["urn"] in named["dependencies"]
    assert named["id"].endswith(
        f"/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev"
        "/data/collector_inputs/versions/2"
    )
    deployment = t.resource(DEPLOYMENT, "model-collector-blue")
    assert deployment["inputs"]["properties"]["dataCollector"] == {
        "collections": {
            "model_inputs": {"dataCollectionMode": "enabled", "dataId": named["id"], "samplingRate": 0.5},
            "model_outputs": {"dataCollectionMode": "enabled", "dataId": default["id"], "samplingRate": 0.5},
        }
    }
    assert {named["urn"], default["urn"]} <= set(deployment["dependencies"])
    for resource in (named, default, container):
        assert resource["parent"] == t.resource("mlops:model_assets:ModelAssets", "model-collector")["urn"]


def test_slots_share_a_named_asset_and_get_their_own_default_ones() -> None:
    t = _template(
        "collector", {"blue": {"version": "2", "traffic": 90}, "green": {"version": "1", "traffic": 10}}
    )
    versions = sorted(r["inputs"]["name"] for r in t.resources if r["type"] == f"{ML}DataVersion")
    assert versions == [
        "collector-dev-ab12-blue-model_outputs",
        "collector-dev-ab12-green-model_outputs",
        "collector_inputs",
    ]
    assert t.count_by_type()[f"{ML}DataContainer"] == 3


def test_a_declared_slot_registers_no_data_asset() -> None:
    t = _template("collector", {"blue": {"traffic": 100}})
    assert f"{ML}DataVersion" not in t.count_by_type()


class _RecordingData:
    """azure-ai-ml's data operations as seen by ``_register_collection_data_assets``: it
    records what az ml would register (the HTTP layer below is not what this test compares)."""

    def __init__(self) -> None:
        self.created: list[Any] = []

    def create_or_update(self, data: Any) -> Any:
        self.created.append(data)
        return data


def _az_ml_registration(deployment: Any, endpoint: str) -> tuple[Any, list[Any]]:
    from azure.ai.ml.constants._common import AzureMLResourceType
    from azure.ai.ml.operations._online_deployment_operations import OnlineDeploymentOperations

    recorder = _RecordingData()
    operations = SimpleNamespace(
        _subscription_id=SUB,
        _resource_group_name=RG,
        _workspace_name="mlw-dev",
        _all_operations=SimpleNamespace(_all_operations={AzureMLResourceType.DATA: recorder}),
    )
    sent = copy.deepcopy(deployment)
    sent.endpoint_name = endpoint
    # The SDK's own registration step on a stand-in for its operations object (HTTP edge).
    OnlineDeploymentOperations._register_collection_data_assets(
        cast(OnlineDeploymentOperations, operations), sent
    )
    return sent, recorder.created


def test_the_conversion_is_az_ml_s_own_registration_and_rest_object_field_for_field() -> None:
    spec = specs.load_serving_spec("collector", "online", root=FIXTURES)
    endpoint = "collector-dev-ab12"
    sent, registered = _az_ml_registration(spec.deployment, endpoint)
    assets = specs.collection_assets(spec.deployment, endpoint_name=endpoint, slot="blue")
    assert [(a.name, a.version, a.path) for a in assets] == [
        (str(d.name), str(d.version), str(d.path)) for d in registered
    ]
    overrides = specs.DeploymentOverrides(model="m", code_id="c", environment_id="e", endpoint_name=endpoint)
    conversion = specs.online_deployment_conversion(spec, "blue", overrides, location="westeurope")
    assert conversion.differences() == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sent.code_configuration.code = "@@spec-code@@"
        sent.environment = "@@spec-environment@@"
        rest = specs.wire(sent._to_rest_object(location="westeurope"))
    baseline: Any = conversion.baseline
    sent_wire: Any = rest
    collections = specs.substitute(baseline["properties"]["dataCollector"], {"@@workspace@@": WS_ID})
    assert collections == sent_wire["properties"]["dataCollector"]
    for asset, data in zip(assets, registered, strict=True):
        version = specs.data_version_conversion(asset, description="d", tags={})
        assert version.baseline == specs.wire(data._to_rest_object())
        assert version.differences() == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ("azureml:inputs:1", "data", "is a string; az ml registers the collection's data asset itself"),
        ({"name": "x", "path": "./collected"}, "data.path", "is a local folder, which az ml uploads"),
    ],
)
def test_collection_data_az_ml_cannot_register_is_refused_at_its_line(
    tmp_path: Path, data: Any, field: str, message: str
) -> None:
    import shutil

    from ruamel.yaml import YAML

    shutil.copytree(FIXTURES / "collector", tmp_path / "collector")
    path = tmp_path / "collector" / "azureml" / "deployment.yml"
    yaml = YAML()
    document = yaml.load(path.read_text())
    document["data_collector"]["collections"]["model_inputs"]["data"] = data
    with path.open("w") as stream:
        yaml.dump(document, stream)
    with pytest.raises(ConfigError) as err:
        specs.load_serving_spec("collector", "online", root=tmp_path)
    assert f": data_collector.collections.model_inputs.{field}: " in str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# -- the model type of no-code deployments, offline ---------------------------------------------


def test_a_no_code_deployment_pinned_to_a_recorded_custom_model_fails_in_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        _template("nocode", {"blue": {"version": "2", "traffic": 100}}, config_file="Pulumi.dev.yaml")
    assert isinstance(err.value, pulumi.RunError)
    assert str(err.value) == (
        "Pulumi.dev.yaml: mlops-estate:models.nocode.deployments.blue.version: version '2' of model 'nocode' "
        "is a custom_model; the spec deploys it without scoring code, which needs a mlflow_model or "
        "triton_model: pin a mlflow_model or triton_model version or add code_configuration"
    )


@pytest.mark.parametrize("version", ["3", "1"])  # recorded mlflow_model; recorded before types were
def test_a_no_code_deployment_pinned_to_an_mlflow_or_untyped_version_previews(version: str) -> None:
    t = _template("nocode", {"blue": {"version": version, "traffic": 100}})
    deployment = t.resource(DEPLOYMENT, "model-nocode-blue")["inputs"]["properties"]
    assert deployment["model"] == f"azureml://registries/mlr-shared/models/nocode/versions/{version}"
    assert "codeConfiguration" not in deployment and "environmentId" not in deployment


def test_a_deployment_with_code_takes_any_recorded_type() -> None:
    assert specs.load_serving_spec("collector", "online", root=FIXTURES).model_types == ()
    assert specs.load_serving_spec("nocode", "online", root=FIXTURES).model_types == (
        "mlflow_model",
        "triton_model",
    )
