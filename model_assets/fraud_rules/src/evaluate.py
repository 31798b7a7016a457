"""Evaluate step of the fraud rules: score the labelled sample and check the thresholds.

There is no training: the candidate is the rules folder under review. Its precision,
recall, F1 and accuracy on the labelled sample the repository ships go through the shared
gate (``evaluation.py``) with absolute thresholds; the report (``evaluation_report.json``)
says whether the rules may be registered, and why.
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
    from model_assets.fraud_rules.src import rules_engine
else:  # run from src/ (Azure ML job): the sibling module, the gate from the repository or snapshot
    import rules_engine

    try:  # in the repository
        from model_assets import evaluation as gate
    except ModuleNotFoundError:  # pragma: no cover - in the Azure ML snapshot (additional_includes)
        import evaluation as gate

REPORT_FILE = "evaluation_report.json"
RULES_FILE = "rules.yaml"


def read_sample(path: Path, schema: dict) -> list[tuple[dict, bool]]:
    """The labelled transactions, typed by the rule set's schema, with their labels."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, raw in enumerate(csv.DictReader(handle), start=2):
            label = raw.pop("is_fraud", None)
            if label not in ("true", "false"):
                raise ValueError(f"{path}:{line}: is_fraud must be true or false, got {label!r}")
            row = rules_engine.from_text(raw, schema)
            try:
                rules_engine.check_transaction(row, schema)
            except rules_engine.InvalidTransaction as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
            rows.append((row, label == "true"))
    return rows


def metrics(rules: rules_engine.RuleSet, sample: list[tuple[dict, bool]]) -> dict[str, float]:
    """Precision, recall, F1 and accuracy of the rules on the sample."""
    tp = fp = fn = tn = 0
    for row, label in sample:
        flagged = rules_engine.score(rules, row)["fraud"]
        tp += flagged and label
        fp += flagged and not label
        fn += label and not flagged
        tn += not flagged and not label
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        "accuracy": round((tp + tn) / len(sample), 6),
    }


def evaluate(
    rules_dir: Path, sample_path: Path, config: gate.GateConfig, *, model_name: str, report_dir: Path
) -> dict:
    """Evaluate the rules folder and write the report; returns it."""
    rules = rules_engine.load_rules(rules_dir / RULES_FILE)
    sample = read_sample(sample_path, rules.schema)
    decision = gate.decide(metrics(rules, sample), None, config)
    report = gate.report(
        decision,
        model_name=model_name,
        context={"rules_version": rules.version, "sample_rows": str(len(sample))},
    )
    gate.write_report(report, report_dir / REPORT_FILE)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML evaluate step; exits 1 when the rules miss a threshold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, required=True, help="folder holding rules.yaml")
    parser.add_argument("--sample", type=Path, required=True, help="labelled sample CSV")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--metric", default="f1")
    parser.add_argument("--thresholds", default='{"precision": 0.85, "recall": 0.65}')
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    config = gate.gate_config(args.metric, 0, json.loads(args.thresholds), source="evaluate")
    report = evaluate(args.rules, args.sample, config, model_name=args.model_name, report_dir=args.report)
    print(report["reason"])
    return 0 if report["register"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
