"""The engine: cooldown, de-duplication, failed submits and the one-line decision log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from retrain.events import Action, TriggerEvent

from tests.retraining.retrain_fakes import capture_decisions, decision_lines, final, transient

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def drift(source_id: str = "alert:a1") -> TriggerEvent:
    return TriggerEvent(
        model="churn", kind="drift", source_id=source_id, at=T0, detail="metric alert 'x' fired"
    )


def new_data(source_id: str = "eventgrid:e1") -> TriggerEvent:
    return TriggerEvent(
        model="churn", kind="newData", source_id=source_id, at=T0, detail="new blob landing-churn/daily/a"
    )


def test_submit_logs_one_structured_line(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    d = runtime.engine.handle(drift())
    assert (d.action, d.run_id) == (Action.SUBMITTED, "101")
    assert queue.calls == [("churn", "drift: metric alert 'x' fired")]
    assert decision_lines(caplog) == [
        {
            "event": "retrain.decision",
            "environment": "dev",
            "model": "churn",
            "trigger": "drift",
            "action": "submitted",
            "reason": "queued train pipeline run 101 https://dev.azure.com/contoso-ml/_build/results?buildId=101 "
            "(drift: metric alert 'x' fired)",
            "runId": "101",
            "sourceId": "alert:a1",
            "retryable": False,
        }
    ]
    assert len([r for r in caplog.records if r.name == "retrain.decisions"][0].getMessage().splitlines()) == 1
    state, _ = runtime.engine.store.load("churn")
    assert state.last_run_id == "101" and state.pending is None and state.last_submitted_at == T0


def test_cooldown_whatever_fires_then_submit_after_the_window(runtime, queue, clock, caplog) -> None:
    capture_decisions(caplog)
    assert runtime.engine.handle(drift()).action is Action.SUBMITTED
    clock.advance(hours=23, minutes=59, seconds=59)
    second = runtime.engine.handle(new_data())
    assert second.action is Action.COOLDOWN
    assert second.reason == (
        "retrain already queued at 2026-11-22T10:00:00Z (run 101, by drift); "
        "cooldown of 1440 min ends at 2026-11-23T10:00:00Z"
    )
    clock.advance(seconds=1)
    third = runtime.engine.handle(new_data("eventgrid:e2"))
    assert (third.action, third.run_id) == (Action.SUBMITTED, "102")
    assert [c[0] for c in queue.calls] == ["churn", "churn"]
    assert [line["action"] for line in decision_lines(caplog)] == ["submitted", "cooldown", "submitted"]


def test_same_event_id_twice_submits_once(runtime, queue) -> None:
    first = runtime.engine.handle(new_data())
    again = runtime.engine.handle(new_data())
    assert (first.action, again.action) == (Action.SUBMITTED, Action.DUPLICATE)
    assert again.reason == "event 'eventgrid:e1' was already handled at 2026-11-22T10:00:00Z"
    assert len(queue.calls) == 1


def test_redelivered_event_after_cooldown_expires_is_still_a_duplicate(runtime, queue, clock) -> None:
    runtime.engine.handle(new_data())
    clock.advance(days=2)
    assert runtime.engine.handle(new_data()).action is Action.DUPLICATE
    assert len(queue.calls) == 1


def test_final_failure_does_not_consume_the_cooldown(runtime, queue, clock, caplog) -> None:
    capture_decisions(caplog)
    queue.outcomes = [final()]
    failed = runtime.engine.handle(drift())
    assert failed.action is Action.FAILED and failed.retryable is False
    assert failed.reason == "Azure DevOps answered 400: Unexpected parameter 'reason'; cooldown not consumed"
    state, _ = runtime.engine.store.load("churn")
    assert state.last_submitted_at is None and state.pending is None and state.seen == {}
    assert state.last_failure.message == "Azure DevOps answered 400: Unexpected parameter 'reason'"
    clock.advance(minutes=1)
    retried = runtime.engine.handle(new_data())
    assert (retried.action, retried.run_id) == (Action.SUBMITTED, "101")
    lines = decision_lines(caplog)
    assert [line["action"] for line in lines] == ["failed", "submitted"]
    assert [r.levelname for r in caplog.records if r.name == "retrain.decisions"] == ["WARNING", "INFO"]


def test_transient_failure_is_retryable_and_the_same_event_can_retry(runtime, queue) -> None:
    queue.outcomes = [transient()]
    first = runtime.engine.handle(drift())
    assert (first.action, first.retryable) == (Action.FAILED, True)
    assert first.reason.endswith("; cooldown not consumed; will be retried")
    redelivered = runtime.engine.handle(drift())
    assert (redelivered.action, redelivered.run_id) == (Action.SUBMITTED, "101")
    assert len(queue.calls) == 2


def test_unexpected_error_releases_the_claim_and_propagates(runtime, queue) -> None:
    queue.outcomes = [KeyError("bug")]
    with pytest.raises(KeyError):
        runtime.engine.handle(drift())
    state, _ = runtime.engine.store.load("churn")
    assert state.last_submitted_at is None and state.pending is None
    assert state.last_failure.message == "KeyError('bug')"


def test_unknown_model_and_disabled_trigger_submit_nothing(runtime, queue, caplog) -> None:
    capture_decisions(caplog)
    unknown = runtime.engine.handle(TriggerEvent("churn2", "drift", "alert:z", T0, "x"))
    disabled = runtime.engine.handle(TriggerEvent("fraud", "drift", "alert:y", T0, "x"))
    assert (unknown.action, disabled.action) == (Action.UNKNOWN_MODEL, Action.DISABLED)
    assert queue.calls == []
    assert runtime.engine.store.load("fraud") == (None, None)
    assert [(line["model"], line["action"]) for line in decision_lines(caplog)] == [
        ("churn2", "unknown_model"),
        ("fraud", "disabled"),
    ]
