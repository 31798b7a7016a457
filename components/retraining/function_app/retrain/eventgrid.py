"""Event Grid triggers, read from the Storage queue messages Event Grid writes (one event per
message, its JSON plain or base64-encoded): ``Microsoft.Storage.BlobCreated`` (new data) ->
per-model trigger events; ``Microsoft.MachineLearningServices.RunStatusChanged`` of a model
monitor's threshold breach (drift) is handed to :mod:`retrain.monitor_events`.

The blob's container and name come from the event subject
(``/blobServices/default/containers/<container>/blobs/<name>``) and are matched against every
model's ``newData`` container and prefix; one blob may feed several models. Other event types,
Data Lake ``CreateFile`` events (sent before any data is written; ``FlushWithClose`` follows)
and malformed subjects are ignored with a logged reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import monitor_events
from .errors import PayloadError, cut, show
from .events import Action, Decision, TriggerEvent
from .settings import ModelConfig
from .timeutil import parse_utc

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
KIND = "newData"
MAX_ID_CHARS = 256  # a longer event id is kept as its SHA-256 (state records stay small)
MAX_MESSAGE_BYTES = 64 * 1024  # a Storage queue message is at most 64 KiB
_SUBJECT = re.compile(r"^/blobServices/default/containers/(?P<container>[^/]+)/blobs/(?P<name>.+)$")


@dataclass(frozen=True)
class GridEvent:
    """The fields of an Event Grid event this app reads, whatever schema delivered it."""

    id: str
    event_type: str
    subject: str
    event_time: datetime | None
    data: Mapping[str, Any]


def from_json(body: Mapping[str, Any]) -> GridEvent:
    """Read one event as Event Grid sends it on the wire (Event Grid or CloudEvents schema)."""
    cloud = "specversion" in body
    when = body.get("time" if cloud else "eventTime")
    data = body.get("data")
    return GridEvent(
        id=str(body.get("id") or ""),
        event_type=str(body.get("type" if cloud else "eventType") or ""),
        subject=str(body.get("subject") or ""),
        event_time=parse_utc(when, "eventTime") if when else None,
        data=data if isinstance(data, Mapping) else {},
    )


def from_queue_message(body: bytes | str) -> GridEvent:
    """Read one event from a Storage queue message as Event Grid writes it: the event's JSON
    (Event Grid schema), base64-encoded or as plain text. Anything else is a
    :class:`PayloadError` whose message quotes at most ``errors.MAX_ECHO_CHARS`` of the input."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise PayloadError(f"queue message of {len(raw)} bytes is over {MAX_MESSAGE_BYTES}", status=413)
    text = raw.strip()
    if text[:1] not in (b"{", b"["):  # not JSON: Event Grid's base64 encoding of the JSON
        try:
            text = base64.b64decode(text, validate=True).strip()
        except (binascii.Error, ValueError):
            raise PayloadError(f"queue message is neither JSON nor base64 JSON: {show(raw[:80])}") from None
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError(f"queue message is not valid JSON: {show(text[:80])}") from None
    except RecursionError:
        raise PayloadError("queue message JSON is nested too deeply") from None
    if isinstance(document, list) and len(document) == 1:
        document = document[0]
    if not isinstance(document, dict):
        raise PayloadError(f"queue message is not one Event Grid event (a JSON object): {show(document)}")
    kind = document.get("eventType", document.get("type"))
    if not isinstance(kind, str) or not kind:
        raise PayloadError(f"event has no eventType string: {show(kind)}")
    if not isinstance(document.get("id"), str) or not document["id"]:
        raise PayloadError(f"event has no id string: {show(document.get('id'))}")
    if not isinstance(document.get("subject", ""), str):
        raise PayloadError(f"event subject is not a string: {show(document.get('subject'))}")
    when = document.get("time" if "specversion" in document else "eventTime")
    if when is not None and not isinstance(when, str):
        raise PayloadError(f"event time is not a string: {show(when)}")
    return from_json(document)


def route(
    event: GridEvent, models: Mapping[str, ModelConfig], now: datetime
) -> list[TriggerEvent] | Decision:
    """The models' trigger events for ``event``, or the decision to log when there are none."""
    event_id = event.id
    if len(event_id) > MAX_ID_CHARS:
        event_id = "sha256:" + hashlib.sha256(event_id.encode("utf-8", "replace")).hexdigest()
    source_id = f"eventgrid:{event_id}"

    def no_retrain(action: Action, reason: str) -> Decision:
        return Decision(model=None, kind=KIND, action=action, reason=reason, source_id=source_id)

    if event.event_type == monitor_events.RUN_STATUS_CHANGED:
        return monitor_events.route(event.id, event.data, event.event_time or now, models)
    if event.event_type != BLOB_CREATED:
        return no_retrain(Action.IGNORED, f"event type {show(event.event_type)} is not {BLOB_CREATED}")
    match = _SUBJECT.match(event.subject)
    if not match:
        return no_retrain(Action.IGNORED, f"subject {show(event.subject)} does not name a blob")
    if event.data.get("api") == "CreateFile":
        return no_retrain(
            Action.IGNORED, "Data Lake CreateFile comes before the data is written; FlushWithClose follows"
        )
    container, name = match["container"], match["name"]
    matching = sorted(
        model.name for model in models.values() if model.new_data and model.new_data.matches(container, name)
    )
    if not matching:
        watched = ", ".join(
            sorted(f"{m.new_data.container}/{m.new_data.prefix}*" for m in models.values() if m.new_data)
        )
        return no_retrain(
            Action.UNKNOWN_MODEL,
            f"no model in RETRAIN_MODELS watches blob {cut(f'{container}/{name}')} (watched: {watched or 'none'})",
        )
    at = event.event_time or now
    return [
        TriggerEvent(
            model=model,
            kind=KIND,
            source_id=source_id,
            at=at,
            detail=f"new blob {cut(f'{container}/{name}')}",
        )
        for model in matching
    ]
