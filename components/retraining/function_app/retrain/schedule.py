"""Schedule trigger: which models' NCRONTAB schedules came due since they were last evaluated.

A timer fires every few minutes; for each model with a schedule the window is
``(watermark, now]``, where the watermark is the last occurrence already decided (kept in the
model's state) or, the first time, the timer's previous run (or one tick ago). Only the latest occurrence in the window
becomes an event (missed ones while the app was down are coalesced into it); the occurrence
time is its de-duplication id, so a second timer instance cannot submit it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .events import TriggerEvent
from .ncrontab import CronSchedule
from .timeutil import iso

KIND = "schedule"
# How far back the timer's own last run may extend a model's first window.
LAST_RUN_HORIZON = timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """The occurrence to act on and whether earlier ones in the window were folded into it."""

    occurrence: datetime
    coalesced: bool


def due_occurrence(
    schedule: CronSchedule,
    watermark: datetime | None,
    now: datetime,
    tick: timedelta,
    last_run: datetime | None = None,
) -> Due | None:
    """The latest occurrence in ``(start, now]``, or ``None``.

    ``start`` is the model's watermark; without one, the timer's previous run (``last_run``, from
    the host's schedule status) if it lies within the last day, else one tick ago.
    """
    start = watermark
    if start is None:
        start = now - tick
        if last_run is not None and now - LAST_RUN_HORIZON < last_run < start:
            start = last_run
    naive_start = _naive(start)
    latest = schedule.previous_at_or_before(_naive(now))
    if latest <= naive_start:
        return None
    earlier = schedule.previous_at_or_before(latest - timedelta(seconds=1))
    return Due(occurrence=latest.replace(tzinfo=UTC), coalesced=earlier > naive_start)


def to_event(model: str, schedule: CronSchedule, due: Due) -> TriggerEvent:
    """The trigger event for a due occurrence."""
    detail = f"schedule {schedule.expression!r} due at {iso(due.occurrence)}"
    if due.coalesced:
        detail += " (earlier occurrences missed while the app was not running are folded into this one)"
    return TriggerEvent(
        model=model, kind=KIND, source_id=f"schedule:{iso(due.occurrence)}", at=due.occurrence, detail=detail
    )


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
