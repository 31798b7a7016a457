"""Prep step: load the diabetes data, check it is sane, split it, record its version.

The data is scikit-learn's bundled diabetes set (``load_diabetes(scaled=False)``: raw units,
no download). The sanity checks compare it with ``reference_stats.json``, the statistics of
the data the current champion was trained on, kept in the repository: schema, missing
values, ranges and distribution. A failed check stops the pipeline before training.

Outputs (one folder): ``train.csv``, ``test.csv`` (header = features + target) and
``data_version.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
TARGET = "progression"
SPLIT_SEED = 42
TEST_FRACTION = 0.2
# A column's mean may move by at most this many reference standard deviations, and its
# standard deviation may change by at most this factor, before the data counts as drifted.
MAX_MEAN_SHIFT_STD = 0.5
MAX_STD_RATIO = 2.0


def load_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    """The raw data: column names, feature matrix and target."""
    bunch = load_diabetes(scaled=False)
    return (
        list(bunch.feature_names),
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target, dtype=float),
    )


def compute_stats(columns: Sequence[str], features: np.ndarray, target: np.ndarray) -> dict:
    """Per-column min, max, mean and standard deviation (what the reference file holds)."""
    stats = {}
    for index, name in enumerate(list(columns) + [TARGET]):
        values = target if name == TARGET else features[:, index]
        stats[name] = {
            "min": round(float(values.min()), 6),
            "max": round(float(values.max()), 6),
            "mean": round(float(values.mean()), 6),
            "std": round(float(values.std()), 6),
        }
    return {"rows": int(features.shape[0]), "columns": stats}


def check_data(
    columns: Sequence[str], features: np.ndarray, target: np.ndarray, reference: dict
) -> list[str]:
    """Every sanity problem found, as readable sentences; an empty list means the data is sane."""
    problems: list[str] = []
    expected = list(reference["columns"])
    if list(columns) + [TARGET] != expected:
        return [f"schema: columns {list(columns) + [TARGET]} differ from the reference {expected}"]
    if features.ndim != 2 or features.shape[1] != len(columns) or features.shape[0] != target.shape[0]:
        return [
            f"schema: feature matrix {features.shape} does not match {len(columns)} columns "
            f"and {target.shape[0]} targets"
        ]
    for index, name in enumerate(expected):
        values = target if name == TARGET else features[:, index]
        ref = reference["columns"][name]
        missing = int(np.isnan(values).sum())
        if missing:
            problems.append(f"missing: {name} has {missing} missing value(s)")
            continue
        low, high = float(values.min()), float(values.max())
        if low < ref["min"] or high > ref["max"]:
            problems.append(
                f"range: {name} spans [{low:g}, {high:g}] outside the reference "
                f"[{ref['min']:g}, {ref['max']:g}]"
            )
        shift = abs(float(values.mean()) - ref["mean"]) / ref["std"]
        if shift > MAX_MEAN_SHIFT_STD:
            problems.append(
                f"distribution: {name} mean {values.mean():.4g} moved {shift:.2f} reference "
                f"std from {ref['mean']:g} (limit {MAX_MEAN_SHIFT_STD})"
            )
        ratio = float(values.std()) / ref["std"]
        if not (1 / MAX_STD_RATIO) <= ratio <= MAX_STD_RATIO:
            problems.append(
                f"distribution: {name} std {values.std():.4g} is {ratio:.2f}x the reference "
                f"{ref['std']:g} (limit {MAX_STD_RATIO}x)"
            )
    return problems


def data_version(features: np.ndarray, target: np.ndarray) -> str:
    """A content version of the data: source, library version and a hash of the values."""
    digest = hashlib.sha256()
    for row, value in zip(features.tolist(), target.tolist(), strict=True):
        digest.update((",".join(repr(v) for v in row) + f";{value!r}\n").encode())
    return f"sklearn-diabetes@{sklearn.__version__}+sha256:{digest.hexdigest()[:12]}"


def write_csv(path: Path, columns: Sequence[str], features: np.ndarray, target: np.ndarray) -> None:
    """Write features and target with a header row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns) + [TARGET])
        for row, value in zip(features.tolist(), target.tolist(), strict=True):
            writer.writerow([repr(v) for v in row] + [repr(value)])


def read_csv(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read a file written by :func:`write_csv`."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [[float(v) if v != "" else math.nan for v in row] for row in reader]
    matrix = np.asarray(rows, dtype=float)
    return header[:-1], matrix[:, :-1], matrix[:, -1]


def prepare(output: Path, reference_path: Path) -> dict:
    """Load, check, split and write; raise ValueError listing every problem when data is not sane."""
    columns, features, target = load_data()
    reference = json.loads(reference_path.read_text(encoding="utf-8"))
    problems = check_data(columns, features, target, reference)
    if problems:
        raise ValueError("data sanity checks failed:\n  " + "\n  ".join(problems))
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=TEST_FRACTION, random_state=SPLIT_SEED
    )
    output.mkdir(parents=True, exist_ok=True)
    write_csv(output / "train.csv", columns, x_train, y_train)
    write_csv(output / "test.csv", columns, x_test, y_test)
    info = {
        "data_version": data_version(features, target),
        "rows": int(features.shape[0]),
        "train_rows": int(x_train.shape[0]),
        "test_rows": int(x_test.shape[0]),
    }
    (output / "data_version.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML prep step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="folder for train/test CSVs")
    parser.add_argument(
        "--reference",
        type=Path,
        default=Path(__file__).with_name("reference_stats.json"),
        help="reference statistics JSON",
    )
    args = parser.parse_args(argv)
    info = prepare(args.output, args.reference)
    print(json.dumps(info, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
