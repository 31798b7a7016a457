"""Schedule trigger: the 5-minute timer evaluates each model's NCRONTAB schedule since its watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from retrain import schedule
from retrain.events import Action, TriggerEvent
from retrain.ncrontab import CronSchedule
from retrain.record import ModelState
from retrain.runtime import last_run_from_status
from retrain.state import BlobStateStore

from tests.retraining.retrain_fakes import FakeContainerClient, FakeQueue, final, make_runtime, transient

TICK = timedelta(minutes=5)
DAILY_2AM = CronSchedule.parse("0 0 2 * * *")


def at(day: int, hour: int, minute: int, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, micro, tzinfo=UTC)


def test_due_occurrence_windows() -> None:
    assert schedule.due_occurrence(DAILY_2AM, None, at(22, 2, 0, 0, 300_000), TICK) == schedule.Due(
        at(22, 2, 0), False
    )
    assert schedule.due_occurrence(DAILY_2AM, None, at(22, 1, 59, 59), TICK) is None
    assert schedule.due_occurrence(DAILY_2AM, at(22, 2, 0), at(22, 2, 5), TICK) is None
    # Down for two days: the latest occurrence is due and the missed one is folded into it.
    assert schedule.due_occurrence(DAILY_2AM, at(20, 2, 0), at(22, 2, 1), TICK) == schedule.Due(
        at(22, 2, 0), True
    )


def test_first_window_reaches_back_to_the_timers_last_run_within_a_day() -> None:
    now = at(22, 2, 12)  # the timer was late; one tick back (02:07) would miss 02:00
    assert schedule.due_occurrence(DAILY_2AM, None, now, TICK) is None
    assert schedule.due_occurrence(DAILY_2AM, None, now, TICK, last_run=at(22, 1, 55)) == schedule.Due(
        at(22, 2, 0), False
    )
    # A last run older than a day (or the host's 0001-01-01 placeholder) is not trusted.
    assert schedule.due_occurrence(DAILY_2AM, None, now, TICK, last_run=at(20, 1, 55)) is None
    # A watermark always wins over the timer's last run.
    assert schedule.due_occurrence(DAILY_2AM, at(22, 2, 0), now, TICK, last_run=at(22, 1, 55)) is None


def test_last_run_from_the_hosts_schedule_status() -> None:
    assert last_run_from_status({"Last": "2026-11-22T01:55:00.0123456+00:00"}) == datetime(
        2026, 11, 22, 1, 55, 0, 12345, tzinfo=UTC
    )
    assert last_run_from_status({"Last": "0001-01-01T00:00:00"}) == datetime(1, 1, 1, tzinfo=UTC)
    assert last_run_from_status({}) is None
    assert last_run_from_status({"Last": "soon"}) is None


def test_to_event() -> None:
    event = schedule.to_event("churn", DAILY_2AM, schedule.Due(at(22, 2, 0), True))
    assert event == TriggerEvent(
        model="churn",
        kind="schedule",
        source_id="schedule:2026-11-22T02:00:00Z",
        at=at(22, 2, 0),
        detail="schedule '0 0 2 * * *' due at 2026-11-22T02:00:00Z (earlier occurrences missed while the app "
        "was not running are folded into this one)",
    )


def test_timer_submits_due_models_only(runtime, queue, clock) -> None:
    clock.set(at(22, 2, 0, 0, 250_000))  # a Sunday: churn (daily 02:00) is due, demand (Mon 06:30) is not
    decisions = runtime.on_timer()
    assert [(d.model, d.action, d.source_id) for d in decisions] == [
        ("churn", Action.SUBMITTED, "schedule:2026-11-22T02:00:00Z")
    ]
    assert queue.calls == [("churn", "schedule: schedule '0 0 2 * * *' due at 2026-11-22T02:00:00Z")]
    clock.set(at(22, 2, 5, 0, 250_000))
    assert runtime.on_timer() == []
    state, _ = runtime.engine.store.load("churn")
    assert state.schedule_watermark == at(22, 2, 0)


def test_weekly_schedule_with_day_name(runtime, queue, clock) -> None:
    clock.set(at(23, 6, 30, 1))  # Monday
    assert [(d.model, d.action) for d in runtime.on_timer()] == [("demand", Action.SUBMITTED)]


def test_schedule_inside_cooldown_is_logged_and_not_repeated(runtime, queue, clock) -> None:
    clock.set(at(22, 1, 0))
    runtime.engine.handle(TriggerEvent("churn", "drift", "alert:a1", at(22, 1, 0), "drift"))
    clock.set(at(22, 2, 0, 1))
    [d] = runtime.on_timer()
    assert d.action is Action.COOLDOWN
    clock.set(at(22, 2, 5, 1))
    assert runtime.on_timer() == []
    assert len(queue.calls) == 1


def test_transient_failure_is_retried_on_the_next_tick(runtime, queue, clock) -> None:
    queue.outcomes = [transient()]
    clock.set(at(22, 2, 0, 1))
    [failed] = runtime.on_timer()
    assert (failed.action, failed.retryable) == (Action.FAILED, True)
    clock.set(at(22, 2, 5, 1))
    [retried] = runtime.on_timer()
    assert (retried.action, retried.source_id, retried.run_id) == (
        Action.SUBMITTED,
        "schedule:2026-11-22T02:00:00Z",
        "101",
    )


def test_final_failure_is_not_retried_every_tick_and_keeps_the_cooldown_free(runtime, queue, clock) -> None:
    queue.outcomes = [final()]
    clock.set(at(22, 2, 0, 1))
    assert runtime.on_timer()[0].action is Action.FAILED
    clock.set(at(22, 2, 5, 1))
    assert runtime.on_timer() == []
    drift = runtime.engine.handle(TriggerEvent("churn", "drift", "alert:a2", at(22, 2, 6), "drift"))
    assert drift.action is Action.SUBMITTED


def test_two_timer_instances_on_the_same_occurrence_submit_once(environ, clock) -> None:
    container = FakeContainerClient()
    queue = FakeQueue()
    a = make_runtime(environ, store=BlobStateStore(container), queue=queue, clock=clock)
    b = make_runtime(environ, store=BlobStateStore(container), queue=queue, clock=clock)
    clock.set(at(22, 2, 0, 1))
    seen_by_b = []
    # A read churn's state for the window; B evaluates and writes before A decides.
    container.after_download.append(lambda: seen_by_b.extend(b.on_timer()))
    decisions = a.on_timer()
    assert [d.action for d in seen_by_b] == [Action.SUBMITTED]
    assert [d.action for d in decisions] == [Action.DUPLICATE]
    assert len(queue.calls) == 1


def test_one_broken_model_does_not_stop_the_others(environ, clock) -> None:
    container = FakeContainerClient()
    container.blobs["models/churn.json"] = (b"garbage", '"0x1"')
    queue = FakeQueue()
    runtime = make_runtime(environ, store=BlobStateStore(container), queue=queue, clock=clock)
    clock.set(at(23, 6, 30, 1))
    with pytest.raises(
        RuntimeError, match=r"schedule evaluation failed for churn: state blob 'models/churn.json'"
    ):
        runtime.on_timer()
    assert queue.calls[0][0] == "demand"


def test_watermark_survives_in_the_state_record(runtime, clock) -> None:
    runtime.engine.store.save("churn", ModelState(model="churn", schedule_watermark=at(21, 2, 0)), None)
    clock.set(at(21, 23, 0))
    assert runtime.on_timer() == []  # 02:00 on the 21st was handled, the 22nd's is not yet due
