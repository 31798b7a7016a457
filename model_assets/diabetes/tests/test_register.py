"""Registration: the right Model entity and lineage tags, and nothing sent when not better."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from model_assets import evaluation as gate

# azure-ai-ml warns about its own use of marshmallow; that is not this model's concern.
pytestmark = pytest.mark.filterwarnings("ignore")


class FakeModels:
    def __init__(self) -> None:
        self.sent: list = []

    def create_or_update(self, model):
        self.sent.append(model)
        return SimpleNamespace(version="7", name=model.name)


class FakeData:
    def __init__(self) -> None:
        self.sent: list = []

    def create_or_update(self, data):
        self.sent.append(data)
        return SimpleNamespace(version="1", name=data.name)


class FakeClient:
    def __init__(self) -> None:
        self.models = FakeModels()
        self.data = FakeData()


@pytest.fixture(scope="module")
def register(src):
    return src("register")


def make_report(register_it: bool) -> dict:
    champion = {"rmse": 60.0, "r2": 0.3} if register_it else {"rmse": 50.0, "r2": 0.5}
    decision = gate.decide(
        {"rmse": 53.5, "r2": 0.45}, champion, gate.gate_config("rmse"), champion_version="3"
    )
    return gate.report(decision, model_name="diabetes")


def test_registers_with_lineage_tags(register, built: Path) -> None:
    client = FakeClient()
    version = register.register(
        make_report(True),
        built / "model",
        client,
        model_name="diabetes",
        git_commit="abc1234",
        build_id="20261122.4",
        data_version="dv-1",
    )
    assert version == "7"
    [model] = client.models.sent
    assert model.name == "diabetes"
    assert model.type == "custom_model"
    assert model.version is None  # the registry assigns the next version
    assert Path(model.path) == built / "model"
    assert model.tags == {
        "git_commit": "abc1234",
        "build_id": "20261122.4",
        "data_version": "dv-1",
        "gate_metric": "rmse",
        "gate_margin": "0.0",
        "champion_version": "3",
        "metric_r2": "0.45",
        "metric_rmse": "53.5",
        "gate_reason": "candidate rmse=53.5 beats champion v3 rmse=60 by 6.5 > margin 0 (lower is better)",
    }


def test_nothing_is_sent_when_not_better(register, built: Path, capsys) -> None:
    client = FakeClient()
    assert (
        register.register(
            make_report(False),
            built / "model",
            client,
            model_name="diabetes",
            git_commit="abc",
            build_id="1",
            data_version="dv",
        )
        is None
    )
    assert client.models.sent == []
    assert (
        "not registering diabetes: candidate rmse=53.5 vs champion v3 rmse=50: candidate is worse"
        in capsys.readouterr().out
    )


def test_report_for_another_model_is_refused(register, built: Path) -> None:
    client = FakeClient()
    with pytest.raises(ValueError, match="report is for 'diabetes', not 'churn'"):
        register.register(
            make_report(True),
            built / "model",
            client,
            model_name="churn",
            git_commit="a",
            build_id="1",
            data_version="d",
        )
    assert client.models.sent == []


@pytest.mark.parametrize("better", [True, False])
def test_command_line_records_the_outcome(register, built: Path, tmp_path: Path, better: bool) -> None:
    gate.write_report(make_report(better), tmp_path / "report" / "evaluation_report.json")
    client = FakeClient()
    assert (
        register.main(
            [
                "--model",
                str(built / "model"),
                "--report",
                str(tmp_path / "report"),
                "--data",
                str(built / "data"),
                "--model-name",
                "diabetes",
                "--registry",
                "reg",
                "--git-commit",
                "c0ffee",
                "--build-id",
                "42",
                "--output",
                str(tmp_path / "out"),
            ],
            client=client,
        )
        == 0
    )
    result = json.loads((tmp_path / "out" / "registration.json").read_text())
    assert result["registered"] is better
    assert result["version"] == ("7" if better else None)
    # The registered version's training data becomes the monitors' reference data asset.
    assert [d.name for d in client.data.sent] == (["diabetes-training"] if better else [])
    assert result["reference_data"] == "diabetes-training"
    assert len(client.models.sent) == (1 if better else 0)
    if better:
        assert client.models.sent[0].tags["data_version"].startswith("sklearn-diabetes@")
