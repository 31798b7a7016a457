"""The retraining Function App (Azure Functions Python v2 programming model).

Triggers, each turned on per model in ``RETRAIN_MODELS``, all ending in at most one queued run
of the model's Azure DevOps train pipeline per cooldown window:

* ``retrain_schedule`` - a timer every 5 minutes evaluates each model's NCRONTAB schedule;
* ``retrain_new_data`` - the Storage queue ``retrain-new-data``, to which Event Grid delivers
  ``Microsoft.Storage.BlobCreated`` of the landing containers;
* ``retrain_drift_event`` - the Storage queue ``retrain-drift-event``, to which Event Grid
  delivers ``RunStatusChanged`` of a model monitor run that breached its thresholds (run tag
  ``azureml_modelmonitor_threshold_breached``): drift.

Both queues are read through an identity-based connection (``RetrainEvents__queueServiceUri``),
so the app needs no inbound network path at all: the only HTTP function is the health check
App Service calls from inside the platform. A message that is not an Event Grid event is copied
to the queue's poison queue at once (logged, never retried for nothing, never lost); a
transient failure fails the invocation, so the host retries it and, after the last attempt,
moves it to the poison queue itself.

This file only adapts the Functions bindings; the logic lives in the ``retrain`` package.
App settings are validated at import, so a bad setting stops the app with its name.
"""

from __future__ import annotations

import logging
import os

import azure.functions as func
from azure.functions.timer import TimerRequest
from retrain import contract as c
from retrain.errors import SettingsError
from retrain.runtime import Runtime, build_runtime, last_run_from_status

logging.getLogger("retrain").setLevel(logging.INFO)

try:
    RUNTIME: Runtime = build_runtime(os.environ)
except SettingsError as error:
    logging.getLogger("retrain").critical("retraining app settings are invalid: %s", error)
    raise

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _consume(message: func.QueueMessage, poison: func.Out[str]) -> None:
    """Hand one queue message to the runtime; a rejected one goes to the poison queue as is."""
    body = message.get_body()
    outcome = RUNTIME.on_queue_message(body)
    if outcome.rejected is not None:
        poison.set(body.decode("utf-8", "replace"))


@app.function_name(c.FUNCTION_SCHEDULE)
@app.timer_trigger(
    arg_name="timer", schedule=c.SCHEDULE_TICK_NCRONTAB, run_on_startup=False, use_monitor=True
)
def retrain_schedule(timer: TimerRequest) -> None:
    """Submit retrains for models whose schedule came due since it was last evaluated."""
    RUNTIME.on_timer(past_due=timer.past_due, last_run=last_run_from_status(timer.schedule_status))


@app.function_name(c.FUNCTION_NEW_DATA)
@app.queue_trigger(arg_name="message", queue_name=c.QUEUE_NEW_DATA, connection=c.QUEUE_CONNECTION)
@app.queue_output(
    arg_name="poison", queue_name=c.poison_queue(c.QUEUE_NEW_DATA), connection=c.QUEUE_CONNECTION
)
def retrain_new_data(message: func.QueueMessage, poison: func.Out[str]) -> None:
    """Submit a retrain for each model whose landing container received a new blob."""
    _consume(message, poison)


@app.function_name(c.FUNCTION_DRIFT_EVENT)
@app.queue_trigger(arg_name="message", queue_name=c.QUEUE_DRIFT_EVENT, connection=c.QUEUE_CONNECTION)
@app.queue_output(
    arg_name="poison", queue_name=c.poison_queue(c.QUEUE_DRIFT_EVENT), connection=c.QUEUE_CONNECTION
)
def retrain_drift_event(message: func.QueueMessage, poison: func.Out[str]) -> None:
    """Submit a retrain for the model whose monitor breached its drift thresholds."""
    _consume(message, poison)


@app.function_name(c.FUNCTION_HEALTH)
@app.route(route=c.HEALTH_ROUTE, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def retrain_health(req: func.HttpRequest) -> func.HttpResponse:
    """App Service's health check: the app imported and its settings are valid."""
    return func.HttpResponse('{"status":"ok"}', status_code=200, mimetype="application/json")
