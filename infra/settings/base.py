"""Shared building blocks for the settings models.

Every settings model is strict (unknown keys are errors, with a did-you-mean hint), frozen
(settings are read once and never mutated) and spelled in camelCase in the stack file.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""``."""
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"; did you mean '{match[0]}'?" if match else ""


class StrictModel(BaseModel):
    """A frozen, camelCase settings object that rejects unknown keys with a suggestion."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        allowed = {field.alias or name for name, field in cls.model_fields.items()}
        for key in data:
            if key not in allowed:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key{hint}; allowed keys: {allowed}",
                    {
                        "key": str(key),
                        "hint": did_you_mean(str(key), allowed),
                        "allowed": ", ".join(sorted(allowed)),
                    },
                )
        return data


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise PydanticCustomError(
            "cidr",
            "'{value}' is not an IPv4 network in CIDR form like 10.10.0.0/16 ({reason})",
            {"value": value, "reason": str(exc)},
        ) from None
    if network.version != 4:
        raise PydanticCustomError(
            "cidr", "'{value}' is not IPv4; use a CIDR like 10.10.0.0/16", {"value": value}
        )
    return str(network)


Cidr = Annotated[str, AfterValidator(_check_cidr)]
"""An IPv4 network in CIDR form (host bits must be zero)."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _check_uuid(value: str) -> str:
    if not _UUID.match(value):
        raise PydanticCustomError(
            "uuid",
            "'{value}' is not a GUID like 00000000-0000-0000-0000-000000000000 (lower-case hex)",
            {"value": value},
        )
    return value


Guid = Annotated[str, AfterValidator(_check_uuid)]
"""A lower-case GUID (subscription, tenant, object ids)."""


def _int_to_str(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


LooseStr = Annotated[str, BeforeValidator(_int_to_str)]
"""A string that also accepts a bare YAML integer (``version: 3`` reads as ``"3"``)."""
