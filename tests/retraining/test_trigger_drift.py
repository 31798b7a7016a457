"""Drift trigger: a model monitor's threshold breach, delivered by Event Grid to the drift queue."""

from __future__ import annotations

import base64
import json

import pytest
from retrain.events import Action
from retrain.runtime import RetryLater

from tests.retraining.retrain_fakes import capture_decisions, decision_lines, payload, transient


def deliver(runtime, body: dict, *, encode: bool = True):
    """The message as Event Grid writes it to the queue (base64 of the event's JSON)."""
    raw = json.dumps(body).encode()
    return runtime.on_queue_message(base64.b64encode(raw) if encode else raw)


def test_a_threshold_breach_submits_the_monitored_model(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    outcome = deliver(runtime, payload("monitor_threshold_breached.json"))
    assert outcome.rejected is None
    [d] = outcome.decisions
    assert (d.model, d.kind, d.action, d.run_id) == ("churn", "drift", Action.SUBMITTED, "101")
    assert d.source_id == "eventgrid:a1b2c3d4-0000-4000-8000-000000000001"
    assert [c[0] for c in queue.calls] == ["churn"]
    assert [line["action"] for line in decision_lines(caplog)] == ["submitted"]


def test_a_redelivered_breach_submits_once(runtime, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    first, again = deliver(runtime, body), deliver(runtime, body, encode=False)
    assert (first.decisions[0].action, again.decisions[0].action) == (Action.SUBMITTED, Action.DUPLICATE)
    assert len(queue.calls) == 1


def test_a_failed_monitor_run_without_the_breach_tag_is_not_drift(runtime, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    body["data"]["RunTags"] = {}
    [d] = deliver(runtime, body).decisions
    assert (d.model, d.action) == (None, Action.IGNORED)
    assert queue.calls == []


def test_a_monitor_of_a_model_not_retrained_is_an_unknown_model(runtime, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    body["data"]["ExperimentName"] = "forecast-monitor"
    [d] = deliver(runtime, body).decisions
    assert d.action is Action.UNKNOWN_MODEL and queue.calls == []


def test_drift_disabled_for_the_model(runtime, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    body["data"]["ExperimentName"] = "fraud-monitor"  # fraud retrains on new data only
    [d] = deliver(runtime, body).decisions
    assert d.model == "fraud" and d.action is Action.DISABLED
    assert queue.calls == []


def test_a_transient_submit_failure_fails_the_invocation_so_the_queue_redelivers(runtime, queue) -> None:
    queue.outcomes = [transient()]
    with pytest.raises(RetryLater):
        deliver(runtime, payload("monitor_threshold_breached.json"))
    [d] = deliver(runtime, payload("monitor_threshold_breached.json")).decisions
    assert d.action is Action.SUBMITTED
