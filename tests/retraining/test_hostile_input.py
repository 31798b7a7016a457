"""Malformed and hostile payloads: rejected cleanly (never a crash; the function moves the message
to the poison queue), capped reasons and log lines, and a retrain claim that survives a crash
between claiming and submitting."""

from __future__ import annotations

import base64
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

from tests.retraining.retrain_fakes import capture_decisions, decision_lines, payload

MAX_LOG_LINE = 2048  # every log line the app writes for one of these payloads stays under this


def _message(edit: Callable[[dict[str, Any]], Any]) -> bytes:
    """A queue message holding ``blob_created.json`` after ``edit`` (which may return the raw body)."""
    body = payload("blob_created.json")
    result = edit(body)
    if isinstance(result, bytes):
        return result
    return (result if isinstance(result, str) else json.dumps(body)).encode()


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        body[key] = value

    return edit


HOSTILE_MESSAGES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("not JSON, not base64", lambda b: "hello, queue", "neither JSON nor base64 JSON"),
    ("base64 of not JSON", lambda b: base64.b64encode(b"hello").decode(), "not valid JSON"),
    ("truncated JSON", lambda b: json.dumps(b)[:200], "not valid JSON"),
    ("not UTF-8", lambda b: b"{\xff\xfe\x00", "not valid JSON"),
    ("deeply nested", lambda b: "[" * 30_000 + "]" * 30_000, "too deeply"),
    ("65 KB message", lambda b: json.dumps({**b, "padding": "p" * 65_000}), "over 65536"),
    ("a JSON list of two", lambda b: json.dumps([b, b]), "not one Event Grid event"),
    ("a number", lambda b: "[7]", "not one Event Grid event"),
    ("no eventType", lambda b: b.pop("eventType") and None, "no eventType string"),
    ("eventType is a list", _set("eventType", ["x"]), "no eventType string"),
    ("id is a number", _set("id", 9**400), "no id string"),
    ("subject is an object", _set("subject", {"a": 1}), "subject is not a string"),
    ("eventTime is a number", _set("eventTime", 1), "event time is not a string"),
    ("eventTime is not a time", _set("eventTime", "yesterday"), "eventTime"),
]


@pytest.mark.parametrize(("name", "edit", "message"), HOSTILE_MESSAGES, ids=[h[0] for h in HOSTILE_MESSAGES])
def test_hostile_queue_messages_are_rejected_cleanly_with_capped_logs(
    runtime, queue, caplog, name, edit, message
) -> None:
    caplog.set_level(logging.DEBUG)
    outcome = runtime.on_queue_message(_message(edit))
    assert outcome.decisions == [] and outcome.rejected is not None, name
    assert message in outcome.rejected
    assert len(outcome.rejected) <= MAX_ERROR_CHARS
    assert queue.calls == []
    assert all(len(record.getMessage()) <= MAX_LOG_LINE for record in caplog.records)


@pytest.mark.parametrize("encode", [lambda b: b, base64.b64encode], ids=["plain JSON", "base64"])
def test_event_grid_messages_are_read_plain_or_base64(runtime, queue, encode) -> None:
    outcome = runtime.on_queue_message(encode(json.dumps(payload("blob_created.json")).encode()))
    assert outcome.rejected is None
    assert [(d.model, d.action) for d in outcome.decisions] == [("churn", Action.SUBMITTED)]


def test_a_huge_but_valid_event_is_acted_on_with_everything_cut(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    body = payload("blob_created.json")
    body["id"] = "i" * 40_000
    body["subject"] += "/" + "n" * 20_000
    outcome = runtime.on_queue_message(json.dumps(body).encode())
    assert [d.action for d in outcome.decisions] == [Action.SUBMITTED]
    [(model, reason)] = queue.calls
    assert model == "churn" and len(reason) < 2 * MAX_ECHO_CHARS
    [line] = decision_lines(caplog)
    assert all(len(v) <= MAX_FIELD_CHARS for v in line.values() if isinstance(v, str))
    assert line["sourceId"].startswith("eventgrid:sha256:")
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

    redelivered = runtime.engine.handle(event)  # the queue redelivers the failed invocation
    assert (redelivered.action, redelivered.retryable) == (Action.PENDING, True)
    other = runtime.engine.handle(
        TriggerEvent(model="churn", kind="drift", source_id="eventgrid:a9", at=clock.now(), detail="drift")
    )
    assert other.action == Action.COOLDOWN  # the claim holds the window while it may still submit

    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    again = runtime.engine.handle(event)
    assert again.action == Action.SUBMITTED and again.run_id == "101"
    state, _ = runtime.engine.store.load("churn")
    assert state.pending is None and state.last_run_id == "101"
    assert "never confirmed" in state.last_failure.message


def test_a_pending_redelivery_asks_the_queue_to_retry(runtime, queue, clock) -> None:
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


def test_a_pending_claim_fails_the_queue_invocation_so_the_host_retries(runtime, queue, clock) -> None:
    """Through the queue: RetryLater fails the invocation; the host makes the message visible again
    after the visibility timeout and, after the last attempt, moves it to the poison queue."""
    body = payload("blob_created.json")
    event = TriggerEvent(
        model="churn", kind="newData", source_id=f"eventgrid:{body['id']}", at=clock.now(), detail="new blob"
    )
    _crash_between_claim_and_submit(runtime, queue, event)
    queue.on_queue = None
    with pytest.raises(RetryLater):
        runtime.on_queue_message(json.dumps(body).encode())
    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)  # a later attempt, after the lease lapsed
    outcome = runtime.on_queue_message(json.dumps(body).encode())
    assert [(d.action, d.run_id) for d in outcome.decisions] == [(Action.SUBMITTED, "101")]
