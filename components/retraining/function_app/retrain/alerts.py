"""Drift trigger: an Azure Monitor alert (common alert schema) sent by an action group.

Azure ML v2 model monitors emit no Event Grid drift event, so drift reaches the app as a
metric or log alert whose action group calls this Function. The model is taken from the
alert rule's custom properties (``model``) or, failing that, from a ``model`` dimension of the
fired condition. Only ``Fired`` triggers a retrain; ``Resolved`` is logged and ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import PayloadError, show
from .events import Action, Decision, TriggerEvent
from .timeutil import iso, parse_utc

COMMON_SCHEMA_ID = "azureMonitorCommonAlertSchema"
KIND = "drift"
MODEL_KEY = "model"
CONDITIONS = ("Fired", "Resolved")
MAX_BODY_BYTES = 1_048_576  # a larger body is refused with 413 before it is parsed
MAX_ID_CHARS = 256  # a longer alert id is kept as its SHA-256 (state records stay small)
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


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
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError(f"body has {len(body)} bytes; at most {MAX_BODY_BYTES}", status=413)
    try:
        payload = json.loads(body)
    except RecursionError:
        raise PayloadError("body nests arrays or objects too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"body is not JSON ({str(exc)[:200]})") from None
    if not isinstance(payload, Mapping):
        raise PayloadError("body must be a JSON object")
    if payload.get("schemaId") != COMMON_SCHEMA_ID:
        raise PayloadError(
            f"schemaId is {show(payload.get('schemaId'))}; enable the common alert schema on the action "
            f"group's Azure Function receiver (schemaId {COMMON_SCHEMA_ID!r})"
        )
    data = _object(payload.get("data"), "data")
    essentials = _object(data.get("essentials"), "data.essentials")
    condition = essentials.get("monitorCondition")
    if condition not in CONDITIONS:
        raise PayloadError(
            f"data.essentials.monitorCondition is {show(condition)}; expected one of {', '.join(CONDITIONS)}"
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
    alert_id = alert.alert_id
    if len(alert_id) > MAX_ID_CHARS:
        alert_id = "sha256:" + hashlib.sha256(alert_id.encode("utf-8", "replace")).hexdigest()
    source_id = f"alert:{alert_id}"
    if alert.condition != "Fired":
        return Decision(
            model=alert.model,
            kind=KIND,
            action=Action.IGNORED,
            reason=f"alert {show(alert.rule)} is {alert.condition}; only Fired alerts retrain",
            source_id=source_id,
        )
    return TriggerEvent(
        model=alert.model,
        kind=KIND,
        source_id=source_id,
        at=alert.fired_at,
        detail=f"{alert.signal_type.lower()[:40] or 'alert'} alert {show(alert.rule)} fired at {iso(alert.fired_at)}",
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
                if isinstance(key, str) and key.lower() == MODEL_KEY:
                    return _model_name(value, f"{where}.{key}")
    found: set[str] = set()
    condition = context.get("condition") if isinstance(context.get("condition"), Mapping) else {}
    criteria = condition.get("allOf")
    if criteria is not None and not isinstance(criteria, list):
        raise PayloadError(f"data.alertContext.condition.allOf must be a list, got {show(criteria)}")
    for index, criterion in enumerate(criteria or []):
        where = f"data.alertContext.condition.allOf[{index}]"
        if not isinstance(criterion, Mapping):
            raise PayloadError(f"{where} must be an object, got {show(criterion)}")
        dimensions = criterion.get("dimensions")
        if dimensions is not None and not isinstance(dimensions, list):
            raise PayloadError(f"{where}.dimensions must be a list, got {show(dimensions)}")
        for dimension in dimensions or []:
            if isinstance(dimension, Mapping) and str(dimension.get("name", ""))[:20].lower() == MODEL_KEY:
                value = dimension.get("value")
                if value not in (None, ""):
                    found.add(_model_name(value, f"{where}.dimensions.value"))
    if len(found) > 1:
        raise PayloadError(
            f"the alert's 'model' dimensions disagree ({', '.join(sorted(found)[:5])}); split the alert per model"
        )
    if not found:
        raise PayloadError(
            "the alert names no model: give the alert rule a custom property 'model' or split it by a "
            "'model' dimension"
        )
    return found.pop()


def _model_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not MODEL_NAME.fullmatch(value):
        raise PayloadError(
            f"{where} must be a model name, got {show(value)} (1-64 of letters, digits, '_', '.', '-')"
        )
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} must be an object")
    return value


def _text(essentials: Mapping[str, Any], key: str) -> str:
    value = essentials.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"data.essentials.{key} must be a non-empty string, got {show(value)}")
    return value
