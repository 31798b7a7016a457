"""Does a dependent use anything its dependency produced? (the serialization detector)

A dependency edge ``d → r`` (``d`` listed in ``r.dependencies``) *carries data* when some string
in ``r.inputs`` — or integer, read as its decimal text, since Azure DevOps passes ids such as
``pipelineId: 67224`` as numbers — contains one of ``d``'s tokens. Because the offline engine resolves every
Output, the values a dependent received through an Output appear literally in its inputs.

Tokens of ``d``:

1. ``d.id`` (non-empty; Azure DevOps ids are decimal strings such as ``"67224"``);
2. the Azure name, ``d.outputs["name"]`` when it is a string;
3. every *produced* string in ``d.outputs`` (any depth): a value that is not also a string
   anywhere in ``d.inputs`` (so echoed configuration — location, tags, SKUs — does not count),
   is not a placeholder (``"[secret]"``, ``"<unknown>"``, ``"<resource reference>"``), is at
   least 8 characters long and contains a digit or one of
   ``. / : -`` (so generic words such as ``Enabled`` or ``SystemAssigned`` do not count).

A token *occurs* in a string when it appears there case-insensitively (ARM is
case-insensitive) with neither neighbour being a letter, digit, ``_`` or ``-``: the RG id
``…/resourceGroups/rg-a`` occurs in ``…/resourceGroups/rg-a/providers/…`` but not in
``…/resourceGroups/rg-ab``; the name ``acrprod`` occurs in ``acrprod.azurecr.io``.

Limits: a value the dependent could have known without waiting (a literal name equal to the
dependency's name) still counts as use, so the detector finds only edges where nothing of the
dependency appears at all; very short names (``default``) may match by coincidence and hide
an edge, and so may a small integer id equal to an unrelated number; secrets and the engine's placeholders (``"[secret]"``, ``"<unknown>"``,
``"<resource reference>"``) cannot be traced, so an edge whose only use is such a value is
reported as not carrying data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

SECRET = "[secret]"
# Placeholders the engine writes for values it cannot show; never evidence of use.
PLACEHOLDERS = frozenset({SECRET, "<unknown>", "<resource reference>"})
MIN_PRODUCED_LENGTH = 8
_DISTINCTIVE = re.compile(r"[0-9./:-]")


def strings(value: Any) -> Iterator[str]:
    """Every string leaf of a JSON-like value (dict values and list items, any depth)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def tokens(resource: dict[str, Any]) -> set[str]:
    """The identifying and produced values of a resource (see the module docstring)."""
    found: set[str] = set()
    rid = resource.get("id")
    if isinstance(rid, str) and rid and rid not in PLACEHOLDERS:
        found.add(rid)
    outputs = resource.get("outputs") or {}
    name = outputs.get("name") if isinstance(outputs, dict) else None
    if isinstance(name, str) and name and name not in PLACEHOLDERS:
        found.add(name)
    echoed = set(strings(resource.get("inputs") or {}))
    for value in strings(outputs):
        if (
            value not in PLACEHOLDERS
            and value not in echoed
            and len(value) >= MIN_PRODUCED_LENGTH
            and _DISTINCTIVE.search(value)
        ):
            found.add(value)
    return found


def occurs(token: str, text: str) -> bool:
    """Whether ``token`` occurs in ``text`` at word boundaries, case-insensitively."""
    if not token:
        return False
    pattern = r"(?<![A-Za-z0-9_-])" + re.escape(token) + r"(?![A-Za-z0-9_-])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def leaves(value: Any) -> Iterator[str]:
    """Every string leaf, and every integer leaf as its decimal text (Azure DevOps ids are integers)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)


def uses(dependent: dict[str, Any], dependency: dict[str, Any]) -> bool:
    """Whether ``dependent``'s inputs reference any token of ``dependency``."""
    wanted = tokens(dependency)
    if not wanted:
        return False
    texts = list(leaves(dependent.get("inputs") or {}))
    lowered = [text.lower() for text in texts]
    for token in wanted:
        needle = token.lower()
        for text, low in zip(texts, lowered, strict=True):
            if needle in low and occurs(token, text):
                return True
    return False
