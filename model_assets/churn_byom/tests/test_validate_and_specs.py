"""The validation step and the batch specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations

MODEL_DIR = Path(__file__).resolve().parents[1]
AZUREML = MODEL_DIR / "azureml"


def test_validation_passes_on_the_shipped_artifact(src, tmp_path: Path) -> None:
    validate = src("validate")
    assert validate.main(["--artifact", str(MODEL_DIR / "artifact"), "--sample",
                          str(MODEL_DIR / "sample" / "customers.csv"), "--report", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "validation_report.json").read_text())
    assert report == {"schema": "mlops-estate/byom-validation@1", "passed": True, "problems": [], "rows": 8,
                      "format": "mlops-estate/logistic-regression@1"}


def test_validation_fails_on_a_broken_artifact(src, tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "model.json").write_text('{"format": "other"}')
    report = src("validate").validate(tmp_path / "art", MODEL_DIR / "sample" / "customers.csv", tmp_path / "r")
    assert report["passed"] is False
    assert report["problems"][0].startswith("cannot score the sample:")


def test_batch_endpoint_and_deployment_load() -> None:
    from azure.ai.ml import load_batch_deployment, load_batch_endpoint, load_job

    assert load_batch_endpoint(AZUREML / "endpoint.yml").auth_mode == "aad_token"
    deployment = load_batch_deployment(AZUREML / "batch-deployment.yml")
    assert deployment.model is None
    assert (deployment.output_action, deployment.output_file_name) == ("append_row", "predictions.csv")
    assert (AZUREML / deployment.code_configuration.code / deployment.code_configuration.scoring_script).is_file()
    job = load_job(AZUREML / "pipeline.yml")
    assert list(job.jobs) == ["validate"] and job._validate().passed
