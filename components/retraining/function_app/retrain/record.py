"""What the app remembers per model between invocations, and its JSON form.

One record per model: when the last retrain was queued (the cooldown), the event ids already
handled (de-duplication), the schedule watermark, an in-flight claim and the last failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA = "mlops-estate/retrain-state@1"


@dataclass(frozen=True)
class Claim:
    """A retrain this instance won the right to submit, with what to restore if it fails."""

    source_id: str
    kind: str
    claimed_at: datetime
    previous_submitted_at: datetime | None
    previous_run_id: str | None
    previous_kind: str | None
    previous_watermark: datetime | None


@dataclass(frozen=True)
class Failure:
    """The last failed submission (kept for operators; it does not consume the cooldown)."""

    at: datetime
    source_id: str
    kind: str
    message: str


@dataclass(frozen=True)
class ModelState:
    """The state of one model's retraining loop."""

    model: str
    last_submitted_at: datetime | None = None
    last_run_id: str | None = None
    last_kind: str | None = None
    pending: Claim | None = None
    seen: dict[str, datetime] = field(default_factory=dict)
    schedule_watermark: datetime | None = None
    last_failure: Failure | None = None

    def to_json(self) -> bytes:
        """Serialize deterministically (sorted keys, ISO-8601 UTC times)."""
        body: dict[str, Any] = {
            "schema": SCHEMA,
            "model": self.model,
            "lastSubmittedAt": _time(self.last_submitted_at),
            "lastRunId": self.last_run_id,
            "lastTrigger": self.last_kind,
            "pending": None,
            "seen": {key: _time(at) for key, at in sorted(self.seen.items())},
            "scheduleWatermark": _time(self.schedule_watermark),
            "lastFailure": None,
        }
        if self.pending:
            p = self.pending
            body["pending"] = {
                "sourceId": p.source_id,
                "trigger": p.kind,
                "claimedAt": _time(p.claimed_at),
                "previousSubmittedAt": _time(p.previous_submitted_at),
                "previousRunId": p.previous_run_id,
                "previousTrigger": p.previous_kind,
                "previousWatermark": _time(p.previous_watermark),
            }
        if self.last_failure:
            f = self.last_failure
            body["lastFailure"] = {
                "at": _time(f.at),
                "sourceId": f.source_id,
                "trigger": f.kind,
                "message": f.message,
            }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> ModelState:
        """Read a record written by :meth:`to_json`; raise ``ValueError`` on anything else."""
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("schema") != SCHEMA:
            raise ValueError(f"not a retraining state record (schema must be {SCHEMA!r})")
        pending = body.get("pending")
        failure = body.get("lastFailure")
        return cls(
            model=body["model"],
            last_submitted_at=_parse(body.get("lastSubmittedAt")),
            last_run_id=body.get("lastRunId"),
            last_kind=body.get("lastTrigger"),
            pending=Claim(
                source_id=pending["sourceId"],
                kind=pending["trigger"],
                claimed_at=_required(pending["claimedAt"]),
                previous_submitted_at=_parse(pending.get("previousSubmittedAt")),
                previous_run_id=pending.get("previousRunId"),
                previous_kind=pending.get("previousTrigger"),
                previous_watermark=_parse(pending.get("previousWatermark")),
            )
            if pending
            else None,
            seen={key: _required(at) for key, at in (body.get("seen") or {}).items()},
            schedule_watermark=_parse(body.get("scheduleWatermark")),
            last_failure=Failure(
                at=_required(failure["at"]),
                source_id=failure["sourceId"],
                kind=failure["trigger"],
                message=failure["message"],
            )
            if failure
            else None,
        )


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> datetime | None:
    if text is None:
        return None
    return _required(text)


def _required(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone")
    return moment.astimezone(UTC)
