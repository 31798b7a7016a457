"""The smoke test of an online model endpoint: the release pipeline and `make smoke` both run it.

    python -m model_assets.smoke_test --scoring-uri URL --model NAME [--auth-header-env VAR]

It reads ``model_assets/<NAME>/smoke/smoke.json``::

    {"request":   {...a real request body...},
     "response":  <shape>,
     "errors":    {"status": [400, 413]},          (optional: the model's error contract)
     "malformed": [{"name": "...", "body": <JSON value, or a raw string sent as is>,
                    "status": 400}, ...]}          (optional per case: int or list of ints)

A ``<shape>`` describes any JSON answer: ``{"type": "object", "fields": {name: <shape>}}``,
``{"type": "list", "length": 5, "min_length": 1, "max_length": 9, "items": <shape>}``,
``{"type": "number", "min": 0, "max": 400}``, ``{"type": "integer"}``, ``{"type": "string"}``,
``{"type": "boolean"}``, ``{"type": "null"}`` or ``{"type": "any"}``. The older form
``{"key": "predictions", "length": 5, "items": <shape>}`` (an object holding one list) still
works. It checks that the real request answers 200 with the described shape and plausible
values, and that every malformed request is rejected as the model's error contract says: the
case's ``status``, else ``errors.status``, else any 4xx; never a stack trace.
Transient failures (connection errors, 429, 502, 503, 504) are retried a bounded number of
times; every request has a timeout. Exit status: 0 all checks passed, 1 a check failed,
2 bad arguments or smoke spec. Only the standard library is used, so it runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from infra.errors import EXIT_CONFIG, ConfigError
except ModuleNotFoundError:  # pragma: no cover - run from a bare checkout without the estate package
    EXIT_CONFIG = 2

    class ConfigError(Exception):  # type: ignore[no-redef]
        """Stand-in for ``infra.errors.ConfigError``."""

        def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
            prefix = (f"{file}: " if file else "") + (f"{key}: " if key else "")
            super().__init__(prefix + message)


MODELS_DIR = Path(__file__).resolve().parent
TRANSIENT = {429, 502, 503, 504}
EXIT_FAILED = 1


@dataclass(frozen=True)
class Reply:
    """One HTTP answer (status 0 means no answer: the connection failed)."""

    status: int
    body: str


@dataclass(frozen=True)
class Check:
    """One smoke check and its outcome."""

    name: str
    ok: bool
    detail: str


SHAPE_TYPES = ("object", "list", "number", "integer", "string", "boolean", "null", "any")


def check_shape(shape: Any, where: str) -> list[str]:
    """Problems with a response ``<shape>`` description itself (empty when it is valid)."""
    if not isinstance(shape, dict) or shape.get("type") not in SHAPE_TYPES:
        return [f"{where}: must be an object whose 'type' is one of {', '.join(SHAPE_TYPES)}"]
    problems: list[str] = []
    if shape["type"] == "object":
        fields = shape.get("fields", {})
        if not isinstance(fields, dict):
            return [f"{where}.fields: must be an object of name -> shape"]
        for name, sub in fields.items():
            problems.extend(check_shape(sub, f"{where}.fields.{name}"))
    if shape["type"] == "list" and "items" in shape:
        problems.extend(check_shape(shape["items"], f"{where}.items"))
    return problems


def _statuses(value: Any, where: str, path: Path) -> None:
    values = value if isinstance(value, list) else [value]
    if not values or not all(
        isinstance(v, int) and not isinstance(v, bool) and 400 <= v < 600 for v in values
    ):
        raise ConfigError(
            f"must be an HTTP error status or a list of them (400-599), got {value!r}",
            file=str(path),
            key=where,
        )


def load_spec(model: str, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    """Read and validate ``<models_dir>/<model>/smoke/smoke.json``."""
    path = models_dir / model / "smoke" / "smoke.json"
    if not path.is_file():
        raise ConfigError(f"model {model!r} has no smoke spec (expected {path})", key="--model")
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc}", file=str(path)) from None
    if not isinstance(spec, dict):
        raise ConfigError("must be a JSON object", file=str(path))
    for key in ("request", "response", "malformed"):
        if key not in spec:
            raise ConfigError(f"missing {key!r}", file=str(path), key=key)
    response = spec["response"]
    if isinstance(response, dict) and "type" in response:
        problems = check_shape(response, "response")
        if problems:
            raise ConfigError("; ".join(problems), file=str(path), key="response")
    elif (
        not isinstance(response, dict)
        or not isinstance(response.get("key"), str)
        or not isinstance(response.get("items"), dict)
    ):
        raise ConfigError(
            "must be a shape ({'type': ...}) or an object with 'key' and 'items'",
            file=str(path),
            key="response",
        )
    if not isinstance(spec["malformed"], list) or not spec["malformed"]:
        raise ConfigError("must be a non-empty list of {name, body}", file=str(path), key="malformed")
    errors = spec.get("errors", {})
    if not isinstance(errors, dict):
        raise ConfigError("must be an object such as {'status': [400, 413]}", file=str(path), key="errors")
    if "status" in errors:
        _statuses(errors["status"], "errors.status", path)
    for index, case in enumerate(spec["malformed"]):
        if not isinstance(case, dict) or "body" not in case:
            raise ConfigError("must be an object with a 'body'", file=str(path), key=f"malformed[{index}]")
        if "status" in case:
            _statuses(case["status"], f"malformed[{index}].status", path)
    return spec


def as_shape(expected: dict[str, Any]) -> dict[str, Any]:
    """The ``<shape>`` a response description stands for (the older key/items form converted)."""
    if "type" in expected:
        return expected
    listing: dict[str, Any] = {"type": "list", "items": expected["items"]}
    if "length" in expected:
        listing["length"] = expected["length"]
    return {"type": "object", "fields": {expected["key"]: listing}}


def post(url: str, body: Any, headers: dict[str, str], timeout: float) -> Reply:
    """POST one body (a str is sent as is, anything else as JSON); never raises for HTTP errors."""
    data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Reply(answer.status, answer.read().decode("utf-8", errors="replace"))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read().decode("utf-8", errors="replace"))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Reply(0, f"no answer: {reason}")


def post_with_retries(
    url: str,
    body: Any,
    headers: dict[str, str],
    *,
    timeout: float,
    attempts: int,
    delay: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Reply:
    """POST, retrying transient failures up to ``attempts`` times in all, with linear backoff."""
    reply = Reply(0, "not sent")
    for attempt in range(1, attempts + 1):
        reply = post(url, body, headers, timeout)
        if reply.status != 0 and reply.status not in TRANSIENT:
            return reply
        if attempt < attempts:
            sleep(delay * attempt)
    return reply


def _check_value(value: Any, rule: dict[str, Any], where: str) -> list[str]:
    kind = rule.get("type")
    shown = repr(value)[:120]
    if kind == "any":
        return []
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return [f"{where} = {shown} is not a finite number"]
        if kind == "integer" and not isinstance(value, int):
            return [f"{where} = {shown} is not an integer"]
        if "min" in rule and value < rule["min"] or "max" in rule and value > rule["max"]:
            return [
                f"{where} = {shown} is outside the plausible range "
                f"[{rule.get('min', '-inf')}, {rule.get('max', 'inf')}]"
            ]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where} = {shown} is not a boolean"]
    if kind == "string":
        return [] if isinstance(value, str) else [f"{where} = {shown} is not a string"]
    if kind == "null":
        return [] if value is None else [f"{where} = {shown} is not null"]
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where} = {shown} is not a list"]
        size = len(value)
        if "length" in rule and size != rule["length"]:
            return [f"{where} has {size} items, expected {rule['length']}"]
        if size < rule.get("min_length", 0) or size > rule.get("max_length", size):
            return [
                f"{where} has {size} items, expected {rule.get('min_length', 0)} to {rule.get('max_length', 'any')}"
            ]
        problems: list[str] = []
        if "items" in rule:
            for index, item in enumerate(value):
                problems.extend(_check_value(item, rule["items"], f"{where}[{index}]"))
        return problems
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where} = {shown} is not an object"]
        problems = []
        for field, sub in rule.get("fields", {}).items():
            if field not in value:
                problems.append(f"{where} has no {field!r}")
            else:
                problems.extend(_check_value(value[field], sub, f"{where}.{field}"))
        return problems
    return [f"{where}: the smoke spec has an unknown item type {kind!r}"]


def check_response(reply: Reply, expected: dict[str, Any]) -> list[str]:
    """Problems with the answer to the real request (empty when it is right)."""
    if reply.status != 200:
        return [f"expected HTTP 200, got {reply.status or 'no answer'}: {reply.body[:300]}"]
    try:
        body = json.loads(reply.body)
    except json.JSONDecodeError:
        return [f"the answer is not JSON: {reply.body[:300]}"]
    shape = as_shape(expected)
    if isinstance(body, str) and shape["type"] != "string":  # some servers double-encode JSON answers
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            return [f"the answer is a string, not JSON of type {shape['type']}: {body[:300]}"]
    return _check_value(body, shape, "answer")


def check_rejected(reply: Reply, expected: int | list[int] | None = None) -> list[str]:
    """Problems with the answer to a malformed request: the expected status (any 4xx by default)."""
    if expected is not None:
        allowed = expected if isinstance(expected, list) else [expected]
        if reply.status not in allowed:
            wanted = " or ".join(str(s) for s in allowed)
            return [
                f"expected HTTP {wanted} (the model's error contract), got {reply.status or 'no answer'}: {reply.body[:300]}"
            ]
    elif not 400 <= reply.status < 500:
        return [f"expected a 4xx rejection, got {reply.status or 'no answer'}: {reply.body[:300]}"]
    if "Traceback (most recent call last)" in reply.body:
        return ["the rejection carries a Python stack trace"]
    return []


def run_smoke(
    url: str,
    spec: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    attempts: int = 3,
    delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Check]:
    """Every check against ``url``: the real request first, then each malformed one."""
    headers = headers or {}
    checks: list[Check] = []
    reply = post_with_retries(
        url, spec["request"], headers, timeout=timeout, attempts=attempts, delay=delay, sleep=sleep
    )
    problems = check_response(reply, spec["response"])
    checks.append(Check("valid request", not problems, "; ".join(problems[:5]) or f"HTTP {reply.status}"))
    for case in spec["malformed"]:
        name = f"rejects {case.get('name', 'malformed request')}"
        reply = post_with_retries(
            url, case["body"], headers, timeout=timeout, attempts=attempts, delay=delay, sleep=sleep
        )
        problems = check_rejected(reply, case.get("status", spec.get("errors", {}).get("status")))
        checks.append(Check(name, not problems, "; ".join(problems) or f"HTTP {reply.status}"))
    return checks


def auth_headers(variable: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Authorization header from an environment variable (a bare token becomes ``Bearer <token>``)."""
    if not variable:
        return {}
    env: Mapping[str, str] = os.environ if environ is None else environ
    value = env.get(variable, "").strip()
    if not value:
        raise ConfigError(f"environment variable {variable!r} is empty or not set", key="--auth-header-env")
    if " " not in value:
        value = f"Bearer {value}"
    return {"Authorization": value}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m model_assets.smoke_test", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scoring-uri", required=True, help="the endpoint's scoring URL")
    parser.add_argument("--model", required=True, help="model folder name under model_assets/")
    parser.add_argument(
        "--auth-header-env",
        default=None,
        help="environment variable holding the key or token (sent as Authorization)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--attempts", type=int, default=3, help="tries per request for transient failures")
    parser.add_argument("--retry-delay", type=float, default=2.0, help="base seconds between tries")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if not args.scoring_uri.startswith(("http://", "https://")):
            raise ConfigError(f"{args.scoring_uri!r} is not an http(s) URL", key="--scoring-uri")
        if args.attempts < 1 or args.timeout <= 0 or args.retry_delay < 0:
            raise ConfigError(
                "--attempts must be >= 1, --timeout > 0 and --retry-delay >= 0", key="--attempts"
            )
        spec = load_spec(args.model, args.models_dir)
        headers = auth_headers(args.auth_header_env)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    checks = run_smoke(
        args.scoring_uri,
        spec,
        headers=headers,
        timeout=args.timeout,
        attempts=args.attempts,
        delay=args.retry_delay,
    )
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'} {args.model}: {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print(
            f"smoke test FAILED for {args.model} at {args.scoring_uri}: {len(failed)} of {len(checks)} checks",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"smoke test passed for {args.model}: {len(checks)} checks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
