"""The Functions entry points: bindings as the host indexes them, and each function driven with
the ``azure.functions`` objects the Python worker builds from the host's payloads."""

from __future__ import annotations

import importlib.util
import json
import logging
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.timer import TimerRequestConverter
from retrain.errors import SettingsError
from retrain.runtime import RetryLater
from retrain_fakes import APP_ROOT, capture_decisions, decision_lines, make_runtime, payload, transient


def load_app(monkeypatch, environ: dict[str, str]) -> ModuleType:
    """Import function_app.py afresh, as the worker does, with ``environ`` as the app settings."""
    for name in list(environ) + ["AzureWebJobsStorage"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "retrain_function_app_under_test", APP_ROOT / "function_app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app_module(monkeypatch, environ, store, queue, clock) -> ModuleType:
    module = load_app(monkeypatch, environ)
    # The module built its runtime on the managed identity; swap in the fakes.
    module.RUNTIME = make_runtime(environ, store=store, queue=queue, clock=clock)
    return module


def functions(module: ModuleType) -> dict[str, Any]:
    return {f.get_function_name(): f for f in module.app.get_functions()}


def grid_event(body: dict) -> func.EventGridEvent:
    return EventGridEventInConverter.decode(meta.Datum(json.dumps(body), "json"), trigger_metadata={})


def test_bindings_as_the_host_indexes_them(app_module) -> None:
    fns = functions(app_module)
    assert sorted(fns) == [
        "retrain_drift_alert",
        "retrain_drift_event",
        "retrain_new_data",
        "retrain_schedule",
    ]
    assert [json.loads(b) for b in fns["retrain_drift_event"].get_raw_bindings()] == [
        {"direction": "IN", "type": "eventGridTrigger", "name": "event"}
    ]
    assert [json.loads(b) for b in fns["retrain_schedule"].get_raw_bindings()] == [
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": "0 */5 * * * *",
            "runOnStartup": False,
            "useMonitor": True,
        }
    ]
    assert [json.loads(b) for b in fns["retrain_new_data"].get_raw_bindings()] == [
        {"direction": "IN", "type": "eventGridTrigger", "name": "event"}
    ]
    assert [json.loads(b) for b in fns["retrain_drift_alert"].get_raw_bindings()] == [
        {
            "direction": "IN",
            "type": "httpTrigger",
            "name": "req",
            "methods": ["POST"],
            "authLevel": "FUNCTION",
            "route": "retrain/drift-alert",
        },
        {"direction": "OUT", "type": "http", "name": "$return"},
    ]


def test_default_runtime_uses_the_managed_identity_and_the_state_account(monkeypatch, environ) -> None:
    module = load_app(monkeypatch, environ)
    store = module.RUNTIME.engine.store
    assert store.blob_name("churn") == "models/churn.json"
    assert store._container.url == "https://stmlopsdevretrain.blob.core.windows.net/retrain-state"
    assert type(store._container.credential).__name__ == "DefaultAzureCredential"
    assert module.RUNTIME.engine._queue.url == (
        "https://dev.azure.com/contoso-ml/mlops%20estate/_apis/pipelines/17/runs?api-version=7.1"
    )


def test_bad_settings_stop_the_app_at_startup_naming_the_setting(monkeypatch, environ, caplog) -> None:
    environ["RETRAIN_MODELS"] = json.dumps({"churn": {"triggers": {"schedule": "0 2 * * *"}}})
    with pytest.raises(SettingsError) as caught:
        load_app(monkeypatch, environ)
    assert caught.value.key == "RETRAIN_MODELS.churn.triggers.schedule"
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert (
        critical
        and "RETRAIN_MODELS.churn.triggers.schedule: '0 2 * * *' is not a valid NCRONTAB"
        in critical[0].getMessage()
    )


def test_http_trigger_with_a_fired_metric_alert(app_module, queue, caplog) -> None:
    capture_decisions(caplog)
    request = func.HttpRequest(
        method="POST",
        url="https://func-mlops-dev-retrain.azurewebsites.net/api/retrain/drift-alert",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "IcMBroadcaster/1.0"},
        params={"code": "function-key-from-the-action-group"},
        body=json.dumps(payload("alert_metric_fired.json")).encode(),
    )
    response = functions(app_module)["retrain_drift_alert"].get_user_function()(request)
    assert (response.status_code, response.mimetype) == (200, "application/json")
    body = json.loads(response.get_body())
    assert (body["decision"]["model"], body["decision"]["action"], body["decision"]["runId"]) == (
        "churn",
        "submitted",
        "101",
    )
    assert queue.calls[0][0] == "churn"
    assert [line["action"] for line in decision_lines(caplog)] == ["submitted"]


def test_http_trigger_rejects_a_malformed_payload(app_module, queue) -> None:
    request = func.HttpRequest(
        method="POST", url="https://x/api/retrain/drift-alert", body=b'{"schemaId": "x"}'
    )
    response = functions(app_module)["retrain_drift_alert"].get_user_function()(request)
    assert response.status_code == 400
    assert json.loads(response.get_body())["error"].startswith(
        "schemaId is 'x'; enable the common alert schema"
    )
    assert queue.calls == []


@pytest.mark.parametrize("name", ["blob_created.json", "blob_created_cloudevent.json"])
def test_event_grid_trigger_with_blob_created(app_module, queue, name: str) -> None:
    event = grid_event(payload(name))
    assert functions(app_module)["retrain_new_data"].get_user_function()(event) is None
    assert [c[0] for c in queue.calls] == ["churn"]


def test_event_grid_trigger_fails_the_invocation_for_a_transient_submit_failure(app_module, queue) -> None:
    queue.outcomes = [transient()]
    with pytest.raises(RetryLater):
        functions(app_module)["retrain_new_data"].get_user_function()(
            grid_event(payload("blob_created.json"))
        )


def test_timer_trigger_uses_the_hosts_last_run_for_a_late_first_tick(app_module, queue, clock) -> None:
    clock.set(datetime(2026, 11, 22, 2, 6, 0, 180_000, tzinfo=UTC))  # late: 02:00 is more than a tick ago
    timer = TimerRequestConverter.decode(
        meta.Datum(
            json.dumps(
                {
                    "Schedule": {"AdjustForDST": True},
                    "ScheduleStatus": {
                        "Last": "2026-11-22T01:55:00.0123456+00:00",
                        "Next": "2026-11-22T02:00:00+00:00",
                        "LastUpdated": "2026-11-22T01:55:00.0123456+00:00",
                    },
                    "IsPastDue": True,
                }
            ),
            "json",
        ),
        trigger_metadata={},
    )
    assert timer.past_due is True
    functions(app_module)["retrain_schedule"].get_user_function()(timer)
    assert queue.calls == [("churn", "schedule: schedule '0 0 2 * * *' due at 2026-11-22T02:00:00Z")]


def test_drift_event_trigger_queues_a_retrain_for_a_threshold_breach(app_module, queue) -> None:
    event = grid_event(payload("monitor_threshold_breached.json"))
    assert functions(app_module)["retrain_drift_event"].get_user_function()(event) is None
    assert [c[0] for c in queue.calls] == ["churn"]


def test_a_monitor_run_that_failed_without_a_breach_is_not_drift(app_module, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    body["data"]["RunTags"] = {}
    assert functions(app_module)["retrain_drift_event"].get_user_function()(grid_event(body)) is None
    assert queue.calls == []
