"""The validation step (shared gate on the labelled holdout) and the batch specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_assets import evaluation as gate

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations

MODEL_DIR = Path(__file__).resolve().parents[1]
AZUREML = MODEL_DIR / "azureml"
HOLDOUT = MODEL_DIR / "sample" / "holdout.csv"


@pytest.fixture(scope="module")
def validate(src):
    return src("validate")


def test_shipped_artifact_passes_the_gate(validate, tmp_path: Path) -> None:
    assert (
        validate.main(
            ["--artifact", str(MODEL_DIR / "artifact"), "--holdout", str(HOLDOUT), "--report", str(tmp_path)]
        )
        == 0
    )
    report = gate.read_report(tmp_path / "evaluation_report.json")
    assert report["register"] is True
    assert report["candidate"]["metrics"] == {
        "accuracy": 0.765,
        "f1": 0.629921,
        "precision": 0.677966,
        "recall": 0.588235,
        "roc_auc": 0.806707,
    }
    assert report["context"] == {
        "format": "mlops-estate/logistic-regression@1",
        "holdout_rows": "200",
        "source": "byom",
    }


def test_auc_matches_scikit_learn(validate) -> None:
    from sklearn.metrics import roc_auc_score

    probabilities = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2]
    labels = [0, 0, 1, 1, 0, 1]
    assert validate.roc_auc(probabilities, labels) == pytest.approx(roc_auc_score(labels, probabilities))


def test_missed_threshold_fails_the_step(validate, tmp_path: Path, capsys) -> None:
    assert (
        validate.main(
            [
                "--artifact",
                str(MODEL_DIR / "artifact"),
                "--holdout",
                str(HOLDOUT),
                "--thresholds",
                '{"roc_auc": 0.9}',
                "--report",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "candidate fails thresholds: roc_auc 0.806707 < floor 0.9" in capsys.readouterr().out
    assert json.loads((tmp_path / "evaluation_report.json").read_text())["register"] is False


def test_broken_inputs_are_named(validate, tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "model.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="format 'other' is not"):
        validate.validate(tmp_path / "art", HOLDOUT, gate.gate_config("roc_auc"), tmp_path / "r")
    bad = tmp_path / "holdout.csv"
    bad.write_text(HOLDOUT.read_text().replace("H-0002,62,47.40,2,0,1,0", "H-0002,62,47.40,2,0,1,maybe"))
    with pytest.raises(ValueError, match="holdout.csv:3: churned must be 0 or 1, got 'maybe'"):
        validate.validate(MODEL_DIR / "artifact", bad, gate.gate_config("roc_auc"), tmp_path / "r")


def test_batch_endpoint_deployment_and_pipeline_load() -> None:
    from azure.ai.ml import load_batch_deployment, load_batch_endpoint, load_job
    from azure.ai.ml.entities import PipelineJob

    assert load_batch_endpoint(AZUREML / "endpoint.yml").auth_mode == "aad_token"
    deployment = load_batch_deployment(AZUREML / "batch-deployment.yml")
    assert deployment.model is None
    assert (deployment.output_action, deployment.output_file_name) == ("append_row", "predictions.csv")
    code = deployment.code_configuration
    assert code is not None and isinstance(code.code, str) and code.scoring_script is not None
    assert (AZUREML / code.code / code.scoring_script).is_file()
    job = load_job(AZUREML / "pipeline.yml")
    assert isinstance(job, PipelineJob)
    assert list(job.jobs) == ["validate"] and job._validate().passed
    assert job.jobs["validate"].component.additional_includes == ["../../../evaluation.py"]
    assert (AZUREML / job.inputs["holdout"]._data["path"]).is_file()
