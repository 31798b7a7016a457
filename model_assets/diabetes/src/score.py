"""Online scoring script for the diabetes model (Azure ML ``init()`` / ``run(raw_data)``).

Request:  ``{"data": [{"age": 59, "sex": 2, "bmi": 32.1, "bp": 101, "s1": 157, "s2": 93.2,
"s3": 38, "s4": 4, "s5": 4.8598, "s6": 87}, ...]}`` (1 to 1000 rows, raw units).
Response: ``{"predictions": [<disease progression one year on>, ...]}``.

A malformed request gets HTTP 400 with ``{"error": {"code", "message", "details"}}``, never
a stack trace. The model is read from ``AZUREML_MODEL_DIR`` (the registered model folder,
possibly nested one level down).
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import joblib

try:
    from azureml.contrib.services.aml_response import AMLResponse
except ImportError:  # outside the Azure ML inference server (unit tests)
    AMLResponse = None
try:  # model monitoring: feeds the deployment's data_collector (model_inputs / model_outputs)
    import pandas as pd
    from azureml.ai.monitoring import Collector
except ImportError:  # not installed: scoring works, nothing is collected
    Collector = None

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
MAX_ROWS = 1000
MODEL_FILE = "model.joblib"
# Limits on what a request may be and on what an error echoes back (and what gets logged).
MAX_BODY_BYTES = 1_048_576  # larger bodies: 413
MAX_INT_DIGITS = 30  # longer integer literals: 400 (they cannot be a feature value)
MAX_ECHO_CHARS = 80  # a value quoted in an error is cut to this
MAX_DETAIL_CHARS = 200  # each detail line is cut to this
MAX_DETAILS = 20  # at most this many detail lines
MAX_ERROR_BYTES = 8192  # an error body never exceeds this (UTF-8 JSON)

logger = logging.getLogger(__name__)
model: Any = None
collectors: dict[str, Any] = {}


class BadRequest(ValueError):
    """A request the caller must fix (answered with HTTP 400, or 413 when too large)."""

    def __init__(self, code: str, message: str, details: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.details = details or []
        self.status = status


class ErrorResponse:
    """What :func:`run` returns for a bad request when AMLResponse is not importable."""

    def __init__(self, body: dict[str, Any], status_code: int):
        self.body = body
        self.status_code = status_code


def error_response(status: int, code: str, message: str, details: list[str] | None = None) -> Any:
    """An HTTP error with a JSON body of at most :data:`MAX_ERROR_BYTES` (inputs are never echoed uncut)."""
    kept = [
        d if len(d) <= MAX_DETAIL_CHARS else d[: MAX_DETAIL_CHARS - 3] + "..."
        for d in (details or [])[:MAX_DETAILS]
    ]
    body = {"error": {"code": code, "message": message[: MAX_DETAIL_CHARS * 2], "details": kept}}
    while len(json.dumps(body).encode("utf-8")) > MAX_ERROR_BYTES and kept:
        kept.pop()
    logger.info("rejected request: %s %s", status, code)
    if AMLResponse is not None:
        return AMLResponse(json.dumps(body), status, {"Content-Type": "application/json"}, json_str=False)
    return ErrorResponse(body, status)


def show(value: Any) -> str:
    """``repr(value)`` cut to :data:`MAX_ECHO_CHARS` (what an error may quote of the input)."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO_CHARS else text[: MAX_ECHO_CHARS - 3] + "..."


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadRequest(
            "number_too_long",
            f"an integer literal has {len(text.lstrip('-'))} digits; at most {MAX_INT_DIGITS}",
        )
    return int(text)


def _no_constant(name: str) -> Any:
    raise BadRequest("invalid_json", f"{name} is not valid JSON (numbers must be finite)")


