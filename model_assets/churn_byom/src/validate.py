"""Validate step of churn_byom: gate an externally trained artifact before it is served.

There is no training here (bring your own model). The step loads the artifact with the
scoring script's own loader, scores the labelled holdout (``sample/holdout.csv``: customers
the artifact never saw, with a ``churned`` 0/1 column) and puts ROC AUC, accuracy,
precision, recall and F1 through the shared gate (``evaluation.py``) with absolute
thresholds. Every probability must also lie in [0, 1]. It writes ``evaluation_report.json``
and exits 1 when the artifact fails, which stops the pipeline.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # mypy reads the model folder from the repository root
    from model_assets import evaluation as gate
    from model_assets.churn_byom.src import score
else:  # run from src/ (Azure ML job): the sibling module, the gate from the repository or snapshot
    import score

    try:  # in the repository
        from model_assets import evaluation as gate
    except ModuleNotFoundError:  # pragma: no cover - in the Azure ML snapshot (additional_includes)
        import evaluation as gate

REPORT_FILE = "evaluation_report.json"
LABEL = "churned"


def read_holdout(path: Path, features: list[str]) -> tuple[list[list[float]], list[int]]:
    """Feature rows and 0/1 labels of the holdout; ValueError names the line that is wrong."""
    rows, labels = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in [*features, LABEL] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {missing}")
        for number, row in enumerate(reader, start=2):
            if row[LABEL] not in ("0", "1"):
                raise ValueError(f"{path.name}:{number}: {LABEL} must be 0 or 1, got {row[LABEL]!r}")
            try:
                rows.append([float(row[f]) for f in features])
            except ValueError:
                raise ValueError(f"{path.name}:{number}: every feature must be a number") from None
            labels.append(int(row[LABEL]))
    return rows, labels


def roc_auc(probabilities: list[float], labels: list[int]) -> float:
    """Area under the ROC curve (rank statistic; ties count half)."""
    positives = [p for p, y in zip(probabilities, labels, strict=True) if y == 1]
    negatives = [p for p, y in zip(probabilities, labels, strict=True) if y == 0]
    if not positives or not negatives:
        raise ValueError("the holdout needs both churned and retained customers")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def metrics(probabilities: list[float], labels: list[int], threshold: float) -> dict[str, float]:
    """ROC AUC plus the threshold metrics."""
    predicted = [int(p >= threshold) for p in probabilities]
    tp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y)
    fp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and not y)
    fn = sum(1 for p, y in zip(predicted, labels, strict=True) if not p and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(1 for p, y in zip(predicted, labels, strict=True) if p == y) / len(labels)
    return {
        "roc_auc": round(roc_auc(probabilities, labels), 6),
        "accuracy": round(accuracy, 6),
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
    }


def validate(artifact: Path, holdout: Path, config: gate.GateConfig, report_dir: Path) -> dict:
    """Score the holdout, apply the gate and write the report; returns it."""
    score.model.clear()
    score.model.update(score.load_model(artifact / score.MODEL_FILE))
    rows, labels = read_holdout(holdout, score.model["features"])
    probabilities = [score.probability(row) for row in rows]
    outside = sum(1 for p in probabilities if not 0.0 <= p <= 1.0)
    if outside:
        raise ValueError(f"{outside} probabilities are outside [0, 1]")
    decision = gate.decide(metrics(probabilities, labels, score.model["threshold"]), None, config)
    report = gate.report(
        decision,
        model_name="churn_byom",
        context={"format": score.model["format"], "holdout_rows": str(len(rows)), "source": "byom"},
    )
    gate.write_report(report, report_dir / REPORT_FILE)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML validate step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, required=True, help="folder holding model.json")
    parser.add_argument("--holdout", type=Path, required=True, help="labelled holdout CSV")
    parser.add_argument("--metric", default="roc_auc")
    parser.add_argument("--thresholds", default='{"roc_auc": 0.75, "accuracy": 0.65}')
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    config = gate.gate_config(args.metric, 0, json.loads(args.thresholds), source="validate")
    report = validate(args.artifact, args.holdout, config, args.report)
    print(report["reason"])
    return 0 if report["register"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
