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
from typing import Any

from . import alerts, eventgrid, schedule
from . import contract as c
from .ado import AdoPipelineQueue, PipelineQueue
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
    """Raised to make the trigger's source redeliver (Event Grid retries a failed invocation)."""


@dataclass(frozen=True)
class HttpAnswer:
    """What the HTTP trigger answers: status and JSON body."""

    status: int
    body: Mapping[str, Any]


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

    def on_alert(self, body: bytes) -> HttpAnswer:
        """Handle one action-group webhook call (common alert schema).

        400 for a payload that is not a usable common-schema alert (413 when too large); 503 when
        the decision or the submit failed transiently (action groups retry 503); 200 with the
        decision otherwise. Error bodies and log lines quote the payload cut to
        ``errors.MAX_ECHO_CHARS`` per value and are at most :data:`MAX_ERROR_CHARS` long.
        """
        try:
            alert = alerts.parse_alert(body)
        except PayloadError as exc:
            message = str(exc)[:MAX_ERROR_CHARS]
            _log.warning("rejected alert payload (%d bytes): %s", len(body), message)
            return HttpAnswer(exc.status, {"error": message})
        routed = alerts.to_event(alert)
        if isinstance(routed, Decision):
            return HttpAnswer(200, {"decision": self.engine.log(routed).as_dict()})
        try:
            decision = self.engine.handle(routed)
        except Exception as exc:  # e.g. state storage unreachable: 503 makes the action group retry
            _log.exception("could not decide on alert %s for model %r", alert.alert_id[:300], alert.model)
            return HttpAnswer(
                503,
                {
                    "error": f"could not decide on the alert now ({exc.__class__.__name__}: {str(exc)[:MAX_ERROR_CHARS]})"
                },
            )
        return HttpAnswer(503 if decision.retryable else 200, {"decision": decision.as_dict()})


def last_run_from_status(status: Mapping[str, Any]) -> datetime | None:
    """The ``Last`` time of a timer's schedule status, or ``None`` if absent or unreadable."""
    try:
        return parse_utc(status.get("Last"), "ScheduleStatus.Last")
    except PayloadError:
        return None


def build_runtime(
    environ: Mapping[str, str],
    *,
    credential: Any | None = None,
    store: StateStore | None = None,
    queue: PipelineQueue | None = None,
    clock: Clock | None = None,
    logger: logging.Logger | None = None,
) -> Runtime:
    """Validate the app settings and assemble the runtime (raises ``SettingsError``)."""
    settings = load_settings(environ)
    if credential is None and (store is None or queue is None):
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    if store is None:
        store = BlobStateStore.from_account(settings.state_account_url, settings.state_container, credential)
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
