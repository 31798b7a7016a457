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
    before = specs.load_serving_spec("online", "online", root=root).code.version
    (root / "online" / "src" / "score.py").write_text("def run(raw):\n    return raw.upper()\n")
    after = specs.load_serving_spec("online", "online", root=root).code.version
    assert before != after


def test_environment_version_follows_the_conda_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = specs.load_serving_spec("online", "online", root=root).environment.version
    conda = root / "online" / "environment" / "conda.yml"
    conda.write_text(conda.read_text().replace("pandas==3.1.1", "pandas==3.1.2"))
    after = specs.load_serving_spec("online", "online", root=root).environment
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
    assert message.startswith(f"{path}: invalid Azure ML spec: ")
    assert "request_settings.request_timeout_ms: Not a valid integer." in message
    assert "instance_count: Not a valid integer." in message
    assert "instanse_type: Unknown field." in message


def test_endpoint_spec_errors_name_the_endpoint_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "endpoint.yml"
    path.write_text(path.read_text().replace("auth_mode: key", "auth_mode: password"))
    with pytest.raises(ConfigError, match=r"endpoint\.yml: invalid Azure ML spec: auth_mode: "):
        specs.load_serving_spec("online", "online", root=root)


def test_missing_spec_file_names_the_model_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        specs.load_serving_spec("online", "batch", root=_copy(tmp_path))
    assert str(err.value).startswith(
        "mlops-estate:models.online: batch model 'online' needs the Azure ML spec "
    )
    assert "batch-deployment.yml" in str(err.value)


def test_a_model_in_the_spec_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "online" / "azureml" / "deployment.yml"
    path.write_text(path.read_text() + "model: azureml:online@latest\n")
    with pytest.raises(ConfigError, match=r"deployment\.yml: model: leave it out; the estate pins "):
        specs.load_serving_spec("online", "online", root=root)


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
    assert "score.py" in spec.code.files


def test_substitute_replaces_placeholders_everywhere() -> None:
    assert specs.substitute({"a": ["X", {"b": "X"}], "c": "Y"}, {"X": "1"}) == {
        "a": ["1", {"b": "1"}],
        "c": "Y",
    }
