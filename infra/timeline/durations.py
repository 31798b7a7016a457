"""The create/update/delete durations table, loaded from ``durations.yaml`` beside this file.

Every row carries its source and date from the durations reference (§1.2). Lookup rules:
a component (``custom`` false), a provider (``pulumi:providers:*``) and a stack reference
(``pulumi:pulumi:StackReference``) take no time; a custom
type is looked up exactly (API-version suffixes such as ``network/v20230401`` are dropped
first), then by family prefix (``azuredevops:``, ``databricks:``); anything else is an error
that names the type, so the table stays complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from infra.errors import ConfigError

TABLE_PATH = Path(__file__).with_name("durations.yaml")
_DISPLAY_PATH = "infra/timeline/durations.yaml"
_VERSIONED_MODULE = re.compile(r"^(azure-native:[a-zA-Z0-9]+)/v[0-9a-z]+(:.*)$")


@dataclass(frozen=True)
class Range:
    """Low / typical / high seconds."""

    low: float
    typical: float
    high: float

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.typical + other.typical, self.high + other.high)

    def pick(self, scenario: str) -> float:
        """The value for ``scenario`` (``low``, ``typical`` or ``high``)."""
        return float(getattr(self, scenario))

    def as_dict(self) -> dict[str, float]:
        """JSON form."""
        return {"low": self.low, "typical": self.typical, "high": self.high}


ZERO = Range(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class DurationRow:
    """One row of the table."""

    key: str
    create: Range
    update: Range
    delete: Range
    source: str
    date: str
    confidence: str
    basis: str


@dataclass(frozen=True)
class DurationTable:
    """The loaded table."""

    types: dict[str, DurationRow]
    families: dict[str, DurationRow]
    startup: Range

    def row_for(self, type_token: str, *, urn: str = "") -> DurationRow:
        """The row of a custom resource type; ConfigError naming the type when there is none."""
        token = normalize_type(type_token)
        if token in self.types:
            return self.types[token]
        for prefix in sorted(self.families, key=len, reverse=True):
            if token.startswith(prefix):
                return self.families[prefix]
        where = f" (resource {urn})" if urn else ""
        raise ConfigError(
            f"resource type {type_token!r}{where} has no row in the durations table; "
            f"add one with its source and date (known types: {len(self.types)}, "
            f"families: {', '.join(sorted(self.families))})",
            file=_DISPLAY_PATH,
            key="types",
        )


def normalize_type(type_token: str) -> str:
    """Drop an explicit API version: ``azure-native:network/v20230401:Subnet`` → ``…:network:Subnet``."""
    match = _VERSIONED_MODULE.match(type_token)
    return f"{match.group(1)}{match.group(2)}" if match else type_token


def is_provider(type_token: str) -> bool:
    """Whether a type is one of Pulumi's own (``pulumi:providers:*``, ``pulumi:pulumi:StackReference``).

    These take no deploy time (a provider is configured, a stack reference is read) and bill nothing.
    """
    return type_token.startswith("pulumi:")


def _range(value: Any, key: str) -> Range:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(v, int | float) and v >= 0 for v in value)
        or not value[0] <= value[1] <= value[2]
    ):
        raise ConfigError(
            f"expected [low, typical, high] non-negative seconds in order, got {value!r}",
            file=_DISPLAY_PATH,
            key=key,
        )
    return Range(float(value[0]), float(value[1]), float(value[2]))


def _row(key: str, raw: dict[str, Any], where: str) -> DurationRow:
    for field in ("create", "source", "date", "confidence"):
        if field not in raw:
            raise ConfigError(f"row {key!r} lacks {field!r}", file=_DISPLAY_PATH, key=f"{where}.{key}")
    create = _range(raw["create"], f"{where}.{key}.create")
    update = _range(raw["update"], f"{where}.{key}.update") if "update" in raw else create
    delete = _range(raw["delete"], f"{where}.{key}.delete") if "delete" in raw else create
    return DurationRow(
        key=key,
        create=create,
        update=update,
        delete=delete,
        source=str(raw["source"]),
        date=str(raw["date"]),
        confidence=str(raw["confidence"]),
        basis=str(raw.get("basis", "evidence")),
    )


def parse_table(data: dict[str, Any]) -> DurationTable:
    """Build a :class:`DurationTable` from the YAML mapping."""
    types = {k: _row(k, v, "types") for k, v in (data.get("types") or {}).items()}
    families = {k: _row(k, v, "families") for k, v in (data.get("families") or {}).items()}
    return DurationTable(types=types, families=families, startup=_range(data["startup"], "startup"))


@cache
def load_table(path: Path = TABLE_PATH) -> DurationTable:
    """Load (once) the durations table."""
    with path.open(encoding="utf-8") as handle:
        data = YAML(typ="safe").load(handle)
    return parse_table(data)
