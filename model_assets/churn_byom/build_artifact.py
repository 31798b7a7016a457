"""Make the churn_byom artifact: stands in for the external team that trains this model.

    python model_assets/churn_byom/build_artifact.py [--output DIR]

Deterministic: synthetic customers from a fixed seed, a scikit-learn logistic regression on
standardised features, exported as a small portable JSON (``model.json``, format
``mlops-estate/logistic-regression@1``; see README.md). The scoring script needs no
scikit-learn to use it. ``artifact/model.json`` and ``sample/holdout.csv`` in this folder are
this script's output; a test checks they stay byte-identical. Prints the folder written.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

FEATURES = ["tenure_months", "monthly_charges", "support_calls_90d", "contract_monthly", "late_payments_12m"]
FORMAT = "mlops-estate/logistic-regression@1"
SEED = 11
ROWS = 600
DIGITS = 6
HERE = Path(__file__).resolve().parent


def make_customers(seed: int = SEED, count: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic customers and whether they churned."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(count):
        tenure = rng.randint(1, 72)
        charges = round(rng.uniform(20, 120), 2)
        calls = min(12, int(rng.expovariate(0.6)))
        monthly = 1 if rng.random() < 0.55 else 0
        late = min(12, int(rng.expovariate(0.9)))
        risk = -1.2 - 0.045 * tenure + 0.015 * charges + 0.35 * calls + 1.1 * monthly + 0.3 * late
        churned = rng.random() < 1 / (1 + np.exp(-risk))
        rows.append([tenure, charges, calls, monthly, late])
        labels.append(int(churned))
    return np.asarray(rows, dtype=float), np.asarray(labels, dtype=int)


def train(features: np.ndarray, labels: np.ndarray) -> dict:
    """Fit and export the model as plain numbers."""
    scaler = StandardScaler().fit(features)
    model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(scaler.transform(features), labels)
    return {
        "format": FORMAT,
        "features": FEATURES,
        "mean": [round(float(v), DIGITS) for v in scaler.mean_],
        "scale": [round(float(v), DIGITS) for v in scaler.scale_],
        "coef": [round(float(v), DIGITS) for v in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), DIGITS),
        "threshold": 0.5,
        "training_rows": int(features.shape[0]),
        "positive_rate": round(float(labels.mean()), DIGITS),
    }


def write_holdout(path: Path, seed: int = SEED + 1, count: int = 200) -> Path:
    """A labelled holdout (fresh customers, same process) the validation step scores the artifact on."""
    features, labels = make_customers(seed, count)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["customer_id", *FEATURES, "churned"])
        for index, (row, label) in enumerate(zip(features.tolist(), labels.tolist(), strict=True), start=1):
            writer.writerow(
                [f"H-{index:04d}", int(row[0]), f"{row[1]:.2f}", *(int(v) for v in row[2:]), label]
            )
    return path


def build(output: Path) -> Path:
    """Write ``output/model.json``; returns ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    model = train(*make_customers())
    (output / "model.json").write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return output


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=HERE / "artifact")
    parser.add_argument(
        "--holdout",
        type=Path,
        default=None,
        help=f"also write the labelled holdout here (committed as {HERE.name}/sample/holdout.csv)",
    )
    args = parser.parse_args(argv)
    if args.holdout:
        write_holdout(args.holdout)
    print(build(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
