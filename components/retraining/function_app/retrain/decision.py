"""The pure retraining decision: event + settings + state + time -> verdict and the new state.

No I/O here. The engine (:mod:`.engine`) reads the state, calls :func:`decide`, writes the new
state with an ETag condition and only then submits, so two instances can never both submit.

Rules, in order:
1. the model must be in ``RETRAIN_MODELS`` (else ``unknown_model``);
2. the trigger kind must be on for the model (else ``disabled``);
3. an event id already handled is a ``duplicate`` (deliveries are at-least-once);
4. one retrain per model per cooldown window, whatever fires (else ``cooldown``);
5. otherwise the event *claims* the window; the claim is undone if the submit fails.

A claim is a lease: it is confirmed only by :func:`record_run` after the submit succeeded. A
claim still unconfirmed :data:`CLAIM_LEASE` after it was taken (the instance stopped between
claiming and submitting) is given back before the next decision, so a crash can never lose a
retrain nor block the model for its whole cooldown; the price is that a crash *after* the
submit but before the confirmation can queue one extra run. While a claim is in flight, a
redelivery of the event that holds it is answered ``pending`` (retryable), not ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .errors import show
from .events import Action, TriggerEvent
from .record import Claim, Failure, ModelState
from .settings import ModelConfig

# Event Grid retries for up to 24 hours and action groups for minutes; a week is ample.
DEDUP_RETENTION = timedelta(days=7)
DEDUP_MAX_ENTRIES = 1000
# Longer than any submit takes (token + Azure DevOps call with its retries, about 2 minutes).
CLAIM_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Verdict:
    """What :func:`decide` concluded.

    ``state`` is the record to write (``None`` when nothing changes); ``claim`` is set only for
    ``submitted``, which at this point means "won the window, now submit".
    """

    action: Action
    reason: str
    state: ModelState | None = None
    claim: Claim | None = None
    retryable: bool = False


def decide(
    models: Mapping[str, ModelConfig], state: ModelState | None, event: TriggerEvent, now: datetime
) -> Verdict:
    """Decide what to do with ``event`` given the model's current ``state`` at time ``now``."""
    config = models.get(event.model)
    if config is None:
        known = ", ".join(sorted(models)) or "none"
        return Verdict(
            Action.UNKNOWN_MODEL, f"model {show(event.model)} is not in RETRAIN_MODELS (configured: {known})"
        )
    if not config.trigger_enabled(event.kind):
        return Verdict(
            Action.DISABLED,
            f"trigger {show(event.kind)} is off for model {show(event.model)} in RETRAIN_MODELS",
        )
    current = prune(state or ModelState(model=event.model), now)
    pending = current.pending
    if pending is not None and now >= pending.claimed_at + CLAIM_LEASE:
        current = expire_claim(current, now)
    elif pending is not None and pending.source_id == event.source_id:
        return Verdict(
            Action.PENDING,
            f"the submit for event {show(event.source_id)} is in flight since {_show(pending.claimed_at)}; "
            f"deliver it again later (the claim lapses at {_show(pending.claimed_at + CLAIM_LEASE)})",
            retryable=True,
        )
    if event.source_id in current.seen:
        return Verdict(
            Action.DUPLICATE,
            f"event {show(event.source_id)} was already handled at {_show(current.seen[event.source_id])}",
        )
    seen = {**current.seen, event.source_id: now}
    watermark = current.schedule_watermark
    if event.kind == "schedule" and (watermark is None or event.at > watermark):
        watermark = event.at
    last = current.last_submitted_at
    if last is not None and now < last + config.cooldown:
        run = current.last_run_id or "not yet known"
        return Verdict(
            Action.COOLDOWN,
            f"retrain already queued at {_show(last)} (run {run}, by {current.last_kind}); "
            f"cooldown of {_minutes(config.cooldown)} min ends at {_show(last + config.cooldown)}",
            replace(current, seen=seen, schedule_watermark=watermark),
        )
    rewind_to = current.schedule_watermark
    if event.kind == "schedule" and rewind_to is None:
        rewind_to = event.at - timedelta(seconds=1)  # so a retry's window still holds this occurrence
    claim = Claim(
        source_id=event.source_id,
        kind=event.kind,
        claimed_at=now,
        previous_submitted_at=current.last_submitted_at,
        previous_run_id=current.last_run_id,
        previous_kind=current.last_kind,
        previous_watermark=rewind_to,
    )
    claimed = replace(
        current,
        last_submitted_at=now,
        last_run_id=None,
        last_kind=event.kind,
        pending=claim,
        seen=seen,
        schedule_watermark=watermark,
    )
    return Verdict(Action.SUBMITTED, f"{event.kind}: {event.detail}", claimed, claim)


def record_run(state: ModelState, claim: Claim, run_id: str) -> ModelState:
    """The state after the claimed submit succeeded with ``run_id``."""
    if state.pending is None or state.pending.source_id != claim.source_id:
        return state  # superseded by a later claim (only possible after the window)
    return replace(state, pending=None, last_run_id=run_id)


def release_claim(state: ModelState, claim: Claim, failure: Failure, *, retry_schedule: bool) -> ModelState:
    """The state after the claimed submit failed: the cooldown and the event id are given back.

    ``retry_schedule`` also rewinds the schedule watermark of a schedule claim so the next timer
    tick tries the same occurrence again (for transient failures).
    """
    if state.pending is None or state.pending.source_id != claim.source_id:
        return replace(state, last_failure=failure)
    seen = {key: at for key, at in state.seen.items() if key != claim.source_id}
    return replace(
        state,
        last_submitted_at=claim.previous_submitted_at,
        last_run_id=claim.previous_run_id,
        last_kind=claim.previous_kind,
        pending=None,
        seen=seen,
        schedule_watermark=(
            claim.previous_watermark
            if retry_schedule and claim.kind == "schedule"
            else state.schedule_watermark
        ),
        last_failure=failure,
    )


def expire_claim(state: ModelState, now: datetime) -> ModelState:
    """The state after an unconfirmed claim outlived its lease: given back as a failed submit."""
    claim = state.pending
    if claim is None:
        return state
    failure = Failure(
        at=now,
        source_id=claim.source_id,
        kind=claim.kind,
        message=(
            f"the claim taken at {_show(claim.claimed_at)} was never confirmed within "
            f"{_minutes(CLAIM_LEASE)} min (the instance stopped between claiming and submitting); released"
        ),
    )
    return release_claim(state, claim, failure, retry_schedule=True)


def prune(state: ModelState, now: datetime) -> ModelState:
    """Forget handled event ids older than :data:`DEDUP_RETENTION` (and all but the newest 1000)."""
    horizon = now - DEDUP_RETENTION
    kept = sorted(((at, key) for key, at in state.seen.items() if at >= horizon), reverse=True)
    kept = kept[:DEDUP_MAX_ENTRIES]
    if len(kept) == len(state.seen):
        return state
    return replace(state, seen={key: at for at, key in kept})


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)
