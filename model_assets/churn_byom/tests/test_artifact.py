"""The BYOM artifact: reproducible from its script, well-formed, and it scores like scikit-learn."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

MODEL_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def builder():
    spec = importlib.util.spec_from_file_location(
        "_churn_byom_build_artifact", MODEL_DIR / "build_artifact.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_committed_artifact_and_holdout_are_the_scripts_output(builder, tmp_path: Path) -> None:
    builder.build(tmp_path)
    assert (tmp_path / "model.json").read_bytes() == (MODEL_DIR / "artifact" / "model.json").read_bytes()
    builder.write_holdout(tmp_path / "holdout.csv")
    assert (tmp_path / "holdout.csv").read_bytes() == (MODEL_DIR / "sample" / "holdout.csv").read_bytes()


def test_artifact_is_small_and_well_formed(src) -> None:
    path = MODEL_DIR / "artifact" / "model.json"
    assert path.stat().st_size < 4096
    model = src("score").load_model(path)
    assert model["features"] == [
        "tenure_months",
        "monthly_charges",
        "support_calls_90d",
        "contract_monthly",
        "late_payments_12m",
    ]
    assert model["coef"][0] < 0 < model["coef"][2]  # longer tenure keeps customers; support calls lose them


def test_json_scoring_matches_scikit_learn(builder, src) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    features, labels = builder.make_customers()
    scaler = StandardScaler().fit(features)
    reference = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(features), labels)
    score = src("score")
    score.model.clear()
    score.model.update(score.load_model(MODEL_DIR / "artifact" / "model.json"))
    ours = np.array([score.probability(list(row)) for row in features[:50]])
    theirs = reference.predict_proba(scaler.transform(features[:50]))[:, 1]
    assert np.max(np.abs(ours - theirs)) < 1e-4


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format="onnx"), "format 'onnx' is not"),
        (lambda m: m["coef"].pop(), "coef has 4 values for 5 features"),
        (lambda m: m["scale"].__setitem__(0, 0), "scale values must be > 0"),
    ],
)
def test_malformed_artifacts_are_refused(src, tmp_path: Path, edit, message: str) -> None:
    model = json.loads((MODEL_DIR / "artifact" / "model.json").read_text())
    edit(model)
    (tmp_path / "model.json").write_text(json.dumps(model))
    with pytest.raises(ValueError, match=message):
        src("score").load_model(tmp_path / "model.json")
