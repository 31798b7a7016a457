"""Spec loading (azure-ai-ml schemas), error messages naming file and field, ARM conversion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.serving import specs
from components.serving.specs import DeploymentOverrides
from infra.errors import ConfigError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _copy(tmp_path: Path, name: str = "online") -> Path:
    shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _code(root: Path) -> specs.CodeSpec:
    code = specs.load_serving_spec("online", "online", root=root).code
    assert code is not None
    return code


def _environment(root: Path) -> specs.EnvironmentSpec:
    environment = specs.load_serving_spec("online", "online", root=root).environment
    assert environment is not None
    return environment


def _overrides(**kwargs) -> DeploymentOverrides:
    return DeploymentOverrides(model="M", code_id="C", environment_id="E", **kwargs)


def test_online_spec_loads_with_content_versions() -> None:
    spec = specs.load_serving_spec("online", "online", root=FIXTURES)
    assert spec.endpoint.auth_mode == "key"
    assert spec.deployment.instance_type == "Standard_DS2_v2"
    assert spec.environment is not None and spec.environment.name == "online-serving"
    assert spec.environment.image == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20240709.v1"
    assert "pandas==3.1.1" in spec.environment.conda_file
    assert len(spec.environment.version) == 32
    assert (
        spec.code is not None and spec.code.files == ("score.py",) and spec.code.scoring_script == "score.py"
    )
    again = specs.load_serving_spec("online", "online", root=FIXTURES)
    assert again.deployment is spec.deployment and again.endpoint is spec.endpoint  # parsed once per content


def test_code_version_follows_content(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = _code(root).version
    (root / "online" / "src" / "score.py").write_text("def run(raw):\n    return raw.upper()\n")
    after = _code(root).version
    assert before != after


def test_environment_version_follows_the_conda_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = _environment(root).version
    conda = root / "online" / "environment" / "conda.yml"
    conda.write_text(conda.read_text().replace("pandas==3.1.1", "pandas==3.1.2"))
    after = _environment(root)
    assert after.version != before and "pandas==3.1.2" in after.conda_file


def test_unknown_field_and_wrong_type_name_file_and_fields(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "deployment.yml"
    text = (
        path.read_text()
        .replace("instance_count: 1", "instance_count: two")
        .replace("app_insights_enabled: true", "app_insights_enabled: true\ninstanse_type: Standard_DS3_v2")
    )
    text = text.replace("request_timeout_ms: 3000", "request_timeout_ms: fast")
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        specs.load_serving_spec("online", "online", root=root)
    message = str(err.value)
    assert message.startswith(f"{path}: line ")
    assert (
        "line 15: request_settings.request_timeout_ms: Not a valid integer; write a whole number" in message
    )
    assert "line 11: instance_count: Not a valid integer; write a whole number" in message
    assert (
        "line 13: instanse_type: Unknown field; remove it: the online deployment schema has no such field"
        in message
    )


def test_endpoint_spec_errors_name_the_endpoint_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "endpoint.yml"
    path.write_text(path.read_text().replace("auth_mode: key", "auth_mode: password"))
    with pytest.raises(
        ConfigError, match=r"endpoint\.yml: line 4: auth_mode: Value 'password' passed is not in set"
    ):
        specs.load_serving_spec("online", "online", root=root)


def test_missing_spec_file_names_the_model_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        specs.load_serving_spec("online", "batch", root=_copy(tmp_path))
    assert str(err.value).startswith(
        "mlops-estate:models.online: batch model 'online' needs the Azure ML spec "
    )
    assert "batch-deployment.yml" in str(err.value)


def test_a_model_in_the_spec_is_replaced_with_a_warning(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "deployment.yml"
    path.write_text(path.read_text() + "model: azureml:online@latest\n")
    spec = specs.load_serving_spec("online", "online", root=root)
    assert [str(w) for w in spec.warnings] == [
        f"{path}:29: model: replaced by the version the stack file pins "
        "(azureml://registries/<registry>/models/<model>/versions/<n>); leave it out"
    ]
    arm = specs.online_deployment_arm(spec, "blue", _overrides(), location="westeurope")
    assert arm["properties"]["model"] == "M"


def test_missing_scoring_script_is_a_spec_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "online" / "src" / "score.py").unlink()
    with pytest.raises(
        ConfigError, match=r"code_configuration.scoring_script: 'score.py' is not in '../src'"
    ):
        specs.load_serving_spec("online", "online", root=root)


def test_managed_deployment_conversion_with_overrides() -> None:
    spec = specs.load_serving_spec("online", "online", root=FIXTURES)
    arm = specs.online_deployment_arm(
        spec,
        "green",
        _overrides(
            instance_type="Standard_DS3_v2",
            instance_count=2,
            app_insights=False,
            request_settings={"request_timeout_ms": 9000},
            liveness_probe={"failure_threshold": 5},
        ),
        location="westeurope",
    )
    assert arm["sku"] == {"name": "Default", "capacity": 2}
    assert arm["properties"] == {
        "codeConfiguration": {"codeId": "C", "scoringScript": "score.py"},
        "environmentId": "E",
        "model": "M",
        "appInsightsEnabled": False,
        "requestSettings": {
            "maxQueueWait": "PT0.5S",
            "maxConcurrentRequestsPerInstance": 1,
            "requestTimeout": "PT9S",
        },
        "livenessProbe": {
            "failureThreshold": 5,
            "successThreshold": 1,
            "timeout": "PT2S",
            "period": "PT10S",
            "initialDelay": "PT20S",
        },
        "instanceType": "Standard_DS3_v2",
        "readinessProbe": {
            "failureThreshold": 3,
            "successThreshold": 1,
            "timeout": "PT2S",
            "period": "PT10S",
            "initialDelay": "PT5S",
        },
        "endpointComputeType": "Managed",
    }
    # the loaded spec itself is untouched
    assert spec.deployment.instance_type == "Standard_DS2_v2" and spec.deployment.model is None


def test_kubernetes_deployment_conversion() -> None:
    spec = specs.load_serving_spec("online", "online", root=FIXTURES)
    arm = specs.online_deployment_arm(spec, "blue", _overrides(kubernetes=True), location="westeurope")
    assert arm["properties"]["endpointComputeType"] == "Kubernetes"
    assert arm["properties"]["instanceType"] == "defaultinstancetype"
    sized = specs.online_deployment_arm(
        spec, "blue", _overrides(kubernetes=True, instance_type="gpu-small"), location="westeurope"
    )
    assert sized["properties"]["instanceType"] == "gpu-small"


def test_endpoint_conversion_has_no_traffic() -> None:
    spec = specs.load_serving_spec("online", "online", root=FIXTURES)
    assert specs.online_endpoint_properties(
        spec, auth_mode="aad_token", compute=None, location="westeurope"
    ) == {"description": "Test online endpoint.", "authMode": "AADToken"}
    assert specs.online_endpoint_properties(
        spec, auth_mode="aml_token", compute="K", location="westeurope"
    ) == {"description": "Test online endpoint.", "authMode": "AMLToken", "compute": "K"}


def test_batch_conversion() -> None:
    spec = specs.load_serving_spec("scorer", "batch", root=FIXTURES)
    arm = specs.batch_deployment_arm(
        spec, "blue", _overrides(compute="K", instance_count=3), location="westeurope"
    )
    assert arm["properties"]["compute"] == "K"
    assert arm["properties"]["model"] == {"assetId": "M", "referenceType": "Id"}
    assert arm["properties"]["resources"] == {"instanceCount": 3, "properties": {}}
    assert arm["properties"]["miniBatchSize"] == 10 and arm["properties"]["outputAction"] == "AppendRow"
    assert specs.batch_endpoint_properties(spec, location="westeurope") == {
        "description": "Test batch endpoint.",
        "authMode": "AADToken",
    }


def test_sample_diabetes_spec_loads() -> None:
    spec = specs.load_serving_spec("diabetes", "online")
    assert spec.deployment_file == specs.MODEL_ASSETS / "diabetes" / "azureml" / "deployment.yml"
    assert spec.code is not None and "score.py" in spec.code.files


def test_substitute_replaces_placeholders_everywhere() -> None:
    assert specs.substitute({"a": ["X", {"b": "X"}], "c": "Y"}, {"X": "1"}) == {
        "a": ["1", {"b": "1"}],
        "c": "Y",
    }


def test_auth_mode_is_the_spec_s_unless_the_stack_sets_one() -> None:
    spec = specs.load_serving_spec("online", "online", root=FIXTURES)  # auth_mode: key
    issues: list = []
    carried = specs.online_endpoint_inputs(
        spec, specs.EndpointOverrides(), location="westeurope", issues=issues
    )
    assert carried["properties"]["authMode"] == "Key" and issues == []
    overridden = specs.online_endpoint_inputs(
        spec, specs.EndpointOverrides(auth_mode="aad_token"), location="westeurope", issues=issues
    )
    assert overridden["properties"]["authMode"] == "AADToken"
    assert [str(i) for i in issues] == [
        "tests/model_assets/fixtures/online/azureml/endpoint.yml:4: auth_mode: 'key' replaced by the stack's "
        "'aad_token'"
    ]


def test_unstated_auth_mode_is_the_estate_default(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "endpoint.yml"
    path.write_text(path.read_text().replace("auth_mode: key\n", ""))
    spec = specs.load_serving_spec("online", "online", root=root)
    managed = specs.online_endpoint_inputs(spec, specs.EndpointOverrides(), location="westeurope")
    kubernetes = specs.online_endpoint_inputs(
        spec, specs.EndpointOverrides(compute="K"), location="westeurope"
    )
    assert (managed["properties"]["authMode"], kubernetes["properties"]["authMode"]) == (
        "AADToken",
        "AMLToken",
    )


def test_aad_token_spec_on_kubernetes_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "endpoint.yml"
    path.write_text(path.read_text().replace("auth_mode: key", "auth_mode: aad_token"))
    spec = specs.load_serving_spec("online", "online", root=root)
    with pytest.raises(
        ConfigError, match=r"endpoint\.yml: line 4: auth_mode: aad_token is not available on Kubernetes"
    ):
        specs.online_endpoint_inputs(spec, specs.EndpointOverrides(compute="K"), location="westeurope")


def test_batch_deployment_loaded_by_its_type(tmp_path: Path) -> None:
    root = _copy(tmp_path, "scorer")
    path = root / "scorer" / "azureml" / "batch-deployment.yml"
    text = path.read_text()
    for key in (
        "max_concurrency_per_instance",
        "mini_batch_size",
        "output_action",
        "output_file_name",
        "retry_settings",
        "error_threshold",
        "logging_level",
    ):
        text = text.replace(f"\n{key}:", f"\n  {key}:")
    text = text.replace("\n  max_retries", "\n    max_retries").replace("\n  timeout", "\n    timeout")
    text = text.replace(
        "$schema: https://azuremlschemas.azureedge.net/latest/batchDeployment.schema.json",
        "$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json\ntype: model",
    )
    text = text.replace(
        "\n  max_concurrency_per_instance:", "\nsettings:\n  max_concurrency_per_instance:", 1
    )
    path.write_text(text)
    spec = specs.load_serving_spec("scorer", "batch", root=root)
    assert type(spec.deployment).__name__ == "ModelBatchDeployment"
    arm = specs.batch_deployment_arm(spec, "blue", _overrides(compute="K"), location="westeurope")
    legacy = specs.batch_deployment_arm(
        specs.load_serving_spec("scorer", "batch", root=FIXTURES),
        "blue",
        _overrides(compute="K"),
        location="westeurope",
    )
    assert arm == legacy  # the same deployment in either schema sends the same properties
