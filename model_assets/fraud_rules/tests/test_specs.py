"""The fraud rules' Azure ML specs load offline with azure-ai-ml."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations

MODEL_DIR = Path(__file__).resolve().parents[1]
AZUREML = MODEL_DIR / "azureml"


def test_pipeline_has_no_training_step() -> None:
    from azure.ai.ml import load_job
    from azure.ai.ml.entities import PipelineJob

    job = load_job(AZUREML / "pipeline.yml")
    assert isinstance(job, PipelineJob)
    assert list(job.jobs) == ["evaluate", "register"]
    assert job._validate().passed
    assert job.inputs["register_rules"]._data is False
    assert (AZUREML / job.inputs["rules"]._data["path"] / "rules.yaml").is_file()
    assert (AZUREML / job.inputs["sample"]._data["path"]).is_file()


def test_endpoint_and_deployment() -> None:
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    assert load_online_endpoint(AZUREML / "endpoint.yml").auth_mode == "key"
    deployment = load_online_deployment(AZUREML / "deployment.yml")
    assert deployment.model is None
    assert deployment.app_insights_enabled is True
    assert set(deployment.data_collector.collections) == {"model_inputs", "model_outputs"}
    assert deployment.code_configuration is not None
    assert isinstance(deployment.code_configuration.code, str)
    assert (AZUREML / deployment.code_configuration.code / "score.py").is_file()
