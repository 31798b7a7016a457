"""What stays open by design: ``policy/suppressions.yaml``, read by the pack and by the ARM scan.

Each entry names one check on one resource, the setting it is about and the reason::

    - check: CKV_AZURE_206                      # a Checkov check id or a pack policy name
      resource: Microsoft.Storage/storageAccounts.stmlopsprod5yos4
      setting: sku.name = Standard_ZRS
      reason: zone-redundant storage; the check accepts only geo-redundant SKUs

``resource`` is what the finding names: ``<ARM type>.<ARM name>`` for Checkov findings on the
ARM rendering, ``<Pulumi type>::<logical name>`` for the pack's own policies. Blanket entries are
refused: no wildcards, no empty field, a reason of at least 20 characters, no duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FILE = Path(__file__).resolve().parent / "suppressions.yaml"
FIELDS: tuple[str, ...] = ("check", "resource", "setting", "reason")
MIN_REASON = 20
BLANKET_MARKS: tuple[str, ...] = ("*", "?", "[", "]")


class SuppressionError(ValueError):
    """The suppressions file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Suppression:
    """One reasoned exception: a check on a resource."""

    check: str
    resource: str
    setting: str
    reason: str


def parse(text: str, source: str = "policy/suppressions.yaml") -> tuple[Suppression, ...]:
    """Validate and return the entries of a suppressions document."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuppressionError(f"{source}: not valid YAML ({exc})") from None
    entries = (data or {}).get("suppressions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SuppressionError(f"{source}: expected a top-level 'suppressions:' list")
    out: list[Suppression] = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: suppressions[{index}]"
        if not isinstance(entry, dict):
            raise SuppressionError(f"{where}: expected a mapping with {', '.join(FIELDS)}")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise SuppressionError(f"{where}.{unknown[0]}: unknown field (fields: {', '.join(FIELDS)})")
        values: dict[str, str] = {}
        for field in FIELDS:
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                raise SuppressionError(f"{where}.{field}: is required (a non-empty string)")
            values[field] = value.strip()
        for field in ("check", "resource"):
            if any(mark in values[field] for mark in BLANKET_MARKS):
                raise SuppressionError(
                    f"{where}.{field}: '{values[field]}' is a pattern; name one check and one resource"
                )
        if len(values["reason"]) < MIN_REASON:
            raise SuppressionError(f"{where}.reason: '{values['reason']}' is too short to be a reason")
        key = (values["check"], values["resource"])
        if key in seen:
            raise SuppressionError(f"{where}: {key[0]} on {key[1]} is listed twice")
        seen.add(key)
        out.append(Suppression(**values))
    return tuple(out)


@cache
def load(path: Path = FILE) -> tuple[Suppression, ...]:
    """The entries of ``path`` (the pack's own file by default); none when the file is absent."""
    if not path.exists():
        return ()
    return parse(path.read_text(encoding="utf-8"), str(path.name))


def keys(entries: Iterable[Suppression]) -> frozenset[tuple[str, str]]:
    """``(check, resource)`` of every entry."""
    return frozenset((entry.check, entry.resource) for entry in entries)


def is_suppressed(check: str, resource: str, entries: Iterable[Suppression] | None = None) -> bool:
    """True when ``check`` on ``resource`` is listed (in the pack's file by default)."""
    return (check, resource) in keys(load() if entries is None else entries)


def pack_resource(resource_type: str, name: str) -> str:
    """How a pack finding's resource is named in the file: ``<Pulumi type>::<logical name>``."""
    return f"{resource_type}::{name}"
