"""Drift trigger: common-alert-schema webhooks from an action group (metric and log alerts)."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import ServiceRequestError
from retrain_fakes import FakeQueue, capture_decisions, decision_lines, make_runtime, payload, transient


def post(runtime, body) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = runtime.on_alert(raw)
    return answer.status, dict(answer.body)


def test_metric_alert_model_from_dimension_submits(runtime, queue) -> None:
    status, body = post(runtime, payload("alert_metric_fired.json"))
    assert status == 200
    assert body["decision"]["model"] == "churn"
    assert body["decision"]["action"] == "submitted" and body["decision"]["runId"] == "101"
    assert body["decision"]["sourceId"] == (
        "alert:/subscriptions/5f2c8e7a-3b1d-4c6e-9a0f-1d2e3f4a5b6c/providers/Microsoft.AlertsManagement/alerts/"
        "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    )
    assert queue.calls == [
        ("churn", "drift: metric alert 'alr-mlops-dev-churn-drift' fired at 2026-11-22T09:55:12Z")
    ]


def test_log_alert_model_from_custom_properties_submits(runtime, queue) -> None:
    status, body = post(runtime, payload("alert_log_fired.json"))
    assert (status, body["decision"]["model"], body["decision"]["action"]) == (200, "demand", "submitted")
    assert queue.calls == [
        ("demand", "drift: log alert 'alr-mlops-dev-demand-monitor-signal' fired at 2026-11-22T09:57:03Z")
    ]


def test_custom_property_wins_over_dimension(runtime, queue) -> None:
    alert = payload("alert_metric_fired.json")
    alert["data"]["customProperties"] = {"Model": "demand"}
    assert post(runtime, alert)[1]["decision"]["model"] == "demand"


def test_resolved_alert_is_logged_and_ignored(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    alert = payload("alert_metric_fired.json")
    alert["data"]["essentials"]["monitorCondition"] = "Resolved"
    alert["data"]["essentials"]["resolvedDateTime"] = "2026-11-22T10:25:12.1234567Z"
    status, body = post(runtime, alert)
    assert status == 200
    assert body["decision"]["action"] == "ignored"
    assert (
        body["decision"]["reason"]
        == "alert 'alr-mlops-dev-churn-drift' is Resolved; only Fired alerts retrain"
    )
    assert queue.calls == []
    assert [line["action"] for line in decision_lines(caplog)] == ["ignored"]


def test_action_group_retry_of_the_same_alert_submits_once(runtime, queue) -> None:
    alert = payload("alert_metric_fired.json")
    first, again = post(runtime, alert), post(runtime, alert)
    assert (first[1]["decision"]["action"], again[1]["decision"]["action"]) == ("submitted", "duplicate")
    assert len(queue.calls) == 1


def test_drift_disabled_for_the_model(runtime, queue) -> None:
    alert = payload("alert_metric_fired.json")
    alert["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"][0]["value"] = "fraud"
    status, body = post(runtime, alert)
    assert (status, body["decision"]["action"]) == (200, "disabled")
    assert queue.calls == []


def test_alert_for_an_unknown_model(runtime, queue) -> None:
    alert = payload("alert_log_fired.json")
    alert["data"]["customProperties"]["model"] = "pricing"
    status, body = post(runtime, alert)
    assert (status, body["decision"]["action"]) == (200, "unknown_model")
    assert (
        body["decision"]["reason"]
        == "model 'pricing' is not in RETRAIN_MODELS (configured: churn, demand, fraud, returns)"
    )


def test_transient_submit_failure_answers_503_so_the_action_group_retries(runtime, queue) -> None:
    queue.outcomes = [transient()]
    status, body = post(runtime, payload("alert_metric_fired.json"))
    assert (status, body["decision"]["action"], body["decision"]["retryable"]) == (503, "failed", True)
    status, body = post(runtime, payload("alert_metric_fired.json"))
    assert (status, body["decision"]["action"]) == (200, "submitted")


def _without_model(alert: dict) -> dict:
    alert["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"] = [{"name": "feature", "value": "x"}]
    return alert


def _two_models(alert: dict) -> dict:
    criteria = alert["data"]["alertContext"]["condition"]["allOf"]
    criteria.append(
        {"metricName": "prediction_drift_score", "dimensions": [{"name": "model", "value": "demand"}]}
    )
    return alert


def _set(path: tuple[str, ...], value):
    def edit(alert: dict) -> dict:
        node = alert
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return alert

    return edit


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda a: b"not json", "body is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (lambda a: [a], "body must be a JSON object"),
        (
            _set(("schemaId",), "Microsoft.Insights/activityLogs"),
            "schemaId is 'Microsoft.Insights/activityLogs'; enable the common alert schema on the action group's "
            "Azure Function receiver (schemaId 'azureMonitorCommonAlertSchema')",
        ),
        (_set(("data",), None), "data must be an object"),
        (_set(("data", "essentials"), []), "data.essentials must be an object"),
        (
            _set(("data", "essentials", "monitorCondition"), "Active"),
            "data.essentials.monitorCondition is 'Active'; expected one of Fired, Resolved",
        ),
        (
            _set(("data", "essentials", "alertId"), ""),
            "data.essentials.alertId must be a non-empty string, got ''",
        ),
        (
            _set(("data", "essentials", "firedDateTime"), "yesterday"),
            "data.essentials.firedDateTime 'yesterday' is not an ISO-8601 time",
        ),
        (
            _without_model,
            "the alert names no model: give the alert rule a custom property 'model' or split it by a 'model' dimension",
        ),
        (_two_models, "the alert's 'model' dimensions disagree (churn, demand); split the alert per model"),
        (
            _set(("data", "customProperties"), {"model": 3}),
            "data.customProperties.model must be a model name, got 3 (1-64 of letters, digits, '_', '.', '-')",
        ),
    ],
)
def test_malformed_payload_is_a_400_with_a_clear_json_error(runtime, queue, edit, error: str) -> None:
    body = edit(payload("alert_metric_fired.json"))
    status, answer = post(runtime, body)
    assert (status, answer) == (400, {"error": error})
    assert queue.calls == []


def test_state_storage_outage_answers_503(environ, clock) -> None:
    from retrain_fakes import InMemoryStateStore

    class Unreachable(InMemoryStateStore):
        def load(self, model):
            raise ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused")

    queue = FakeQueue()
    runtime = make_runtime(environ, store=Unreachable(), queue=queue, clock=clock)
    status, body = post(runtime, payload("alert_metric_fired.json"))
    assert status == 503
    assert body == {
        "error": "could not decide on the alert now (ServiceRequestError: Failed to establish a new connection: "
        "[Errno 111] Connection refused)"
    }
    assert queue.calls == []
