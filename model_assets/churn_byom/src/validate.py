"""Validate step of churn_byom: check an externally trained artifact before it is served.

There is no training here (bring your own model). The step loads the artifact with the
scoring script's own loader, scores the sample customers and checks every probability is in
[0, 1] and that both classes appear, then writes ``validation_report.json``. It exits 1 when
a check fails, which stops the pipeline.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import score

REPORT_FILE = "validation_report.json"


def validate(artifact: Path, sample: Path, report_dir: Path) -> dict:
    """Run the checks and write the report; returns it."""
    problems: list[str] = []
    lines: list[str] = []
    try:
        score.model.clear()
        score.model.update(score.load_model(artifact / score.MODEL_FILE))
        lines = score.score_file(sample)
    except (OSError, ValueError, KeyError) as exc:
        problems.append(f"cannot score the sample: {exc}")
    probabilities = [float(line.split(",")[2]) for line in lines]
    if lines and not all(0.0 <= p <= 1.0 for p in probabilities):
        problems.append("a probability is outside [0, 1]")
    labels = {line.rsplit(",", 1)[1] for line in lines}
    if lines and labels != {"0", "1"}:
        problems.append(f"the sample gets only class(es) {sorted(labels)}; expected both 0 and 1")
    report = {"schema": "mlops-estate/byom-validation@1", "passed": not problems, "problems": problems,
              "rows": len(lines), "format": score.model.get("format")}
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / REPORT_FILE).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Azure ML validate step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, required=True, help="folder holding model.json")
    parser.add_argument("--sample", type=Path, required=True, help="sample customers CSV")
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    report = validate(args.artifact, args.sample, args.report)
    print("passed" if report["passed"] else "failed: " + "; ".join(report["problems"]))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
