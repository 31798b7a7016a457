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
from typing import Any

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

logger = logging.getLogger(__name__)
rules: rules_engine.RuleSet | None = None
collectors: dict[str, Any] = {}


class ErrorResponse:
    """What :func:`run` returns for a bad request when AMLResponse is not importable."""

    def __init__(self, body: dict[str, Any], status_code: int):
        self.body = body
        self.status_code = status_code


def error_response(status: int, code: str, message: str, details: list[str] | None = None) -> Any:
    """An HTTP error with a JSON body."""
    body = {"error": {"code": code, "message": message, "details": details or []}}
    if AMLResponse is not None:
        return AMLResponse(json.dumps(body), status, {"Content-Type": "application/json"}, json_str=False)
    return ErrorResponse(body, status)


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
    """Score a request; bad requests get a 400 JSON error."""
    assert rules is not None, "init() was not called"
    if isinstance(raw_data, bytes | bytearray):
        raw_data = raw_data.decode("utf-8", errors="replace")
    try:
        body = json.loads(raw_data) if isinstance(raw_data, str) else raw_data
    except json.JSONDecodeError as exc:
        return error_response(
            400, "invalid_json", f"the body is not valid JSON: {exc.msg} at position {exc.pos}"
        )
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
            details.extend(f"data[{index}]: {problem}" for problem in exc.problems)
    if details:
        return error_response(
            400, "invalid_rows", f"{len(details)} problem(s); fields: {list(rules.schema)}", details[:20]
        )
    predictions = [rules_engine.score(rules, row) for row in body["data"]]
    if collectors:
        context = collectors["inputs"].collect(pd.DataFrame(body["data"]))
        collectors["outputs"].collect(
            pd.DataFrame([{"fraud": p["fraud"], "score": p["score"]} for p in predictions]), context
        )
    return {"predictions": predictions, "rules_version": rules.version}
