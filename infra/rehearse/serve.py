"""Deployment stand-ins: the real Azure ML inference server on 127.0.0.1 for online models,
the batch scoring script's own ``init()``/``run(mini_batch)`` for batch models."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from model_assets import smoke_local, smoke_test

from .models import MODELS_DIR, Rows

BATCH_TIMEOUT_S = 120.0
# Runs in the model's code folder as Azure ML's batch driver would: init() once, run(files).
BATCH_DRIVER = "import json, sys\nimport score\nscore.init()\nprint(json.dumps(score.run(sys.argv[1:])))\n"


@contextmanager
def online(model: str, artifact: Path, workdir: Path) -> Iterator[str]:
    """Serve ``artifact`` with the model's scoring script; yields the scoring URL."""
    python = smoke_local.serve_python(model)
    with smoke_local.serving(
        python, MODELS_DIR / model / "src" / "score.py", artifact, workdir / "server.log"
    ) as port:
        yield f"http://{smoke_local.HOST}:{port}/score"


def smoke(model: str, url: str) -> list[smoke_test.Check]:
    """The model's smoke spec against ``url`` (the release pipeline's own smoke test)."""
    return smoke_test.run_smoke(url, smoke_test.load_spec(model), timeout=10, attempts=3, delay=1)


def send(url: str, rows: Rows, batch: int = 50) -> int:
    """POST ``rows`` as scoring requests of ``batch`` rows; returns how many were answered 200."""
    answered = 0
    for start in range(0, len(rows), batch):
        reply = smoke_test.post(url, {"data": rows[start : start + batch]}, {}, timeout=10)
        if reply.status != 200:
            raise RuntimeError(f"scoring request answered {reply.status}: {reply.body[:300]}")
        answered += len(rows[start : start + batch])
    return answered


def write_customers(rows: Rows, path: Path) -> Path:
    """A batch input file (``customer_id`` + features)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def batch(model: str, artifact: Path, files: list[Path], python: str) -> list[str]:
    """Score ``files`` with the batch scoring script; returns its output lines."""
    result = subprocess.run(
        [python, "-c", BATCH_DRIVER, *map(str, files)],
        cwd=MODELS_DIR / model / "src",
        env={"AZUREML_MODEL_DIR": str(artifact), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=BATCH_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"batch scoring exited with {result.returncode}: {result.stderr.strip()[-800:]}")
    lines: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return lines
