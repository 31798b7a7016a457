"""The Azure ML CLI v2 specs load offline with azure-ai-ml and say what the estate relies on."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

# azure-ai-ml warns about its own use of marshmallow; that is not this model's concern.
pytestmark = pytest.mark.filterwarnings("ignore")

MODEL_DIR = Path(__file__).resolve().parents[1]
AZUREML = MODEL_DIR / "azureml"


@pytest.fixture(scope="module")
def ml():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import azure.ai.ml as ml
    return ml


def test_pipeline_loads_with_its_four_steps(ml) -> None:
    job = ml.load_job(AZUREML / "pipeline.yml")
    assert list(job.jobs) == ["prep", "train", "evaluate", "register"]
    assert job._validate().passed
    assert job.inputs.model_name._data == "diabetes"
    assert job.jobs["evaluate"].component.additional_includes == ["../../../evaluation.py"]
    assert (AZUREML / "components" / "../../../evaluation.py").resolve() == MODEL_DIR.parent / "evaluation.py"


@pytest.mark.parametrize("name", ["prep", "train", "evaluate", "register"])
def test_components_load_and_point_at_existing_scripts(ml, name: str) -> None:
    component = ml.load_component(AZUREML / "components" / f"{name}.yml")
    assert component.name == f"diabetes_{name}"
    assert f"python {name}.py" in component.command
    assert (AZUREML / "components" / component.code / f"{name}.py").is_file()
    assert component.environment.conda_file["name"] == "diabetes-train"


def test_champion_inputs_are_optional(ml) -> None:
    component = ml.load_component(AZUREML / "components" / "evaluate.yml")
    assert component.inputs["champion_model"].optional is True
    assert component.inputs["champion_version"].optional is True


def test_online_endpoint_and_deployment(ml) -> None:
    endpoint = ml.load_online_endpoint(AZUREML / "endpoint.yml")
    assert endpoint.auth_mode in ("aml_token", "key")
    deployment = ml.load_online_deployment(AZUREML / "deployment.yml")
    assert deployment.model is None  # the estate pins azureml://registries/<r>/models/diabetes/versions/<n>
    assert deployment.app_insights_enabled is True
    assert set(deployment.data_collector.collections) == {"model_inputs", "model_outputs"}
    assert deployment.code_configuration.scoring_script == "score.py"
    assert deployment.liveness_probe.failure_threshold == 3 and deployment.readiness_probe.period == 10
    assert deployment.request_settings.request_timeout_ms == 5000
    assert deployment.environment.conda_file["name"] == "diabetes-serve"


def test_environments_pin_every_package() -> None:
    from ruamel.yaml import YAML

    for name in ("conda.yml", "serve.yml"):
        env = YAML(typ="safe").load((MODEL_DIR / "environment" / name).read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
        assert pip and all("==" in requirement for requirement in pip), name
        assert all("=" in d for d in env["dependencies"] if isinstance(d, str)), name


def test_every_spec_pins_its_base_image() -> None:
    for path in sorted(AZUREML.rglob("*.yml")):
        text = path.read_text()
        if "image:" in text:
            assert "openmpi4.1.0-ubuntu22.04:20250601.v1" in text and ":latest" not in text, path
