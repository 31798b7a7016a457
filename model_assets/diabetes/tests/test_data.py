"""Data sanity: schema, missing values, ranges and distribution against reference_stats.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
REFERENCE = json.loads((SRC / "reference_stats.json").read_text())


@pytest.fixture(scope="module")
def prep(src):
    return src("prep")


@pytest.fixture()
def data(prep) -> tuple[list[str], np.ndarray, np.ndarray]:
    return prep.load_data()


def test_bundled_data_is_sane(prep, data) -> None:
    columns, features, target = data
    assert columns == prep.FEATURES
    assert features.shape == (442, 10)
    assert prep.check_data(columns, features, target, REFERENCE) == []


def test_reference_file_describes_the_bundled_data(prep, data) -> None:
    assert prep.compute_stats(*data) == REFERENCE


def test_schema_change_is_caught(prep, data) -> None:
    columns, features, target = data
    renamed = ["AGE"] + columns[1:]
    assert prep.check_data(renamed, features, target, REFERENCE)[0].startswith("schema: columns")


def test_missing_values_are_caught(prep, data) -> None:
    columns, features, target = data
    features = features.copy()
    features[[3, 7], 2] = np.nan
    assert prep.check_data(columns, features, target, REFERENCE) == ["missing: bmi has 2 missing value(s)"]


def test_out_of_range_values_are_caught(prep, data) -> None:
    columns, features, target = data
    features = features.copy()
    features[0, 0] = 130.0  # a 130-year-old patient
    problems = prep.check_data(columns, features, target, REFERENCE)
    assert problems == ["range: age spans [19, 130] outside the reference [19, 79]"]


def test_distribution_shift_is_caught(prep, data) -> None:
    columns, features, target = data
    shifted = features.copy()
    shifted[:, 3] = np.clip(shifted[:, 3] + 8.0, None, REFERENCE["columns"]["bp"]["max"])  # blood pressure up
    problems = prep.check_data(columns, shifted, target, REFERENCE)
    assert len(problems) == 1 and problems[0].startswith("distribution: bp mean")
    squashed = features.copy()
    squashed[:, 4] = REFERENCE["columns"]["s1"]["mean"]  # no spread at all
    assert prep.check_data(columns, squashed, target, REFERENCE)[0].startswith("distribution: s1 std")


def test_prepare_splits_deterministically(prep, tmp_path: Path) -> None:
    first = prep.prepare(tmp_path / "a", SRC / "reference_stats.json")
    second = prep.prepare(tmp_path / "b", SRC / "reference_stats.json")
    assert first == second
    assert (first["train_rows"], first["test_rows"]) == (353, 89)
    assert first["data_version"].startswith("sklearn-diabetes@")
    assert (tmp_path / "a" / "train.csv").read_bytes() == (tmp_path / "b" / "train.csv").read_bytes()
    columns, features, target = prep.read_csv(tmp_path / "a" / "test.csv")
    assert columns == prep.FEATURES and features.shape == (89, 10) and target.shape == (89,)


def test_prepare_refuses_insane_data(prep, tmp_path: Path) -> None:
    reference = json.loads(json.dumps(REFERENCE))
    reference["columns"]["age"]["max"] = 60.0
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(reference))
    with pytest.raises(ValueError, match="data sanity checks failed:\n  range: age"):
        prep.prepare(tmp_path / "out", path)
    assert not (tmp_path / "out").exists()
