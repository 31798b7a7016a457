"""The app's wiring: settings -> store, submitter, engine; one handler per trigger.

:func:`build_runtime` is what ``function_app.py`` calls at startup (so bad settings stop the
app with a message naming the setting); tests pass fakes for the store, the queue and the
clock instead of the managed-identity-backed defaults.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import contract as c
from . import eventgrid, schedule
from .ado import AdoPipelineQueue, PipelineQueue, TokenCredential
from .clock import Clock, SystemClock
from .engine import RetrainEngine
from .errors import PayloadError
from .events import Decision
from .logs import DecisionLog
from .settings import Settings, load_settings
from .state import BlobStateStore, StateStore
from .timeutil import parse_utc

_log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 1000


class RetryLater(Exception):
    """Raised to fail the invocation so the message is delivered again (the queue makes it
    visible after the visibility timeout; after the last attempt it lands in the poison queue)."""


@dataclass(frozen=True)
class QueueOutcome:
    """What one queue message led to: the decisions, or why the message was rejected.

    A rejected message is not retried: the function copies it to the queue's poison queue at
    once, so malformed input is neither retried for nothing nor lost."""

    decisions: list[Decision]
    rejected: str | None = None


class Runtime:
    """One handler per trigger over a shared :class:`RetrainEngine`."""

    def __init__(self, settings: Settings, engine: RetrainEngine, clock: Clock):
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.tick = timedelta(minutes=c.SCHEDULE_TICK_MINUTES)

    def on_timer(self, *, past_due: bool = False, last_run: datetime | None = None) -> list[Decision]:
        """Evaluate every model's schedule; submit those due. Fails only after trying them all.

        ``last_run`` is the timer's previous run from the host's schedule status, if known.
        """
        if past_due:
            _log.info("schedule timer is running late; occurrences since each model's watermark still count")
        now = self.clock.now()
        decisions: list[Decision] = []
        errors: list[str] = []
        for name, config in sorted(self.settings.models.items()):
            if config.schedule is None:
                continue
            try:
                state, _ = self.engine.store.load(name)
                due = schedule.due_occurrence(
                    config.schedule, state.schedule_watermark if state else None, now, self.tick, last_run
                )
                if due is not None:
                    decisions.append(self.engine.handle(schedule.to_event(name, config.schedule, due)))
            except Exception as exc:  # one model's trouble must not stop the others
                _log.exception("schedule evaluation failed for model %r", name)
                errors.append(f"{name}: {exc}")
        if errors:
            raise RuntimeError("schedule evaluation failed for " + "; ".join(errors))
        return decisions

    def on_grid_event(self, event: eventgrid.GridEvent) -> list[Decision]:
        """Handle one Event Grid event; raise :class:`RetryLater` if a submit should be retried."""
        routed = eventgrid.route(event, self.settings.models, self.clock.now())
        if isinstance(routed, Decision):
            return [self.engine.log(routed)]
        decisions = [self.engine.handle(trigger) for trigger in routed]
        retry = [d.model for d in decisions if d.retryable]
        if retry:
            raise RetryLater(
                f"submit for {', '.join(str(m) for m in retry)} failed transiently; asking Event Grid to redeliver"
            )
        return decisions

    def on_queue_message(self, body: bytes | str) -> QueueOutcome:
        """Handle one Storage queue message holding an Event Grid event.

        A message that is not an Event Grid event is rejected with a logged reason (cut to
        :data:`MAX_ERROR_CHARS`); :class:`RetryLater` propagates so the host retries.
        """
        try:
            event = eventgrid.from_queue_message(body)
        except PayloadError as exc:
            reason = str(exc)[:MAX_ERROR_CHARS]
            _log.warning("rejected queue message (%d bytes): %s", len(body), reason)
            return QueueOutcome([], reason)
        return QueueOutcome(self.on_grid_event(event))


def last_run_from_status(status: Mapping[str, object]) -> datetime | None:
    """The ``Last`` time of a timer's schedule status, or ``None`` if absent or unreadable."""
    try:
        return parse_utc(status.get("Last"), "ScheduleStatus.Last")
    except PayloadError:
        return None


def build_runtime(
    environ: Mapping[str, str],
    *,
    credential: TokenCredential | None = None,
    store: StateStore | None = None,
    queue: PipelineQueue | None = None,
    clock: Clock | None = None,
    logger: logging.Logger | None = None,
) -> Runtime:
    """Validate the app settings and assemble the runtime (raises ``SettingsError``)."""
    settings = load_settings(environ)
    if store is None or queue is None:
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        if store is None:
            store = BlobStateStore.from_account(
                settings.state_account_url, settings.state_container, credential
            )
        if queue is None:
            queue = AdoPipelineQueue(
                organization_url=settings.ado_organization_url,
                project=settings.ado_project,
                pipeline_id=settings.ado_pipeline_id,
                stack=settings.environment,
                credential=credential,
            )
    clock = clock or SystemClock()
    engine = RetrainEngine(
        models=settings.models,
        store=store,
        queue=queue,
        clock=clock,
        log=DecisionLog(settings.environment, logger),
    )
    return Runtime(settings, engine, clock)
