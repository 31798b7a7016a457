"""Evaluation of the rules on the shipped labelled sample, and the optional registration."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from model_assets import evaluation as gate

MODEL_DIR = Path(__file__).resolve().parents[1]
SAMPLE = MODEL_DIR / "data" / "labelled_sample.csv"

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations


@pytest.fixture(scope="module")
def evaluate(src):
    return src("evaluate")


def test_sample_is_reproduced_by_its_script(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "_fraud_rules_make_sample", MODEL_DIR / "data" / "make_sample.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.write(tmp_path / "sample.csv", module.make_rows())
    assert (tmp_path / "sample.csv").read_bytes() == SAMPLE.read_bytes()


def test_shipped_rules_pass_the_thresholds(evaluate, tmp_path: Path) -> None:
    config = gate.gate_config("f1", 0, {"precision": 0.85, "recall": 0.65})
    report = evaluate.evaluate(
        MODEL_DIR / "rules", SAMPLE, config, model_name="fraud_rules", report_dir=tmp_path
    )
    assert report["candidate"]["metrics"] == {
        "accuracy": 0.9475,
        "f1": 0.817391,
        "precision": 0.94,
        "recall": 0.723077,
    }
    assert report["register"] is True
    assert report["context"] == {"rules_version": "1.0.0", "sample_rows": "400"}
    assert gate.read_report(tmp_path / "evaluation_report.json") == report


def test_missed_threshold_fails_the_step(evaluate, tmp_path: Path, capsys) -> None:
    code = evaluate.main(
        [
            "--rules",
            str(MODEL_DIR / "rules"),
            "--sample",
            str(SAMPLE),
            "--model-name",
            "fraud_rules",
            "--thresholds",
            '{"recall": 0.9}',
            "--report",
            str(tmp_path),
        ]
    )
    assert code == 1
    assert "candidate fails thresholds: recall 0.723077 < floor 0.9" in capsys.readouterr().out


def test_a_bad_sample_row_is_reported_with_its_line(evaluate, tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    lines[3] = "-5" + lines[3][lines[3].index(",") :]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"bad.csv:4: amount: -5.0 is outside \[0, 1000000\]"):
        evaluate.evaluate(
            MODEL_DIR / "rules", bad, gate.gate_config("f1"), model_name="fraud_rules", report_dir=tmp_path
        )


class FakeClient:
    def __init__(self) -> None:
        self.sent: list = []
        self.models = SimpleNamespace(create_or_update=self._create)

    def _create(self, model):
        self.sent.append(model)
        return SimpleNamespace(version="2")


def test_register_sends_the_rules_folder_with_lineage(src, evaluate, tmp_path: Path) -> None:
    report = evaluate.evaluate(
        MODEL_DIR / "rules",
        SAMPLE,
        gate.gate_config("f1", 0, {"precision": 0.85}),
        model_name="fraud_rules",
        report_dir=tmp_path,
    )
    client = FakeClient()
    assert (
        src("register").register(
            report, MODEL_DIR / "rules", client, model_name="fraud_rules", git_commit="abc", build_id="9"
        )
        == "2"
    )
    [model] = client.sent
    assert (model.name, model.type, Path(model.path)) == ("fraud_rules", "custom_model", MODEL_DIR / "rules")
    assert model.tags["rules_version"] == "1.0.0"
    assert model.tags["metric_precision"] == "0.94"
    assert (model.tags["git_commit"], model.tags["build_id"], model.tags["kind"]) == (
        "abc",
        "9",
        "rule-based",
    )


def test_register_sends_nothing_when_off_or_failed(src, evaluate, tmp_path: Path) -> None:
    report = evaluate.evaluate(
        MODEL_DIR / "rules",
        SAMPLE,
        gate.gate_config("f1", 0, {"recall": 0.99}),
        model_name="fraud_rules",
        report_dir=tmp_path,
    )
    client = FakeClient()
    register = src("register")
    assert (
        register.register(
            report, MODEL_DIR / "rules", client, model_name="fraud_rules", git_commit="a", build_id="1"
        )
        is None
    )
    assert (
        register.main(
            [
                "--rules",
                str(MODEL_DIR / "rules"),
                "--report",
                str(tmp_path),
                "--model-name",
                "fraud_rules",
                "--registry",
                "r",
                "--git-commit",
                "a",
                "--build-id",
                "1",
                "--enabled",
                "false",
            ],
            client=client,
        )
        == 0
    )
    assert client.sent == []
    assert json.loads((tmp_path / "evaluation_report.json").read_text())["register"] is False
