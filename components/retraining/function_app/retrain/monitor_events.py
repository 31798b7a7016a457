"""Drift trigger from Azure ML model monitoring, delivered by Event Grid.

A model monitor run whose signals breach their thresholds raises
``Microsoft.MachineLearningServices.RunStatusChanged`` on the workspace's Event Grid topic
with the run tag ``azureml_modelmonitor_threshold_breached`` (Azure ML documents filtering on
that tag to act on a breach). The Event Grid subscription already filters on the tag; this
module checks it again (a monitor run that failed for another reason is not drift) and finds
the model from the monitor's name in ``data.ExperimentName`` (``<model with - for _>-monitor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .events import Action, Decision, TriggerEvent
from .settings import ModelConfig

RUN_STATUS_CHANGED = "Microsoft.MachineLearningServices.RunStatusChanged"
BREACH_TAG = "azureml_modelmonitor_threshold_breached"
MONITOR_SUFFIX = "-monitor"
KIND = "drift"


def monitor_name(model: str) -> str:
    """The monitor (schedule) name of ``model``: the name its runs' experiment carries."""
    return f"{model.replace('_', '-')}{MONITOR_SUFFIX}"


def route(
    event_id: str, data: Mapping[str, object], at: datetime, models: Mapping[str, ModelConfig]
) -> list[TriggerEvent] | Decision:
    """The drift trigger of a threshold-breach event, or the decision to log when it is none."""
    source_id = f"eventgrid:{event_id}"
    tags = data.get("RunTags")
    breach = tags.get(BREACH_TAG) if isinstance(tags, Mapping) else None
    if not breach:
        return Decision(
            model=None,
            kind=KIND,
            action=Action.IGNORED,
            reason=f"run status change without the {BREACH_TAG} tag is not a monitor signal breach",
            source_id=source_id,
        )
    experiment = str(data.get("ExperimentName") or "")
    matching = sorted(
        (name for name in models if monitor_name(name) in experiment), key=lambda n: -len(monitor_name(n))
    )
    if not matching:
        return Decision(
            model=None,
            kind=KIND,
            action=Action.UNKNOWN_MODEL,
            reason=f"no model in RETRAIN_MODELS has a monitor named in experiment {experiment!r}",
            source_id=source_id,
        )
    return [
        TriggerEvent(
            model=matching[0],
            kind=KIND,
            source_id=source_id,
            at=at,
            detail=f"model monitor {monitor_name(matching[0])} breached: {breach}",
        )
    ]
