"""Online scoring script of the fraud rules (Azure ML ``init()`` / ``run(raw_data)``).

Request:  ``{"data": [{"amount": 2500.0, "account_age_days": 12, "txn_count_24h": 3,
"country_mismatch": true, "hour": 2, "merchant_category": "crypto"}, ...]}`` (1-1000 rows).
Response: ``{"predictions": [{"fraud": true, "score": 1.0, "rules": ["high_amount", ...]}, ...],
"rules_version": "1.0.0"}``.

A malformed request gets HTTP 400 with ``{"error": {"code", "message", "details"}}``. The
rules are read from ``AZUREML_MODEL_DIR`` (the registered rules folder).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # mypy reads the model folder from the repository root
    from model_assets.fraud_rules.src import rules_engine
else:  # run from src/ (Azure ML job, inference server): the sibling module
    import rules_engine

try:
    from azureml.contrib.services.aml_response import AMLResponse
except ImportError:  # outside the Azure ML inference server (unit tests)
    AMLResponse = None
try:  # model monitoring: feeds the deployment's data_collector (model_inputs / model_outputs)
    import pandas as pd
    from azureml.ai.monitoring import Collector
except ImportError:  # not installed: scoring works, nothing is collected
    Collector = None

MAX_ROWS = 1000
RULES_FILE = "rules.yaml"
# Limits on what a request may be and on what an error echoes back (and what gets logged).
MAX_BODY_BYTES = 1_048_576  # larger bodies: 413
MAX_INT_DIGITS = 30  # longer integer literals: 400 (they cannot be a feature value)
MAX_ECHO_CHARS = 80  # a value quoted in an error is cut to this
MAX_DETAIL_CHARS = 200  # each detail line is cut to this
MAX_DETAILS = 20  # at most this many detail lines
MAX_ERROR_BYTES = 8192  # an error body never exceeds this (UTF-8 JSON)

logger = logging.getLogger(__name__)
rules: rules_engine.RuleSet | None = None
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
    """Load the rule set once per worker."""
    global rules
    root = Path(os.environ.get("AZUREML_MODEL_DIR", "."))
    matches = sorted(root.rglob(RULES_FILE))
    if not matches:
        raise FileNotFoundError(f"no {RULES_FILE} under AZUREML_MODEL_DIR={root}")
    rules = rules_engine.load_rules(matches[0])
    logger.info("loaded %s rules %s from %s", rules.name, rules.version, matches[0])
    if Collector is not None:  # outside a deployment with data_collector on, collection is off
        collectors["inputs"] = Collector(name="model_inputs", on_error=_collection_off)
        collectors["outputs"] = Collector(name="model_outputs", on_error=_collection_off)


def run(raw_data: Any) -> Any:
    """Score a request; bad requests get a 4xx JSON error (never a 500, never the input uncut)."""
    assert rules is not None, "init() was not called"
    try:
        body = load_body(raw_data)
    except BadRequest as exc:
        return error_response(exc.status, exc.code, str(exc), exc.details)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list) or not body["data"]:
        return error_response(
            400, "invalid_shape", 'the body must be {"data": [transaction, ...]} with 1+ rows'
        )
    if len(body["data"]) > MAX_ROWS:
        return error_response(
            400, "too_many_rows", f'"data" has {len(body["data"])} rows; at most {MAX_ROWS}'
        )
    details: list[str] = []
    for index, row in enumerate(body["data"]):
        try:
            rules_engine.check_transaction(row, rules.schema)
        except rules_engine.InvalidTransaction as exc:
            details.extend(f"data[{index}]: {problem}" for problem in exc.problems[:MAX_DETAILS])
        if len(details) >= MAX_DETAILS:
            break
    if details:
        return error_response(
            400, "invalid_rows", f"{len(details)}+ problem(s); fields: {list(rules.schema)}", details
        )
    predictions = [rules_engine.score(rules, row) for row in body["data"]]
    if collectors:
        context = collectors["inputs"].collect(pd.DataFrame(body["data"]))
        collectors["outputs"].collect(
            pd.DataFrame([{"fraud": p["fraud"], "score": p["score"]} for p in predictions]), context
        )
    return {"predictions": predictions, "rules_version": rules.version}
