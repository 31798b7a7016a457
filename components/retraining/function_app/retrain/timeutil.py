"""Parsing the timestamps Azure puts in payloads (ISO 8601, up to 7 fractional digits)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import PayloadError, show

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_utc(text: object, what: str) -> datetime:
    """An aware UTC datetime from an ISO-8601 string; a naive one is taken as UTC."""
    if not isinstance(text, str) or not text:
        raise PayloadError(f"{what} must be an ISO-8601 time string, got {show(text)}")
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{what} {show(text)} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2026-01-31T02:00:00Z`` (seconds precision, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
