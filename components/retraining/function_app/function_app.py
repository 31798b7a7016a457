"""The retraining Function App (Azure Functions Python v2 programming model).

Three triggers, each turned on per model in ``RETRAIN_MODELS``, all ending in at most one
queued run of the model's Azure DevOps train pipeline per cooldown window:

* ``retrain_schedule`` - a timer every 5 minutes evaluates each model's NCRONTAB schedule;
* ``retrain_new_data`` - Event Grid ``Microsoft.Storage.BlobCreated`` on a landing container;
* ``retrain_drift_event`` - Event Grid ``RunStatusChanged`` of a model monitor run that
  breached its thresholds (run tag ``azureml_modelmonitor_threshold_breached``): drift;
* ``retrain_drift_alert`` - an Azure Monitor alert, delivered by an action group's Azure
  Function receiver (common alert schema, function key auth).

This file only adapts the Functions bindings; the logic lives in the ``retrain`` package.
App settings are validated at import, so a bad setting stops the app with its name.
"""

from __future__ import annotations

import json
import logging
import os

import azure.functions as func
from retrain import contract as c
from retrain import eventgrid
from retrain.errors import SettingsError
from retrain.runtime import Runtime, build_runtime, last_run_from_status

logging.getLogger("retrain").setLevel(logging.INFO)

try:
    RUNTIME: Runtime = build_runtime(os.environ)
except SettingsError as error:
    logging.getLogger("retrain").critical("retraining app settings are invalid: %s", error)
    raise

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.function_name(c.FUNCTION_SCHEDULE)
@app.timer_trigger(
    arg_name="timer", schedule=c.SCHEDULE_TICK_NCRONTAB, run_on_startup=False, use_monitor=True
)
def retrain_schedule(timer: func.TimerRequest) -> None:
    """Submit retrains for models whose schedule came due since it was last evaluated."""
    RUNTIME.on_timer(past_due=timer.past_due, last_run=last_run_from_status(timer.schedule_status))


@app.function_name(c.FUNCTION_NEW_DATA)
@app.event_grid_trigger(arg_name="event")
def retrain_new_data(event: func.EventGridEvent) -> None:
    """Submit a retrain for each model whose landing container received a new blob."""
    RUNTIME.on_grid_event(eventgrid.from_function_event(event))


@app.function_name(c.FUNCTION_DRIFT_EVENT)
@app.event_grid_trigger(arg_name="event")
def retrain_drift_event(event: func.EventGridEvent) -> None:
    """Submit a retrain for the model whose monitor breached its drift thresholds."""
    RUNTIME.on_grid_event(eventgrid.from_function_event(event))


@app.function_name(c.FUNCTION_DRIFT_ALERT)
@app.route(route=c.DRIFT_ALERT_ROUTE, methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def retrain_drift_alert(req: func.HttpRequest) -> func.HttpResponse:
    """Submit a retrain for the model named by a fired drift alert (common alert schema)."""
    answer = RUNTIME.on_alert(req.get_body())
    return func.HttpResponse(
        json.dumps(answer.body, sort_keys=True), status_code=answer.status, mimetype="application/json"
    )
