"""The scoring script: init() from AZUREML_MODEL_DIR, run() answers or rejects with a 400 JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROW = {
    "age": 59,
    "sex": 2,
    "bmi": 32.1,
    "bp": 101,
    "s1": 157,
    "s2": 93.2,
    "s3": 38,
    "s4": 4,
    "s5": 4.8598,
    "s6": 87,
}


@pytest.fixture(scope="module")
def score(src, built: Path, tmp_path_factory):
    module = src("score")
    # As Azure ML mounts it: AZUREML_MODEL_DIR/<registered folder>/model.joblib
    root = tmp_path_factory.mktemp("azureml-models")
    shutil.copytree(built / "model", root / "model")
    mp = pytest.MonkeyPatch()
    mp.setenv("AZUREML_MODEL_DIR", str(root))
    module.init()
    mp.undo()
    return module


def test_scores_rows_in_a_plausible_range(score) -> None:
    answer = score.run(json.dumps({"data": [ROW, dict(ROW, bmi=22.0)]}))
    assert list(answer) == ["predictions"]
    high, low = answer["predictions"]
    assert 25 <= low < high <= 346  # the target's observed range; a higher BMI predicts more progression


def test_bytes_body_is_accepted(score) -> None:
    assert len(score.run(json.dumps({"data": [ROW]}).encode())["predictions"]) == 1


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        ('{"data": [', "invalid_json", None),
        ("[1, 2]", "invalid_shape", None),
        ('{"data": []}', "invalid_shape", None),
        (json.dumps({"data": [ROW] * 1001}), "too_many_rows", None),
        (
            json.dumps({"data": [[1, 2, 3]]}),
            "invalid_rows",
            "data[0]: must be an object keyed by feature name",
        ),
        (
            json.dumps({"data": [{k: v for k, v in ROW.items() if k != "bmi"}]}),
            "invalid_rows",
            "data[0]: missing ['bmi']",
        ),
        (json.dumps({"data": [dict(ROW, extra=1)]}), "invalid_rows", "data[0]: unknown ['extra']"),
        (
            json.dumps({"data": [dict(ROW, bp="high")]}),
            "invalid_rows",
            "data[0].bp: 'high' is not a finite number",
        ),
        (
            json.dumps({"data": [dict(ROW, sex=True)]}),
            "invalid_rows",
            "data[0].sex: True is not a finite number",
        ),
        ('{"data": [{"age": NaN}]}', "invalid_rows", "data[0].age: nan is not a finite number"),
    ],
)
def test_malformed_requests_get_a_400_json_error(score, body: str, code: str, detail: str | None) -> None:
    answer = score.run(body)
    assert isinstance(answer, score.ErrorResponse)
    assert answer.status_code == 400
    assert answer.body["error"]["code"] == code
    assert answer.body["error"]["message"]
    if detail:
        assert detail in answer.body["error"]["details"]


def test_init_without_a_model_says_where_it_looked(src, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"no model.joblib under AZUREML_MODEL_DIR={tmp_path}"):
        src("score").init()
