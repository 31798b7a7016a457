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
        ('{"data": [{"age": NaN}]}', "invalid_json", None),
        ('{"data": [{"age": 1e999}]}', "invalid_rows", "data[0].age: inf is not a finite number"),
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


# Each class of hostile input: answered 4xx (never 500), the body capped at MAX_ERROR_BYTES.
HOSTILE = [
    ("400-digit integer", json.dumps({"data": [dict(ROW, age=int("9" * 400))]}), 400, "number_too_long"),
    ("5000-digit integer", '{"data": [{"age": ' + "9" * 5000 + "}]}", 400, "number_too_long"),
    ("deeply nested arrays", "[" * 100_000 + "]" * 100_000, 400, "too_deep"),
    ("deeply nested objects", '{"a":' * 50_000 + "1" + "}" * 50_000, 400, "too_deep"),
    ("float overflow", '{"data": [{"age": 1e999}]}', 400, "invalid_rows"),
    ("Infinity literal", '{"data": [{"age": Infinity}]}', 400, "invalid_json"),
    (
        "5 rows of 200 KB strings",
        json.dumps({"data": [dict(ROW, age="x" * 200_000)] * 5}),
        400,
        "invalid_rows",
    ),
    ("200 KB key", json.dumps({"data": [{**ROW, "k" * 200_000: 1}]}), 400, "invalid_rows"),
    ("body over 1 MiB", json.dumps({"data": [ROW]}) + " " * 1_100_000, 413, "too_large"),
    ("bare list", "[1, 2]", 400, "invalid_shape"),
    ("scalar", "3", 400, "invalid_shape"),
    ("not UTF-8", b"\xff\xfe{", 400, "invalid_json"),
    ("1000 bad rows", json.dumps({"data": [{"z" * 1000: [1]}] * 1000}), 400, "invalid_rows"),
]


@pytest.mark.parametrize(("name", "body", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gets_a_capped_4xx(score, name: str, body: str | bytes, status: int, code: str) -> None:
    answer = score.run(body)
    assert isinstance(answer, score.ErrorResponse), name
    assert answer.status_code == status
    assert answer.body["error"]["code"] == code
    assert len(json.dumps(answer.body).encode()) <= score.MAX_ERROR_BYTES
    assert all(len(d) <= score.MAX_DETAIL_CHARS for d in answer.body["error"]["details"])
    assert "x" * (score.MAX_ECHO_CHARS + 1) not in json.dumps(answer.body)
