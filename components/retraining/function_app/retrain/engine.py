"""Turns trigger events into at most one submitted retrain per model per cooldown window.

For each event: read the model's state, :func:`~.decision.decide`, write the new state with
an ETag condition (re-read and re-decide on a conflict), and only after winning the write
queue the train pipeline. A failed queue gives the claim back, so the cooldown is not used.
Every outcome is logged once through :class:`~.logs.DecisionLog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from .ado import PipelineQueue
from .clock import Clock
from .decision import decide, record_run, release_claim
from .errors import StateConflict, SubmitFailed, show
from .events import Action, Decision, TriggerEvent
from .logs import DecisionLog
from .record import Claim, Failure, ModelState
from .settings import ModelConfig
from .state import StateStore

MAX_CONFLICTS = 5
_log = logging.getLogger(__name__)


class RetrainEngine:
    """Decides, remembers and submits; the triggers only build :class:`TriggerEvent` values."""

    def __init__(
        self,
        *,
        models: Mapping[str, ModelConfig],
        store: StateStore,
        queue: PipelineQueue,
        clock: Clock,
        log: DecisionLog,
        max_conflicts: int = MAX_CONFLICTS,
    ):
        self.models = models
        self.store = store
        self._queue = queue
        self._clock = clock
        self._log = log
        self._max_conflicts = max_conflicts

    def log(self, decision: Decision) -> Decision:
        """Log a decision taken outside the engine (ignored or unmappable events)."""
        return self._log.record(decision)

    def handle(self, event: TriggerEvent) -> Decision:
        """Decide on ``event``, submit if it wins the model's window, log and return the decision."""
        config = self.models.get(event.model)
        if config is None or not config.trigger_enabled(event.kind):
            verdict = decide(self.models, None, event, self._clock.now())
            return self._decided(event, verdict.action, verdict.reason)
        for _ in range(self._max_conflicts):
            state, etag = self.store.load(event.model)
            verdict = decide(self.models, state, event, self._clock.now())
            if verdict.state is not None:
                try:
                    self.store.save(event.model, verdict.state, etag)
                except StateConflict:
                    continue  # someone else wrote first: read again and decide again
            if verdict.claim is None:
                return self._decided(event, verdict.action, verdict.reason, retryable=verdict.retryable)
            return self._submit(event, verdict.claim, verdict.reason)
        raise RuntimeError(
            f"state of model {show(event.model)} kept changing under {self._max_conflicts} attempts; "
            f"event {show(event.source_id)} not decided (the trigger will be redelivered)"
        )

    def _submit(self, event: TriggerEvent, claim: Claim, reason: str) -> Decision:
        try:
            run = self._queue.queue(event.model, reason)
        except SubmitFailed as exc:
            retryable = exc.retryable
            failure = Failure(
                at=self._clock.now(), source_id=event.source_id, kind=event.kind, message=str(exc)
            )
            self._update(event.model, lambda s: release_claim(s, claim, failure, retry_schedule=retryable))
            return self._decided(
                event,
                Action.FAILED,
                f"{exc}; cooldown not consumed" + ("; will be retried" if retryable else ""),
                retryable=retryable,
            )
        except Exception as exc:
            failure = Failure(
                at=self._clock.now(), source_id=event.source_id, kind=event.kind, message=repr(exc)
            )
            self._update(event.model, lambda s: release_claim(s, claim, failure, retry_schedule=True))
            raise
        self._update(event.model, lambda s: record_run(s, claim, run.run_id))
        where = f" {run.web_url}" if run.web_url else ""
        return self._decided(
            event,
            Action.SUBMITTED,
            f"queued train pipeline run {run.run_id}{where} ({reason})",
            run_id=run.run_id,
        )

    def _update(self, model: str, change: Callable[[ModelState], ModelState]) -> None:
        """Apply ``change`` to the stored record with ETag retries (after the submit)."""
        for _ in range(self._max_conflicts):
            state, etag = self.store.load(model)
            if state is None:
                return
            new = change(state)
            if new == state:
                return
            try:
                self.store.save(model, new, etag)
                return
            except StateConflict:
                continue
        _log.warning("state of model %r kept changing; the record of the last submit was not updated", model)

    def _decided(
        self,
        event: TriggerEvent,
        action: Action,
        reason: str,
        *,
        run_id: str | None = None,
        retryable: bool = False,
    ) -> Decision:
        return self._log.record(
            Decision(
                model=event.model,
                kind=event.kind,
                action=action,
                reason=reason,
                run_id=run_id,
                source_id=event.source_id,
                retryable=retryable,
            )
        )
