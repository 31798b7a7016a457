"""Batch scoring script of churn_byom (Azure ML batch ``init()`` / ``run(mini_batch)``).

Each mini-batch is a list of CSV files with the header ``customer_id`` plus the model's
features (see README.md). ``run`` returns one output line per customer,
``<file>,<customer_id>,<churn_probability>,<churn 0|1>``, which the deployment's
``output_action: append_row`` gathers into ``predictions.csv``. A malformed file raises
:class:`BadInput` (a ValueError) naming the file, the line and the problem, so the job's error
report says what to fix (``error_threshold`` decides whether the job goes on); the job never
fails on an unexpected exception. A ``customer_id`` must match :data:`CUSTOMER_ID` (so no
comma, quote or line break can add columns or rows to the output), a file name may hold no
comma, quote or line break, and anything quoted from the input is cut to
:data:`MAX_ECHO_CHARS` characters.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
from pathlib import Path
from typing import Any

MODEL_FILE = "model.json"
FORMAT = "mlops-estate/logistic-regression@1"
CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
FILE_NAME = re.compile(r"[^,\"\r\n]{1,255}")
MAX_ECHO_CHARS = 80


class BadInput(ValueError):
    """A batch input file that cannot be scored as it is (the message says why and where)."""


def show(value: object) -> str:
    """``repr(value)`` cut to :data:`MAX_ECHO_CHARS`."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO_CHARS else text[: MAX_ECHO_CHARS - 3] + "..."


logger = logging.getLogger(__name__)
model: dict[str, Any] = {}


def load_model(path: Path) -> dict[str, Any]:
    """Read and check the BYOM artifact."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r} is not {FORMAT!r}")
    size = len(data["features"])
    for key in ("mean", "scale", "coef"):
        if len(data[key]) != size:
            raise ValueError(f"{path}: {key} has {len(data[key])} values for {size} features")
    if any(s <= 0 for s in data["scale"]):
        raise ValueError(f"{path}: scale values must be > 0")
    return data


def init() -> None:
    """Load the artifact from ``AZUREML_MODEL_DIR``."""
    root = Path(os.environ.get("AZUREML_MODEL_DIR", "."))
    matches = sorted(root.rglob(MODEL_FILE))
    if not matches:
        raise FileNotFoundError(f"no {MODEL_FILE} under AZUREML_MODEL_DIR={root}")
    model.clear()
    model.update(load_model(matches[0]))
    logger.info("loaded %s", matches[0])


def probability(values: list[float]) -> float:
    """Churn probability of one customer."""
    z = model["intercept"] + sum(
        c * (v - m) / s
        for c, v, m, s in zip(model["coef"], values, model["mean"], model["scale"], strict=True)
    )
    return 1 / (1 + math.exp(-z))


def score_file(path: Path) -> list[str]:
    """Output lines for every customer in one CSV file (BadInput when the file is malformed)."""
    features = model["features"]
    if not FILE_NAME.fullmatch(path.name):
        raise BadInput(f"file name {show(path.name)} holds a comma, quote or line break")
    lines = []
    number = 1
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in ["customer_id", *features] if c not in (reader.fieldnames or [])]
            if missing:
                raise BadInput(f"{path.name}: missing column(s) {missing}; expected customer_id + {features}")
            for number, row in enumerate(reader, start=2):
                lines.append(_score_row(path.name, number, row, features))
    except UnicodeDecodeError:
        raise BadInput(f"{path.name}:{number + 1}: not UTF-8 text") from None
    except csv.Error as exc:
        raise BadInput(
            f"{path.name}:{number + 1}: not a readable CSV line ({str(exc)[:MAX_ECHO_CHARS]})"
        ) from None
    return lines


def _score_row(name: str, number: int, row: dict[str, str | None], features: list[str]) -> str:
    customer = row.get("customer_id") or ""
    if not CUSTOMER_ID.fullmatch(customer):
        raise BadInput(
            f"{name}:{number}: customer_id {show(customer)} must be 1-64 of letters, digits, '_', '.', ':', '-'"
        )
    try:
        values = [float(row[f] or "") for f in features]
    except (TypeError, ValueError):
        shown = {f: show(row.get(f)) for f in features}
        raise BadInput(f"{name}:{number}: every feature must be a number, got {shown}") from None
    if not all(math.isfinite(v) for v in values):
        raise BadInput(f"{name}:{number}: features must be finite numbers")
    p = probability(values)
    return f"{name},{customer},{p:.6f},{int(p >= model['threshold'])}"


def run(mini_batch: list[str]) -> list[str]:
    """Score every file of the mini-batch."""
    lines: list[str] = []
    for item in mini_batch:
        lines.extend(score_file(Path(item)))
    return lines


OUTPUT_FILE = "predictions.csv"
OUTPUT_HEADER = "file,customer_id,churn_probability,churn"


def resolve_model_dir(model_uri: str | None, model_dir: str | None) -> Path:
    """Where the artifact is: ``--model-dir``, or ``--model-uri`` downloaded with MLflow
    (``models:/<catalog>.models.<name>/<version>`` from the central Unity Catalog registry)."""
    if model_dir:
        return Path(model_dir)
    if not model_uri:
        raise ValueError("give --model-uri (MLflow registry) or --model-dir")
    import mlflow  # available on Databricks runtimes; not needed for --model-dir

    mlflow.set_registry_uri("databricks-uc")
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))


def score_folder(input_dir: Path, output_dir: Path) -> int:
    """Score every ``*.csv`` of ``input_dir`` into ``output_dir/predictions.csv``; returns the row count."""
    files = sorted(input_dir.glob("*.csv"))
    if not files:
        raise ValueError(f"no *.csv input files in {input_dir}")
    lines = run([str(f) for f in files])
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / OUTPUT_FILE
    temp = output_dir / f".{OUTPUT_FILE}.tmp"
    temp.write_text("\n".join([OUTPUT_HEADER, *lines]) + "\n", encoding="utf-8")
    os.replace(temp, target)
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    """Databricks batch-inference entry (``spark_python_task``): load, score, write.

    Exit 0 with the output written; 2 on bad arguments or input (the message names the file).
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="churn_byom batch inference")
    parser.add_argument("--model", required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--input", required=True, help="folder of input CSV files")
    parser.add_argument("--output", required=True, help="folder for predictions.csv")
    parser.add_argument("--model-uri", default=None)
    parser.add_argument("--model-dir", default=None)
    args = parser.parse_args(argv)
    try:
        root = resolve_model_dir(args.model_uri, args.model_dir)
        matches = sorted(root.rglob(MODEL_FILE))
        if not matches:
            raise ValueError(f"no {MODEL_FILE} under {root}")
        model.clear()
        model.update(load_model(matches[0]))
        count = score_folder(Path(args.input), Path(args.output))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.model} ({args.environment}): scored {count} customers -> {Path(args.output) / OUTPUT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
