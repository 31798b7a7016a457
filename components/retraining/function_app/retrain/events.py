"""The normalized trigger event every trigger becomes, and the decision taken on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    """What the app did with one trigger event."""

    SUBMITTED = "submitted"  # the train pipeline was queued
    COOLDOWN = "cooldown"  # the model retrained within its cooldown window
    DUPLICATE = "duplicate"  # this event id was handled before (at-least-once delivery)
    DISABLED = "disabled"  # the trigger is off for this model
    UNKNOWN_MODEL = "unknown_model"  # no model in RETRAIN_MODELS matches
    FAILED = "failed"  # queuing the pipeline failed; the cooldown was not consumed
    IGNORED = "ignored"  # not a retraining signal (other event type, resolved alert, ...)
    PENDING = "pending"  # this event's submit is in flight (claimed, not yet confirmed); retry later


@dataclass(frozen=True)
class TriggerEvent:
    """One retraining signal for one model.

    ``kind`` is ``schedule``, ``newData`` or ``drift``; ``source_id`` identifies the delivery
    (Event Grid event id, alert id, schedule occurrence) for de-duplication; ``at`` is when it
    happened (aware UTC); ``detail`` is a short human description used as the run's reason.
    """

    model: str
    kind: str
    source_id: str
    at: datetime
    detail: str


@dataclass(frozen=True)
class Decision:
    """The outcome for one trigger event; ``run_id`` is set only when ``action`` is submitted.

    ``retryable`` is true only for a failure that is worth redelivering (throttling, 5xx,
    network), so a trigger can ask its source to try again.
    """

    model: str | None
    kind: str
    action: Action
    reason: str
    run_id: str | None = None
    source_id: str | None = None
    retryable: bool = False

    def as_dict(self) -> dict[str, object]:
        """The decision as the JSON object the decision log writes."""
        return {
            "model": self.model,
            "trigger": self.kind,
            "action": self.action.value,
            "reason": self.reason,
            "runId": self.run_id,
            "sourceId": self.source_id,
            "retryable": self.retryable,
        }
