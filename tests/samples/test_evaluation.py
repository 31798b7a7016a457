"""The evaluation gate: thresholds, champion comparison, margin, equal-is-not-better, report."""

from __future__ import annotations

import json

import pytest

from infra.errors import ConfigError
from model_assets import evaluation as gate


def test_lower_is_better_candidate_beats_champion_by_more_than_margin() -> None:
    config = gate.gate_config("rmse", 0.5)
    decision = gate.decide({"rmse": 50.0}, {"rmse": 51.0}, config, champion_version="3")
    assert decision.register is True
    assert decision.delta() == -1.0
    assert decision.reason == (
        "candidate rmse=50 beats champion v3 rmse=51 by 1 > margin 0.5 (lower is better)"
    )


def test_equal_score_is_not_better_and_says_so() -> None:
    decision = gate.decide({"rmse": 51.0}, {"rmse": 51.0}, gate.gate_config("rmse"), champion_version="3")
    assert decision.register is False
    assert "equal is not better" in decision.reason


def test_gain_equal_to_margin_is_not_enough() -> None:
    decision = gate.decide({"r2": 0.55}, {"r2": 0.5}, gate.gate_config("r2", 0.05), champion_version="2")
    assert decision.register is False
    assert "equals the margin 0.05 and does not exceed it" in decision.reason


def test_worse_candidate_is_rejected() -> None:
    decision = gate.decide({"f1": 0.7}, {"f1": 0.8}, gate.gate_config("f1"), champion_version="1")
    assert decision.register is False
    assert "candidate is worse" in decision.reason
    assert "(higher is better)" in decision.reason


def test_no_champion_registers_when_thresholds_hold() -> None:
    decision = gate.decide({"rmse": 55.0, "r2": 0.45}, None, gate.gate_config("rmse", 0, {"r2": 0.3}))
    assert decision.register is True
    assert decision.reason.startswith("no champion is serving")
    assert decision.delta() is None


def test_thresholds_block_even_a_better_candidate() -> None:
    config = gate.gate_config("rmse", 0, {"r2": 0.5, "mae": 40})
    decision = gate.decide(
        {"rmse": 10.0, "r2": 0.4, "mae": 45.0}, {"rmse": 60.0}, config, champion_version="3"
    )
    assert decision.register is False
    assert decision.threshold_failures == ["mae 45 > ceiling 40", "r2 0.4 < floor 0.5"]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("accuracyy",), "gate.metric"),
        (("rmse", -1), "gate.margin"),
        (("rmse", "abc"), "gate.margin"),
        (("rmse", 0, {"bogus": 1}), "gate.thresholds.bogus"),
        (("rmse", 0, {"r2": "high"}), "gate.thresholds.r2"),
    ],
)
def test_bad_gate_config_is_a_config_error(args: tuple, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        gate.gate_config(*args)
    assert info.value.key == key


def test_missing_metric_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="candidate metrics have no 'rmse'"):
        gate.decide({"r2": 0.5}, None, gate.gate_config("rmse"))


def test_report_is_stable_json_and_round_trips(tmp_path) -> None:
    decision = gate.decide(
        {"rmse": 50.0, "r2": 0.5}, {"rmse": 50.0, "r2": 0.49}, gate.gate_config("rmse"), champion_version="3"
    )
    data = gate.report(decision, model_name="diabetes", context={"data_version": "v1"})
    path = gate.write_report(data, tmp_path / "r" / "evaluation_report.json")
    text = path.read_text()
    assert json.loads(text) == data
    assert data["schema"] == "mlops-estate/evaluation@1"
    assert data["register"] is False
    assert data["champion"] == {"version": "3", "metrics": {"r2": 0.49, "rmse": 50.0}}
    assert data["delta"] == 0.0
    assert gate.read_report(path) == data
    gate.write_report(data, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == text


def test_read_report_rejects_other_json(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"schema": "other"}')
    with pytest.raises(ConfigError, match="not an evaluation report"):
        gate.read_report(path)
