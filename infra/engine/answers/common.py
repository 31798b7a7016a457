"""The registry of answers and the context each answer function receives."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.errors import ConfigError

# A fixed namespace so generated GUIDs are the same on every machine and every run.
ENGINE_NAMESPACE = uuid.UUID("6d1f7c3e-2a4b-4c8d-9e0f-1a2b3c4d5e6f")


def guid(*parts: str) -> str:
    """A deterministic GUID from ``parts``."""
    return str(uuid.uuid5(ENGINE_NAMESPACE, "/".join(parts)))


@dataclass
class ResourceContext:
    """What an answer function knows about one registration."""

    token: str
    logical_name: str
    urn: str
    inputs: dict[str, Any]
    subscription_id: str
    tenant_id: str
    location: str
    extras: dict[str, Any] = field(default_factory=dict)

    def guid(self, purpose: str = "") -> str:
        """A deterministic GUID for this resource (and an optional purpose)."""
        return guid(self.urn, purpose)

    def input(self, key: str, default: Any = None) -> Any:
        """An input by camelCase key."""
        return self.inputs.get(key, default)

    def fill(self, template: str) -> str:
        """Fill ``{placeholders}`` from inputs (``{sub}`` is the provider's subscription)."""

        def repl(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "sub":
                return self.subscription_id
            value = self.inputs.get(key)
            if value is None:
                raise ConfigError(
                    f"the offline engine cannot build the id of {self.token} '{self.logical_name}': "
                    f"input '{key}' is not set"
                )
            return str(value)

        return re.sub(r"\{([A-Za-z0-9_]+)\}", repl, template)


@dataclass(frozen=True)
class Answer:
    """How to answer one resource type."""

    token: str
    id: Callable[[ResourceContext], str]
    outputs: Callable[[ResourceContext], dict[str, Any]] | None = None
    name_input: str | None = None
    """The input holding the Azure name (filled from the logical name when absent)."""
    arm_type: str | None = None


ANSWERS: dict[str, Answer] = {}
INVOKES: dict[str, Callable[[dict[str, Any], ResourceContext], dict[str, Any]]] = {}


def answer(
    token: str,
    *,
    id: Callable[[ResourceContext], str],
    outputs: Callable[[ResourceContext], dict[str, Any]] | None = None,
    name_input: str | None = None,
    arm_type: str | None = None,
) -> None:
    """Register the answer for ``token``."""
    if token in ANSWERS:
        raise ValueError(f"duplicate engine answer for {token}")
    ANSWERS[token] = Answer(token=token, id=id, outputs=outputs, name_input=name_input, arm_type=arm_type)


def invoke(
    token: str,
) -> Callable[
    [Callable[[dict[str, Any], ResourceContext], dict[str, Any]]],
    Callable[[dict[str, Any], ResourceContext], dict[str, Any]],
]:
    """Decorator registering the answer of an invoke (function) token."""

    def register(
        fn: Callable[[dict[str, Any], ResourceContext], dict[str, Any]],
    ) -> Callable[[dict[str, Any], ResourceContext], dict[str, Any]]:
        if token in INVOKES:
            raise ValueError(f"duplicate engine invoke answer for {token}")
        INVOKES[token] = fn
        return fn

    return register


def lookup(token: str) -> Answer:
    """The answer for ``token``, or an engine error naming the type."""
    try:
        return ANSWERS[token]
    except KeyError:
        raise LookupError(
            f"the offline engine has no Azure answer for resource type '{token}'; "
            "add one in infra/engine/answers/ (id and computed outputs)"
        ) from None
