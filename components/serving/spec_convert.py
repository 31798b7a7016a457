"""From azure-ai-ml's REST object to azure-native inputs, with the estate's overrides recorded.

The baseline of every conversion is azure-ai-ml's own ``_to_rest_object()`` of the loaded
entity, serialized to its wire dict (the JSON ``az ml`` PUTs; the REST models' attribute maps
give the camelCase names). The estate never picks fields by hand: it takes the whole wire dict,
then applies a short list of deliberate overrides (:class:`Override`, listed in docs/specs.md),
each recorded with its reason so a field-by-field comparison can tell an override from a loss.

azure-native's inputs are the ARM resource's own shape (``properties``, ``sku``, ``identity``,
``tags``, ``kind``), except the identity's ``userAssignedIdentities``, which azure-native takes
as a list of ids instead of ARM's map of id → {}.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

EMPTY: tuple[object, ...] = (None, {}, [])


def image_tag(reference: str) -> str | None:
    """The tag of an image reference; ``None`` when untagged (pulls ``latest``); digests are ``@digest``.

    The same rule as the policy pack's ``container-image-not-latest`` (a test keeps them equal).
    """
    if "@sha256:" in reference:
        return "@digest"
    last_segment = reference.rsplit("/", 1)[-1]
    if ":" not in last_segment:
        return None
    return last_segment.rsplit(":", 1)[1]


def floating_image(reference: str) -> bool:
    """Whether the policy pack would refuse this image (untagged or ``latest``)."""
    tag = image_tag(reference)
    return tag is None or tag.lower() == "latest"


def wire(rest: object) -> dict[str, object]:
    """The wire dict of an azure-ai-ml REST model (camelCase names, as sent)."""
    as_dict = getattr(rest, "as_dict", None)
    if as_dict is None:
        raise TypeError(f"{type(rest).__name__} is not an azure-ai-ml REST model")
    value = as_dict()
    if not isinstance(value, dict):
        raise TypeError(f"{type(rest).__name__}.as_dict() is not a dict")
    return value


def leaves(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Every (dotted path, leaf value) of a wire dict; empty containers are leaves."""
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            yield from leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value):
            yield from leaves(inner, f"{prefix}.{index}")
    else:
        yield prefix, value


def not_json(value: object) -> list[str]:
    """Paths whose value is not plain JSON (a Python object that would leak into an input)."""
    return [
        path
        for path, leaf in leaves(value)
        if not (leaf is None or isinstance(leaf, (str, int, float, bool, dict, list)))
    ]


def get_path(value: object, path: str) -> object:
    """The value at a dotted path (``None`` when absent)."""
    node = value
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def set_path(value: dict[str, object], path: str, new: object) -> None:
    """Set (or, with ``new`` None, remove) the value at a dotted path, creating mappings."""
    parts = path.split(".")
    node: dict[str, object] = value
    for part in parts[:-1]:
        inner = node.get(part)
        if not isinstance(inner, dict):
            if new is None:
                return
            inner = {}
            node[part] = inner
        node = inner
    if new is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = new


def drop_empty(value: object) -> object:
    """Remove ``None``/empty mappings and lists recursively (ARM treats them as unset)."""
    if isinstance(value, Mapping):
        out = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in EMPTY}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


@dataclass(frozen=True)
class Override:
    """One field the estate sets differently from azure-ai-ml's conversion, and why."""

    path: str
    """Dotted wire path (``properties.authMode``)."""
    value: object
    """The estate's value (``None`` removes the field)."""
    reason: str
    """Why (shown in warnings and docs/specs.md)."""


@dataclass
class Conversion:
    """The wire dict before and after the estate's overrides."""

    baseline: dict[str, object]
    converted: dict[str, object]
    overrides: list[Override] = field(default_factory=list)

    def apply(self, override: Override) -> None:
        """Apply ``override`` to the converted dict and record it."""
        set_path(self.converted, override.path, copy.deepcopy(override.value))
        self.overrides.append(override)

    def differences(self) -> list[str]:
        """Leaf paths where the converted dict differs from the baseline and no override explains it."""
        before = dict(leaves(drop_empty(self.baseline)))
        after = dict(leaves(drop_empty(self.converted)))
        covered = [o.path for o in self.overrides]

        def explained(path: str) -> bool:
            return any(path == c or path.startswith(c + ".") for c in covered)

        return sorted(
            path
            for path in set(before) | set(after)
            if before.get(path, _ABSENT) != after.get(path, _ABSENT) and not explained(path)
        )


_ABSENT = object()


def native_identity(identity: object) -> dict[str, object] | None:
    """ARM identity → azure-native input (``userAssignedIdentities`` as a list of ids)."""
    if not isinstance(identity, Mapping) or not identity.get("type"):
        return None
    out: dict[str, object] = {"type": identity["type"]}
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, Mapping) and assigned:
        out["userAssignedIdentities"] = sorted(str(k) for k in assigned)
    elif isinstance(assigned, list) and assigned:
        out["userAssignedIdentities"] = [str(v) for v in assigned]
    return out


def native_inputs(converted: Mapping[str, object]) -> dict[str, object]:
    """The azure-native inputs of a converted wire dict (``location``/names are set by the caller)."""
    out: dict[str, object] = {}
    properties = converted.get("properties") or {}
    assert isinstance(properties, Mapping)
    # Top-level empties only: ARM treats {} like absent, and nested ones are what az ml sends.
    out["properties"] = {k: v for k, v in properties.items() if v not in EMPTY}
    for key in ("sku", "kind"):
        value = converted.get(key)
        if value not in EMPTY:
            out[key] = value
    identity = native_identity(converted.get("identity"))
    if identity is not None:
        out["identity"] = identity
    tags = converted.get("tags")
    if isinstance(tags, Mapping) and tags:
        out["tags"] = {str(k): str(v) for k, v in tags.items()}
    return out
