"""Training and the evaluation against the production champion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_assets import evaluation as gate


@pytest.fixture(scope="module")
def evaluate(src):
    return src("evaluate")


def test_training_writes_a_usable_model(built: Path) -> None:
    meta = json.loads((built / "model" / "model_meta.json").read_text())
    assert meta["features"] == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert meta["train_rows"] == 353 and meta["alpha"] == 1.0
    assert (built / "model" / "model.joblib").is_file()


def test_training_rejects_a_bad_alpha(src, built: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--alpha must be > 0"):
        src("train").train(built / "data", tmp_path / "m", alpha=0)


def test_candidate_metrics_are_plausible(evaluate, built: Path) -> None:
    x_test, y_test = evaluate.read_split(built / "data" / "test.csv")
    metrics = evaluate.metrics(built / "model", x_test, y_test)
    assert 45 < metrics["rmse"] < 60
    assert 0.4 < metrics["r2"] < 0.6
    assert metrics["mae"] < metrics["rmse"]


def test_no_champion_registers_on_thresholds(evaluate, built: Path, tmp_path: Path) -> None:
    report = evaluate.evaluate(
        built / "data",
        built / "model",
        None,
        gate.gate_config("rmse", 0, {"r2": 0.3}),
        model_name="diabetes",
        champion_version=None,
        report_dir=tmp_path,
    )
    assert report["register"] is True
    assert report["champion"] is None
    assert report["context"]["data_version"].startswith("sklearn-diabetes@")
    assert json.loads((tmp_path / "evaluation_report.json").read_text()) == report


def test_same_model_as_champion_is_not_better(evaluate, built: Path, tmp_path: Path) -> None:
    report = evaluate.evaluate(
        built / "data",
        built / "model",
        built / "model",
        gate.gate_config("rmse"),
        model_name="diabetes",
        champion_version="3",
        report_dir=tmp_path,
    )
    assert report["register"] is False
    assert report["delta"] == 0.0
    assert "equal is not better" in report["reason"]
    assert report["champion"]["version"] == "3"


def test_beats_a_weaker_champion_nested_like_a_registered_model(
    src, evaluate, built: Path, tmp_path: Path
) -> None:
    src("train").train(built / "data", tmp_path / "champion" / "model", alpha=500.0)  # over-regularised
    report = evaluate.evaluate(
        built / "data",
        built / "model",
        tmp_path / "champion",
        gate.gate_config("rmse", 1.0),
        model_name="diabetes",
        champion_version="3",
        report_dir=tmp_path / "r",
    )
    assert report["register"] is True
    assert report["champion"]["metrics"]["rmse"] > report["candidate"]["metrics"]["rmse"] + 1.0
    assert "beats champion v3" in report["reason"]


def test_command_line_writes_the_report(evaluate, built: Path, tmp_path: Path) -> None:
    assert (
        evaluate.main(
            [
                "--data",
                str(built / "data"),
                "--candidate",
                str(built / "model"),
                "--model-name",
                "diabetes",
                "--metric",
                "r2",
                "--margin",
                "0.01",
                "--thresholds",
                '{"r2": 0.99}',
                "--report",
                str(tmp_path),
            ]
        )
        == 0
    )
    report = gate.read_report(tmp_path / "evaluation_report.json")
    assert report["register"] is False
    assert report["threshold_failures"][0].startswith("r2 0.")
