"""Drift trigger: an Azure Monitor alert (common alert schema) sent by an action group.

Azure ML v2 model monitors emit no Event Grid drift event, so drift reaches the app as a
metric or log alert whose action group calls this Function. The model is taken from the
alert rule's custom properties (``model``) or, failing that, from a ``model`` dimension of the
fired condition. Only ``Fired`` triggers a retrain; ``Resolved`` is logged and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import PayloadError
from .events import Action, Decision, TriggerEvent
from .timeutil import iso, parse_utc

COMMON_SCHEMA_ID = "azureMonitorCommonAlertSchema"
KIND = "drift"
MODEL_KEY = "model"
CONDITIONS = ("Fired", "Resolved")


@dataclass(frozen=True)
class Alert:
    """The parts of a common-schema alert the app acts on."""

    alert_id: str
    rule: str
    condition: str
    fired_at: datetime
    signal_type: str
    monitoring_service: str
    model: str


def parse_alert(body: bytes | str) -> Alert:
    """Validate a common-alert-schema payload; raise :class:`PayloadError` saying what is wrong."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"body is not JSON ({exc})") from None
    if not isinstance(payload, Mapping):
        raise PayloadError("body must be a JSON object")
    if payload.get("schemaId") != COMMON_SCHEMA_ID:
        raise PayloadError(
            f"schemaId is {payload.get('schemaId')!r}; enable the common alert schema on the action "
            f"group's Azure Function receiver (schemaId {COMMON_SCHEMA_ID!r})"
        )
    data = _object(payload.get("data"), "data")
    essentials = _object(data.get("essentials"), "data.essentials")
    condition = essentials.get("monitorCondition")
    if condition not in CONDITIONS:
        raise PayloadError(
            f"data.essentials.monitorCondition is {condition!r}; expected one of {', '.join(CONDITIONS)}"
        )
    alert_id = _text(essentials, "alertId")
    rule = _text(essentials, "alertRule")
    return Alert(
        alert_id=alert_id,
        rule=rule,
        condition=condition,
        fired_at=parse_utc(essentials.get("firedDateTime"), "data.essentials.firedDateTime"),
        signal_type=str(essentials.get("signalType") or ""),
        monitoring_service=str(essentials.get("monitoringService") or ""),
        model=_model(data),
    )


def to_event(alert: Alert) -> TriggerEvent | Decision:
    """A drift trigger event for a fired alert, or the ``ignored`` decision for a resolved one."""
    source_id = f"alert:{alert.alert_id}"
    if alert.condition != "Fired":
        return Decision(
            model=alert.model,
            kind=KIND,
            action=Action.IGNORED,
            reason=f"alert {alert.rule!r} is {alert.condition}; only Fired alerts retrain",
            source_id=source_id,
        )
    return TriggerEvent(
        model=alert.model,
        kind=KIND,
        source_id=source_id,
        at=alert.fired_at,
        detail=f"{alert.signal_type.lower() or 'alert'} alert {alert.rule!r} fired at {iso(alert.fired_at)}",
    )


def _model(data: Mapping[str, Any]) -> str:
    """The model from custom properties, else from the fired condition's dimensions."""
    context = data.get("alertContext") if isinstance(data.get("alertContext"), Mapping) else {}
    for where, properties in (
        ("data.customProperties", data.get("customProperties")),
        ("data.alertContext.properties", context.get("properties")),
    ):
        if isinstance(properties, Mapping):
            for key, value in properties.items():
                if key.lower() == MODEL_KEY:
                    if not isinstance(value, str) or not value:
                        raise PayloadError(f"{where}.{key} must be a model name, got {value!r}")
                    return value
    found: set[str] = set()
    condition = context.get("condition") if isinstance(context.get("condition"), Mapping) else {}
    for criterion in condition.get("allOf") or []:
        for dimension in (criterion or {}).get("dimensions") or []:
            if isinstance(dimension, Mapping) and str(dimension.get("name", "")).lower() == MODEL_KEY:
                found.add(str(dimension.get("value") or ""))
    found.discard("")
    if len(found) > 1:
        raise PayloadError(
            f"the alert's 'model' dimensions disagree ({', '.join(sorted(found))}); split the alert per model"
        )
    if not found:
        raise PayloadError(
            "the alert names no model: give the alert rule a custom property 'model' or split it by a "
            "'model' dimension"
        )
    return found.pop()


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} must be an object")
    return value


def _text(essentials: Mapping[str, Any], key: str) -> str:
    value = essentials.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"data.essentials.{key} must be a non-empty string, got {value!r}")
    return value
