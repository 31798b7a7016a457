"""Train step: fit the diabetes progression model on the prepared training split.

The model is a scikit-learn pipeline (standardisation, then ridge regression), so the
scoring script needs nothing but scikit-learn to use it. Output folder: ``model.joblib``
and ``model_meta.json`` (features, target, library versions, hyper-parameters).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

MODEL_FILE = "model.joblib"
META_FILE = "model_meta.json"


def read_split(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read a prepared CSV: feature names, feature matrix, target."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        matrix = np.asarray([[float(v) for v in row] for row in reader], dtype=float)
    return header[:-1], matrix[:, :-1], matrix[:, -1]


def build_model(alpha: float) -> Pipeline:
    """The untrained pipeline."""
    return Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=alpha))])


def train(data: Path, output: Path, alpha: float = 1.0) -> dict:
    """Fit on ``data/train.csv`` and write the model folder; returns the metadata written."""
    if not alpha > 0:
        raise ValueError(f"--alpha must be > 0, got {alpha}")
    features, x_train, y_train = read_split(data / "train.csv")
    model = build_model(alpha).fit(x_train, y_train)
    output.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, output / MODEL_FILE)
    meta = {
        "features": features,
        "target": "progression",
        "algorithm": "StandardScaler+Ridge",
        "alpha": alpha,
        "train_rows": int(x_train.shape[0]),
        "sklearn_version": sklearn.__version__,
    }
    (output / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML train step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="prepared data folder")
    parser.add_argument("--model-output", type=Path, required=True, help="folder for the trained model")
    parser.add_argument("--alpha", type=float, default=1.0, help="ridge regularisation strength")
    args = parser.parse_args(argv)
    print(json.dumps(train(args.data, args.model_output, args.alpha), sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
