"""Malformed and hostile payloads: a clean 4xx (never a crash), capped error bodies and log lines,
and a retrain claim that survives a crash between claiming and submitting."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from retrain import eventgrid
from retrain.decision import CLAIM_LEASE
from retrain.errors import MAX_ECHO_CHARS
from retrain.events import Action, TriggerEvent
from retrain.logs import MAX_FIELD_CHARS
from retrain.runtime import MAX_ERROR_CHARS, RetryLater
from retrain_fakes import capture_decisions, decision_lines, payload

MAX_LOG_LINE = 2048  # every log line the app writes for one of these payloads stays under this


def _alert(edit: Callable[[dict[str, Any]], Any]) -> bytes:
    body = payload("alert_metric_fired.json")
    result = edit(body)
    if isinstance(result, bytes):
        return result
    return (result if isinstance(result, str) else json.dumps(body)).encode()


def _condition(body: dict[str, Any]) -> dict[str, Any]:
    body["data"].pop("customProperties", None)
    return body["data"]["alertContext"]["condition"]


def _set_all_of(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        _condition(body)["allOf"] = value

    return edit


def _set_dimensions(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        _condition(body)["allOf"][0]["dimensions"] = value

    return edit


def _custom_model(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        body["data"]["customProperties"] = {"model": value}

    return edit


HOSTILE_ALERTS: list[tuple[str, Callable[[dict[str, Any]], Any], int, str]] = [
    ("allOf is a string", _set_all_of("x" * 100_000), 400, "allOf must be a list"),
    ("allOf is an object", _set_all_of({"dimensions": []}), 400, "allOf must be a list"),
    ("allOf is a number", _set_all_of(7), 400, "allOf must be a list"),
    ("allOf holds a string", _set_all_of(["criterion"]), 400, "allOf[0] must be an object"),
    ("allOf holds null", _set_all_of([None]), 400, "allOf[0] must be an object"),
    ("dimensions is a string", _set_dimensions("model=churn"), 400, "dimensions must be a list"),
    (
        "dimension value is a list",
        _set_dimensions([{"name": "model", "value": ["churn"]}]),
        400,
        "model name",
    ),
    (
        "400-digit model",
        lambda b: json.dumps(b).replace(
            '"customProperties": null', '"customProperties": {"model": ' + "9" * 400 + "}"
        ),
        400,
        "model name",
    ),
    ("200 KB model name", _custom_model("m" * 200_000), 400, "model name"),
    ("model is an object", _custom_model({"name": "churn"}), 400, "model name"),
    ("deeply nested", lambda b: "[" * 100_000 + "]" * 100_000, 400, "too deeply"),
    ("4 MB body", lambda b: json.dumps({**b, "padding": "p" * 4_000_000}), 413, "at most"),
    ("not UTF-8", lambda b: b"\xff\xfe\x00{", 400, "not JSON"),
    ("a JSON list", lambda b: "[1, 2]", 400, "must be a JSON object"),
    ("200 KB schemaId", lambda b: json.dumps({**b, "schemaId": "s" * 200_000}), 400, "schemaId"),
    (
        "200 KB monitorCondition",
        lambda b: json.dumps(b).replace('"Fired"', '"' + "F" * 200_000 + '"'),
        400,
        "monitorCondition",
    ),
    (
        "200 KB firedDateTime",
        lambda b: json.dumps(b).replace('"firedDateTime": "', '"firedDateTime": "' + "9" * 200_000),
        400,
        "firedDateTime",
    ),
]


@pytest.mark.parametrize(
    ("name", "edit", "status", "message"), HOSTILE_ALERTS, ids=[h[0] for h in HOSTILE_ALERTS]
)
def test_hostile_alerts_get_a_capped_4xx_and_capped_logs(
    runtime, queue, caplog, name, edit, status, message
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = runtime.on_alert(_alert(edit))
    assert answer.status == status, name
    assert message in answer.body["error"]
    assert len(answer.body["error"]) <= MAX_ERROR_CHARS
    assert queue.calls == []
    assert all(len(record.getMessage()) <= MAX_LOG_LINE for record in caplog.records)


def test_a_huge_but_valid_alert_rule_is_acted_on_with_everything_cut(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    body = payload("alert_metric_fired.json")
    body["data"]["essentials"]["alertRule"] = "r" * 600_000
    body["data"]["essentials"]["alertId"] = "/alerts/" + "i" * 300_000
    answer = runtime.on_alert(json.dumps(body).encode())
    assert answer.status == 200 and answer.body["decision"]["action"] == "submitted"
    [(model, reason)] = queue.calls
    assert model == "churn" and len(reason) < 2 * MAX_ECHO_CHARS
    [line] = decision_lines(caplog)
    assert all(len(v) <= MAX_FIELD_CHARS for v in line.values() if isinstance(v, str))
    assert line["sourceId"].startswith("alert:sha256:")
    state, _ = runtime.engine.store.load("churn")
    assert len(state.to_json()) < 2048


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("1 MB subject", {"eventType": eventgrid.BLOB_CREATED, "subject": "/x" * 500_000}),
        (
            "1 MB event type",
            {"eventType": "E" * 1_000_000, "subject": "/blobServices/default/containers/a/blobs/b"},
        ),
        (
            "1 MB blob name",
            {
                "eventType": eventgrid.BLOB_CREATED,
                "subject": "/blobServices/default/containers/landing-churn/blobs/daily/" + "n" * 1_000_000,
            },
        ),
        (
            "data is a list",
            {
                "eventType": eventgrid.BLOB_CREATED,
                "subject": "/blobServices/default/containers/nope/blobs/b",
                "data": [1],
            },
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hostile_grid_events_never_crash_and_log_capped_lines(
    runtime, caplog, name: str, event: dict[str, Any]
) -> None:
    capture_decisions(caplog)
    body = {"id": "i" * 1_000_000, "eventTime": "2026-11-22T09:59:00Z", "data": {}, **event}
    runtime.on_grid_event(eventgrid.from_json(body))
    lines = decision_lines(caplog)
    assert lines, name
    assert all(len(json.dumps(line)) <= MAX_LOG_LINE for line in lines)
    for model in ("churn", "fraud", "returns", "demand"):
        state, _ = runtime.engine.store.load(model)
        assert state is None or len(state.to_json()) < 4096


def _crash_between_claim_and_submit(runtime, queue, event: TriggerEvent) -> None:
    def crash() -> None:
        raise KeyboardInterrupt  # the worker dies: no except Exception runs, the claim stays written

    queue.on_queue = crash
    with pytest.raises(KeyboardInterrupt):
        runtime.engine.handle(event)


def test_a_crash_after_claiming_never_loses_the_retrain(runtime, queue, clock) -> None:
    event = TriggerEvent(
        model="churn", kind="newData", source_id="eventgrid:e1", at=clock.now(), detail="new blob"
    )
    _crash_between_claim_and_submit(runtime, queue, event)
    state, _ = runtime.engine.store.load("churn")
    assert state.pending is not None and state.last_run_id is None

    redelivered = runtime.engine.handle(event)  # Event Grid redelivers the failed invocation
    assert (redelivered.action, redelivered.retryable) == (Action.PENDING, True)
    other = runtime.engine.handle(
        TriggerEvent(model="churn", kind="drift", source_id="alert:a9", at=clock.now(), detail="drift")
    )
    assert other.action == Action.COOLDOWN  # the claim holds the window while it may still submit

    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    again = runtime.engine.handle(event)
    assert again.action == Action.SUBMITTED and again.run_id == "101"
    state, _ = runtime.engine.store.load("churn")
    assert state.pending is None and state.last_run_id == "101"
    assert "never confirmed" in state.last_failure.message


def test_a_pending_redelivery_asks_event_grid_to_retry(runtime, queue, clock) -> None:
    event = TriggerEvent(
        model="churn", kind="newData", source_id="eventgrid:e2", at=clock.now(), detail="new blob"
    )
    _crash_between_claim_and_submit(runtime, queue, event)
    grid = eventgrid.from_json(
        {
            "id": "e2",
            "eventType": eventgrid.BLOB_CREATED,
            "subject": "/blobServices/default/containers/landing-churn/blobs/daily/x.csv",
            "eventTime": "2026-11-22T09:59:00Z",
            "data": {"api": "PutBlob"},
        }
    )
    with pytest.raises(RetryLater):
        runtime.on_grid_event(grid)
