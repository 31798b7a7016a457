"""New-data trigger with Event Grid BlobCreated events as Azure sends them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from retrain import eventgrid
from retrain.events import Action
from retrain.runtime import RetryLater

from tests.retraining.retrain_fakes import capture_decisions, decision_lines, payload, transient


def test_blob_created_in_a_landing_container_submits_that_model(runtime, queue) -> None:
    [d] = runtime.on_grid_event(eventgrid.from_json(payload("blob_created.json")))
    assert (d.model, d.kind, d.action, d.run_id) == ("churn", "newData", Action.SUBMITTED, "101")
    assert d.source_id == "eventgrid:9a6c1d3e-501e-0043-2f4b-5c8e6d000000"
    assert queue.calls == [("churn", "newData: new blob landing-churn/daily/2026-11-22/customers.parquet")]


def test_event_time_with_seven_fractional_digits() -> None:
    event = eventgrid.from_json(payload("blob_created.json"))
    assert event.event_time == datetime(2026, 11, 22, 9, 58, 24, 371321, tzinfo=UTC)


def test_redelivered_event_grid_event_submits_once(runtime, queue) -> None:
    body = payload("blob_created.json")
    first = runtime.on_grid_event(eventgrid.from_json(body))
    again = runtime.on_grid_event(eventgrid.from_json(body))
    assert (first[0].action, again[0].action) == (Action.SUBMITTED, Action.DUPLICATE)
    assert len(queue.calls) == 1


def test_one_blob_can_feed_several_models(runtime, queue) -> None:
    decisions = runtime.on_grid_event(eventgrid.from_json(payload("blob_created_adls_flush.json")))
    assert [(d.model, d.action) for d in decisions] == [
        ("fraud", Action.SUBMITTED),
        ("returns", Action.SUBMITTED),
    ]
    assert [c[0] for c in queue.calls] == ["fraud", "returns"]


def test_prefix_must_match(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    body = payload("blob_created.json")
    body["subject"] = "/blobServices/default/containers/landing-churn/blobs/archive/2026/customers.parquet"
    [d] = runtime.on_grid_event(eventgrid.from_json(body))
    assert (d.model, d.action) == (None, Action.UNKNOWN_MODEL)
    assert d.reason == (
        "no model in RETRAIN_MODELS watches blob landing-churn/archive/2026/customers.parquet "
        "(watched: landing-churn/daily/*, landing-shared/*, landing-shared/fraud/*)"
    )
    assert queue.calls == []
    assert decision_lines(caplog)[0]["action"] == "unknown_model"


def test_other_event_types_are_ignored_with_a_logged_reason(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    [d] = runtime.on_grid_event(eventgrid.from_json(payload("blob_deleted.json")))
    assert d.action is Action.IGNORED
    assert d.reason == "event type 'Microsoft.Storage.BlobDeleted' is not Microsoft.Storage.BlobCreated"
    assert queue.calls == []
    assert decision_lines(caplog) == [
        {
            "event": "retrain.decision",
            "environment": "dev",
            "model": None,
            "trigger": "newData",
            "action": "ignored",
            "reason": "event type 'Microsoft.Storage.BlobDeleted' is not Microsoft.Storage.BlobCreated",
            "runId": None,
            "sourceId": "eventgrid:2c3d4e5f-601e-0043-2f4b-5c8e6d000001",
            "retryable": False,
        }
    ]


def test_data_lake_create_file_waits_for_flush_with_close(runtime, queue) -> None:
    body = payload("blob_created_adls_flush.json")
    body["data"]["api"] = "CreateFile"
    body["data"]["contentLength"] = 0
    [d] = runtime.on_grid_event(eventgrid.from_json(body))
    assert d.action is Action.IGNORED and "FlushWithClose follows" in d.reason
    assert queue.calls == []


def test_subject_that_is_not_a_blob_is_ignored(runtime) -> None:
    body = payload("blob_created.json")
    body["subject"] = "/blobServices/default/containers/landing-churn"
    [d] = runtime.on_grid_event(eventgrid.from_json(body))
    assert (d.action, d.reason) == (
        Action.IGNORED,
        "subject '/blobServices/default/containers/landing-churn' does not name a blob",
    )


def test_cloud_events_schema_is_understood(runtime, queue) -> None:
    [d] = runtime.on_grid_event(eventgrid.from_json(payload("blob_created_cloudevent.json")))
    assert (d.model, d.action, d.source_id) == (
        "churn",
        Action.SUBMITTED,
        "eventgrid:6e7f8a9b-701e-0043-2f4b-5c8e6d000002",
    )


def test_transient_submit_failure_asks_event_grid_to_redeliver(runtime, queue) -> None:
    queue.outcomes = [transient()]
    body = payload("blob_created.json")
    with pytest.raises(RetryLater, match="submit for churn failed transiently"):
        runtime.on_grid_event(eventgrid.from_json(body))
    [d] = runtime.on_grid_event(eventgrid.from_json(body))  # Event Grid's redelivery
    assert (d.action, d.run_id) == (Action.SUBMITTED, "101")
