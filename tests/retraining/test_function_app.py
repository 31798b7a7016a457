"""The Functions entry points: bindings as the host indexes them, host.json's queue settings, and
each function driven with the ``azure.functions`` objects the Python worker builds."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta
from azure.functions.queue import QueueMessageInConverter
from azure.functions.timer import TimerRequestConverter
from retrain.errors import SettingsError
from retrain.runtime import RetryLater

from tests.retraining.retrain_fakes import APP_ROOT, make_runtime, payload, transient


def load_app(monkeypatch, environ: dict[str, str]) -> ModuleType:
    """Import function_app.py afresh, as the worker does, with ``environ`` as the app settings."""
    for name in list(environ) + ["AzureWebJobsStorage"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "retrain_function_app_under_test", APP_ROOT / "function_app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app_module(monkeypatch, environ, store, queue, clock) -> ModuleType:
    module = load_app(monkeypatch, environ)
    # The module built its runtime on the managed identity; swap in the fakes.
    monkeypatch.setattr(module, "RUNTIME", make_runtime(environ, store=store, queue=queue, clock=clock))
    return module


def functions(module: ModuleType) -> dict[str, Any]:
    return {f.get_function_name(): f for f in module.app.get_functions()}


def test_bindings_as_the_host_indexes_them(app_module) -> None:
    fns = functions(app_module)
    assert sorted(fns) == ["retrain_drift_event", "retrain_health", "retrain_new_data", "retrain_schedule"]
    for name, queue in (
        ("retrain_new_data", "retrain-new-data"),
        ("retrain_drift_event", "retrain-drift-event"),
    ):
        assert [json.loads(b) for b in fns[name].get_raw_bindings()] == [
            {
                "direction": "OUT",
                "type": "queue",
                "name": "poison",
                "queueName": f"{queue}-poison",
                "connection": "RetrainEvents",
            },
            {
                "direction": "IN",
                "type": "queueTrigger",
                "name": "message",
                "queueName": queue,
                "connection": "RetrainEvents",
            },
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
    assert [json.loads(b) for b in fns["retrain_health"].get_raw_bindings()] == [
        {
            "direction": "IN",
            "type": "httpTrigger",
            "name": "req",
            "methods": ["GET"],
            "authLevel": "ANONYMOUS",
            "route": "health",
        },
        {"direction": "OUT", "type": "http", "name": "$return"},
    ]


def test_host_json_matches_the_contract() -> None:
    """Queue messages as Event Grid writes them (plain or base64: the app decodes), and a retry
    window longer than a retrain claim's lease, so a crashed claim is retried, not poisoned."""
    from retrain import contract
    from retrain.decision import CLAIM_LEASE

    queues = json.loads((APP_ROOT / "host.json").read_text())["extensions"]["queues"]
    assert queues["messageEncoding"] == "none"
    assert queues["maxDequeueCount"] == contract.MAX_DEQUEUE_COUNT
    minutes = contract.VISIBILITY_TIMEOUT_MINUTES
    assert queues["visibilityTimeout"] == f"00:{minutes:02d}:00"
    assert (contract.MAX_DEQUEUE_COUNT - 1) * minutes > CLAIM_LEASE.total_seconds() / 60


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


class Out:
    """The worker's ``func.Out`` for the poison-queue output binding."""

    def __init__(self) -> None:
        self.value: str | None = None

    def set(self, value: str) -> None:
        self.value = value

    def get(self) -> str | None:
        return self.value


def queue_message(body: bytes) -> func.QueueMessage:
    """The message as the worker binds it from the host's payload."""
    return QueueMessageInConverter.decode(meta.Datum(body, "bytes"), trigger_metadata={})


@pytest.mark.parametrize("name", ["blob_created.json", "blob_created_cloudevent.json"])
@pytest.mark.parametrize("encode", [lambda b: b, base64.b64encode], ids=["plain", "base64"])
def test_queue_trigger_with_blob_created(app_module, queue, name: str, encode) -> None:
    poison = Out()
    message = queue_message(encode(json.dumps(payload(name)).encode()))
    assert functions(app_module)["retrain_new_data"].get_user_function()(message, poison) is None
    assert [c[0] for c in queue.calls] == ["churn"] and poison.value is None


def test_queue_trigger_moves_a_malformed_message_to_the_poison_queue(app_module, queue, caplog) -> None:
    poison = Out()
    functions(app_module)["retrain_new_data"].get_user_function()(queue_message(b"not an event"), poison)
    assert poison.value == "not an event" and queue.calls == []
    assert "rejected queue message (12 bytes): queue message is neither JSON nor base64 JSON" in caplog.text


def test_queue_trigger_fails_the_invocation_for_a_transient_submit_failure(app_module, queue) -> None:
    queue.outcomes = [transient()]
    poison = Out()
    with pytest.raises(RetryLater):
        functions(app_module)["retrain_new_data"].get_user_function()(
            queue_message(json.dumps(payload("blob_created.json")).encode()), poison
        )
    assert poison.value is None  # the host retries, then moves it to the poison queue itself


def test_health_answers_200(app_module) -> None:
    request = func.HttpRequest(method="GET", url="https://func-x.azurewebsites.net/api/health", body=b"")
    response = functions(app_module)["retrain_health"].get_user_function()(request)
    assert (response.status_code, json.loads(response.get_body())) == (200, {"status": "ok"})


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


def test_drift_queue_trigger_queues_a_retrain_for_a_threshold_breach(app_module, queue) -> None:
    poison = Out()
    message = queue_message(base64.b64encode(json.dumps(payload("monitor_threshold_breached.json")).encode()))
    assert functions(app_module)["retrain_drift_event"].get_user_function()(message, poison) is None
    assert [c[0] for c in queue.calls] == ["churn"] and poison.value is None


def test_a_monitor_run_that_failed_without_a_breach_is_not_drift(app_module, queue) -> None:
    body = payload("monitor_threshold_breached.json")
    body["data"]["RunTags"] = {}
    poison = Out()
    functions(app_module)["retrain_drift_event"].get_user_function()(
        queue_message(json.dumps(body).encode()), poison
    )
    assert queue.calls == [] and poison.value is None