def load_body(raw_data: Any) -> Any:
    """The request body as JSON values; BadRequest for anything that is not acceptable JSON."""
    if isinstance(raw_data, bytes | bytearray):
        if len(raw_data) > MAX_BODY_BYTES:
            raise BadRequest(
                "too_large", f"the body has {len(raw_data)} bytes; at most {MAX_BODY_BYTES}", status=413
            )
        raw_data = raw_data.decode("utf-8", errors="replace")
    if not isinstance(raw_data, str):
        return raw_data  # already decoded by the server
    if len(raw_data) > MAX_BODY_BYTES:
        raise BadRequest(
            "too_large", f"the body has {len(raw_data)} characters; at most {MAX_BODY_BYTES}", status=413
        )
    try:
        return json.loads(raw_data, parse_int=_bounded_int, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "invalid_json", f"the body is not valid JSON: {exc.msg} at position {exc.pos}"
        ) from None
    except RecursionError:
        raise BadRequest("too_deep", "the body nests arrays or objects too deeply") from None
    except BadRequest:
        raise
    except ValueError as exc:  # e.g. Python's limit on integer string conversion
        raise BadRequest(
            "invalid_json", f"the body is not acceptable JSON: {str(exc)[:MAX_DETAIL_CHARS]}"
        ) from None


def _collection_off(error: Exception) -> None:
    logger.info("model data collection skipped: %s", error)


def init() -> None:
    """Load the model once per worker from ``AZUREML_MODEL_DIR``."""
    global model
    root = Path(os.environ.get("AZUREML_MODEL_DIR", "."))
    matches = sorted(root.rglob(MODEL_FILE))
    if not matches:
        raise FileNotFoundError(f"no {MODEL_FILE} under AZUREML_MODEL_DIR={root}")
    model = joblib.load(matches[0])
    logger.info("loaded %s", matches[0])
    if Collector is not None:
        # Outside an Azure ML deployment with data_collector on, collection is off: log, don't fail.
        collectors["inputs"] = Collector(name="model_inputs", on_error=_collection_off)
        collectors["outputs"] = Collector(name="model_outputs", on_error=_collection_off)


def parse_request(raw_data: Any) -> list[list[float]]:
    """Validate a request body and return the feature rows in :data:`FEATURES` order."""
    body = load_body(raw_data)
    if not isinstance(body, dict) or "data" not in body:
        raise BadRequest("invalid_shape", 'the body must be a JSON object with a "data" list of rows')
    rows = body["data"]
    if not isinstance(rows, list) or not rows:
        raise BadRequest("invalid_shape", '"data" must be a non-empty list of rows')
    if len(rows) > MAX_ROWS:
        raise BadRequest("too_many_rows", f'"data" has {len(rows)} rows; at most {MAX_ROWS} per request')
    parsed: list[list[float]] = []
    details: list[str] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            details.append(f"data[{index}]: must be an object keyed by feature name")
            continue
        missing = [f for f in FEATURES if f not in row]
        extra = sorted(set(row) - set(FEATURES))
        if missing:
            details.append(f"data[{index}]: missing {missing}")
        if extra:
            details.append(f"data[{index}]: unknown {show(extra)}")
        values = []
        for name in FEATURES:
            value = row.get(name)
            if name in row and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                details.append(f"data[{index}].{name}: {show(value)} is not a finite number")
            values.append(
                float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
            )
        parsed.append(values)
    if details:
        raise BadRequest(
            "invalid_rows",
            f"{len(details)} problem(s) in the rows; expected features {FEATURES}",
            details,
        )
    return parsed


def run(raw_data: Any) -> Any:
    """Score a request; bad requests get a 400 JSON error."""
    try:
        rows = parse_request(raw_data)
    except BadRequest as exc:
        return error_response(exc.status, exc.code, str(exc), exc.details)
    predictions = [round(float(p), 4) for p in model.predict(rows)]
    if collectors:
        context = collectors["inputs"].collect(pd.DataFrame(rows, columns=FEATURES))
        collectors["outputs"].collect(pd.DataFrame({"progression": predictions}), context)
    return {"predictions": predictions}
