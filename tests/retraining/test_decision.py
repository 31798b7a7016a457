"""The pure decision: unknown model, disabled trigger, duplicate, cooldown, claim and its undoing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from retrain.decision import DEDUP_MAX_ENTRIES, Verdict, decide, prune, record_run, release_claim
from retrain.events import Action, TriggerEvent
from retrain.record import Claim, Failure, ModelState
from retrain.settings import parse_models

from tests.retraining.retrain_fakes import MODELS_JSON

MODELS = parse_models(MODELS_JSON)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def event(
    model: str = "churn", kind: str = "drift", source_id: str = "alert:a1", at: datetime = NOW
) -> TriggerEvent:
    return TriggerEvent(model=model, kind=kind, source_id=source_id, at=at, detail="test")


def written(v: Verdict) -> ModelState:
    """The record ``v`` writes (fails the test when it writes none)."""
    assert v.state is not None
    return v.state


def claimed(v: Verdict) -> tuple[ModelState, Claim]:
    """The record and the claim of a submitted verdict (fails the test when either is missing)."""
    assert v.state is not None and v.claim is not None
    return v.state, v.claim


def test_unknown_model_lists_the_configured_ones() -> None:
    v = decide(MODELS, None, event(model="churn-v2"), NOW)
    assert v.action is Action.UNKNOWN_MODEL
    assert v.reason == "model 'churn-v2' is not in RETRAIN_MODELS (configured: churn, demand, fraud, returns)"
    assert v.state is None and v.claim is None


def test_disabled_trigger() -> None:
    v = decide(MODELS, None, event(model="fraud", kind="drift"), NOW)
    assert v.action is Action.DISABLED
    assert v.reason == "trigger 'drift' is off for model 'fraud' in RETRAIN_MODELS"
    assert v.state is None


def test_first_event_claims_the_window() -> None:
    v = decide(MODELS, None, event(), NOW)
    assert v.action is Action.SUBMITTED
    assert v.reason == "drift: test"
    state, claim = claimed(v)
    assert state.last_submitted_at == NOW and state.last_kind == "drift" and state.last_run_id is None
    assert state.seen == {"alert:a1": NOW}
    assert claim.source_id == "alert:a1" and claim.previous_submitted_at is None
    assert state.pending == claim


def test_cooldown_inside_window_and_submit_at_its_end() -> None:
    state = ModelState(model="churn", last_submitted_at=NOW, last_run_id="101", last_kind="schedule")
    inside = decide(MODELS, state, event(source_id="eventgrid:e2"), NOW + timedelta(hours=23, minutes=59))
    assert inside.action is Action.COOLDOWN
    assert inside.reason == (
        "retrain already queued at 2026-11-22T10:00:00Z (run 101, by schedule); "
        "cooldown of 1440 min ends at 2026-11-23T10:00:00Z"
    )
    # The event is remembered (a redelivery is a duplicate), the cooldown itself is unchanged.
    assert written(inside).seen == {"eventgrid:e2": NOW + timedelta(hours=23, minutes=59)}
    assert written(inside).last_submitted_at == NOW and inside.claim is None
    at_end = decide(MODELS, state, event(source_id="eventgrid:e3"), NOW + timedelta(days=1))
    assert at_end.action is Action.SUBMITTED


def test_duplicate_event_id() -> None:
    state = ModelState(model="churn", seen={"alert:a1": NOW})
    v = decide(MODELS, state, event(), NOW + timedelta(days=3))
    assert v.action is Action.DUPLICATE
    assert v.reason == "event 'alert:a1' was already handled at 2026-11-22T10:00:00Z"
    assert v.state is None


def test_duplicate_memory_expires_after_a_week() -> None:
    state = ModelState(model="churn", seen={"alert:a1": NOW})
    assert decide(MODELS, state, event(), NOW + timedelta(days=7, seconds=1)).action is Action.SUBMITTED


def test_schedule_events_move_the_watermark_even_in_cooldown() -> None:
    occurrence = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    state = ModelState(model="churn", last_submitted_at=NOW - timedelta(hours=1), last_kind="drift")
    v = decide(
        MODELS, state, event(kind="schedule", source_id="schedule:2026-11-22T02:00:00Z", at=occurrence), NOW
    )
    assert v.action is Action.COOLDOWN
    assert written(v).schedule_watermark == occurrence


def test_release_claim_gives_back_cooldown_and_event_id() -> None:
    before = ModelState(
        model="churn",
        last_submitted_at=NOW - timedelta(days=2),
        last_run_id="99",
        last_kind="schedule",
        schedule_watermark=NOW - timedelta(days=2),
    )
    occurrence = NOW - timedelta(minutes=1)
    v = decide(MODELS, before, event(kind="schedule", source_id="schedule:x", at=occurrence), NOW)
    failure = Failure(at=NOW, source_id="schedule:x", kind="schedule", message="boom")
    state, claim = claimed(v)
    final = release_claim(state, claim, failure, retry_schedule=False)
    assert (final.last_submitted_at, final.last_run_id, final.last_kind) == (
        before.last_submitted_at,
        "99",
        "schedule",
    )
    assert final.pending is None and final.seen == {} and final.last_failure == failure
    assert final.schedule_watermark == occurrence  # a final failure is not retried every tick
    retried = release_claim(state, claim, failure, retry_schedule=True)
    assert retried.schedule_watermark == before.schedule_watermark


def test_record_run_clears_the_claim() -> None:
    v = decide(MODELS, None, event(), NOW)
    done = record_run(*claimed(v), "123")
    assert done.pending is None and done.last_run_id == "123" and done.last_submitted_at == NOW
    other = decide(MODELS, None, event(source_id="alert:other"), NOW)
    assert record_run(done, claimed(other)[1], "124") == done


def test_prune_keeps_the_newest_thousand() -> None:
    seen = {f"e{i}": NOW - timedelta(seconds=i) for i in range(DEDUP_MAX_ENTRIES + 5)}
    pruned = prune(ModelState(model="churn", seen=seen), NOW)
    assert len(pruned.seen) == DEDUP_MAX_ENTRIES
    assert "e0" in pruned.seen and f"e{DEDUP_MAX_ENTRIES - 1}" in pruned.seen
    assert f"e{DEDUP_MAX_ENTRIES}" not in pruned.seen


def test_state_record_round_trips_through_json() -> None:
    v = decide(MODELS, ModelState(model="churn", last_submitted_at=NOW - timedelta(days=5)), event(), NOW)
    state, claim = claimed(v)
    failed = release_claim(state, claim, Failure(NOW, "alert:a1", "drift", "no"), retry_schedule=True)
    for record in (state, failed):
        assert ModelState.from_json(record.to_json()) == record
