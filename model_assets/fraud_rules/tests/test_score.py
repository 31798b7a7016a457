"""The fraud scoring script: rules from AZUREML_MODEL_DIR, answers, 400s for bad requests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

MODEL_DIR = Path(__file__).resolve().parents[1]
ROW = {
    "amount": 2500.0,
    "account_age_days": 12,
    "txn_count_24h": 3,
    "country_mismatch": True,
    "hour": 2,
    "merchant_category": "crypto",
}


@pytest.fixture(scope="module")
def score(src, tmp_path_factory):
    module = src("score")
    root = tmp_path_factory.mktemp("azureml-models")
    shutil.copytree(MODEL_DIR / "rules", root / "rules")
    mp = pytest.MonkeyPatch()
    mp.setenv("AZUREML_MODEL_DIR", str(root))
    module.init()
    mp.undo()
    return module


def test_scores_a_batch_of_transactions(score) -> None:
    clean = dict(
        ROW, amount=20.0, account_age_days=800, country_mismatch=False, hour=12, merchant_category="grocery"
    )
    answer = score.run(json.dumps({"data": [ROW, clean]}))
    assert answer == {
        "rules_version": "1.0.0",
        "predictions": [
            {
                "fraud": True,
                "score": 1.0,
                "rules": [
                    "high_amount",
                    "new_account_spend",
                    "country_mismatch",
                    "night_time",
                    "risky_merchant",
                ],
            },
            {"fraud": False, "score": 0.0, "rules": []},
        ],
    }


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        ("{", "invalid_json", None),
        ('{"data": {}}', "invalid_shape", None),
        (json.dumps({"data": [ROW] * 1001}), "too_many_rows", None),
        (
            json.dumps({"data": [ROW, dict(ROW, hour=24)]}),
            "invalid_rows",
            "data[1]: hour: 24 is outside [0, 23]",
        ),
        (json.dumps({"data": ["x"]}), "invalid_rows", "data[0]: must be an object keyed by field name"),
    ],
)
def test_bad_requests_get_400(score, body: str, code: str, detail: str | None) -> None:
    answer = score.run(body)
    assert answer.status_code == 400
    assert answer.body["error"]["code"] == code
    if detail:
        assert detail in answer.body["error"]["details"]


def test_init_fails_clearly_without_rules(src, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no rules.yaml under AZUREML_MODEL_DIR"):
        src("score").init()


# Each class of hostile input: answered 4xx (never 500), the body capped at MAX_ERROR_BYTES.
HOSTILE = [
    ("400-digit integer", json.dumps({"data": [dict(ROW, hour=int("9" * 400))]}), 400, "number_too_long"),
    ("deeply nested arrays", "[" * 100_000 + "]" * 100_000, 400, "too_deep"),
    ("float overflow", '{"data": [{"amount": 1e999}]}', 400, "invalid_rows"),
    ("NaN literal", '{"data": [{"amount": NaN}]}', 400, "invalid_json"),
    (
        "5 rows of 200 KB strings",
        json.dumps({"data": [dict(ROW, merchant_category="x" * 200_000)] * 5}),
        400,
        "invalid_rows",
    ),
    ("nested value", json.dumps({"data": [dict(ROW, merchant_category=[[[{}]]])]}), 400, "invalid_rows"),
    ("body over 1 MiB", json.dumps({"data": [ROW]}) + " " * 1_100_000, 413, "too_large"),
    ("bare list", "[1, 2]", 400, "invalid_shape"),
    ("1000 bad rows", json.dumps({"data": [{"x" * 1000: 1}] * 1000}), 400, "invalid_rows"),
]


@pytest.mark.parametrize(("name", "body", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gets_a_capped_4xx(score, name: str, body: str, status: int, code: str) -> None:
    answer = score.run(body)
    assert isinstance(answer, score.ErrorResponse), name
    assert answer.status_code == status
    assert answer.body["error"]["code"] == code
    assert len(json.dumps(answer.body).encode()) <= score.MAX_ERROR_BYTES
    assert len(answer.body["error"]["details"]) <= score.MAX_DETAILS
    assert all(len(d) <= score.MAX_DETAIL_CHARS for d in answer.body["error"]["details"])
    assert "x" * (score.MAX_DETAIL_CHARS + 1) not in json.dumps(answer.body)
