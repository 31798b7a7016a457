"""Evaluate step: score the candidate and the production champion on the same test split.

The champion is the model version pinned in the target stack (``model_assets.champion``
picks it; ``submit_training`` passes it in as the optional ``champion_model`` input). Both
are scored on ``test.csv``; the shared gate (``evaluation.py``) decides whether the
candidate is better by the configured metric and margin, and the decision, with its
reason, is written to ``evaluation_report.json`` for the register step and the promotion PR.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import joblib
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

if TYPE_CHECKING:  # mypy reads the model folder from the repository root
    from model_assets import evaluation as gate
else:  # the gate: from the repository, or from the Azure ML job snapshot
    try:  # in the repository
        from model_assets import evaluation as gate
    except ModuleNotFoundError:  # pragma: no cover - in the Azure ML snapshot (additional_includes)
        import evaluation as gate

MODEL_FILE = "model.joblib"
REPORT_FILE = "evaluation_report.json"


def read_split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and target of a prepared CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        matrix = np.asarray([[float(v) for v in row] for row in reader], dtype=float)
    return matrix[:, :-1], matrix[:, -1]


def find_model(folder: Path) -> Path:
    """The model file inside a model folder (registered models may nest it one level down)."""
    matches = sorted(folder.rglob(MODEL_FILE))
    if not matches:
        raise FileNotFoundError(f"no {MODEL_FILE} under {folder}")
    return matches[0]


def metrics(model_folder: Path, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² of the model in ``model_folder`` on the test split."""
    predictions = joblib.load(find_model(model_folder)).predict(x_test)
    return {
        "rmse": round(float(np.sqrt(mean_squared_error(y_test, predictions))), 6),
        "mae": round(float(mean_absolute_error(y_test, predictions)), 6),
        "r2": round(float(r2_score(y_test, predictions)), 6),
    }


def evaluate(
    data: Path,
    candidate: Path,
    champion: Path | None,
    config: gate.GateConfig,
    *,
    model_name: str,
    champion_version: str | None,
    report_dir: Path,
) -> dict:
    """Score both models, apply the gate and write the report; returns the report."""
    x_test, y_test = read_split(data / "test.csv")
    candidate_metrics = metrics(candidate, x_test, y_test)
    champion_metrics = metrics(champion, x_test, y_test) if champion is not None else None
    decision = gate.decide(
        candidate_metrics,
        champion_metrics,
        config,
        champion_version=champion_version if champion is not None else None,
    )
    version_file = data / "data_version.json"
    context = {"test_rows": str(len(y_test))}
    if version_file.is_file():
        context["data_version"] = json.loads(version_file.read_text(encoding="utf-8"))["data_version"]
    report = gate.report(decision, model_name=model_name, context=context)
    gate.write_report(report, report_dir / REPORT_FILE)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML evaluate step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--candidate", type=Path, required=True, help="trained candidate model folder")
    parser.add_argument("--champion", type=Path, default=None, help="champion model folder, if one serves")
    parser.add_argument("--champion-version", default="", help="the champion's registry version")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--metric", default="rmse")
    parser.add_argument("--margin", default="0")
    parser.add_argument("--thresholds", default="{}", help='JSON object, e.g. {"r2": 0.3}')
    parser.add_argument("--report", type=Path, required=True, help="folder for evaluation_report.json")
    args = parser.parse_args(argv)
    config = gate.gate_config(args.metric, args.margin, json.loads(args.thresholds), source="evaluate")
    report = evaluate(
        args.data,
        args.candidate,
        args.champion,
        config,
        model_name=args.model_name,
        champion_version=args.champion_version or None,
        report_dir=args.report,
    )
    print(report["reason"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
