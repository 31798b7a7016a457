"""Shared building blocks of the estate's policies: config, input paths, findings, messages.

Every rule is a ``pulumi_policy`` policy object; this module holds what they all need:

* the per-stack policy configuration (``environment``) and its schema,
* reading camelCase inputs by dotted path (``properties.networkAcls.defaultAction``),
* a :class:`Finding` (input path, bad value, expected value) and the one message format,
* :func:`resource_rule`, which turns a small check function into a ``ResourceValidationPolicy``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policy.suppressions import is_suppressed, pack_resource

ENVIRONMENTS: tuple[str, ...] = ("dev", "qa", "prod", "shared")
"""The estate's stacks; every policy is configured with one of them."""

DEFAULT_ENVIRONMENT = "prod"
"""Used when a run carries no policy config: the strictest stage."""

LOCKED_DOWN_ENVIRONMENTS: frozenset[str] = frozenset({"qa", "prod", "shared"})
"""Stages where public endpoints and unprotected state are never allowed (everything but dev)."""

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "environment": {
            "type": "string",
            "enum": list(ENVIRONMENTS),
            "default": DEFAULT_ENVIRONMENT,
            "description": "The stack's environment; stage-dependent checks read it.",
        }
    }
)
"""The config schema every policy declares, so ``policy/config/<stack>.json`` can set it."""


class _Missing:
    """Marker for an input that is absent (distinct from an explicit ``null``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


RETAIN_ON_DELETE_OPTION = "retain_on_delete"
"""Attribute the offline runner adds to ``PolicyResourceOptions``; the CrossGuard engine has none."""


def environment_of(args: ResourceValidationArgs | StackValidationArgs) -> str:
    """The stack environment from the policy config; the strictest stage when none is given."""
    value = args.get_config().get("environment", DEFAULT_ENVIRONMENT)
    return value if value in ENVIRONMENTS else DEFAULT_ENVIRONMENT


def is_mapping(value: Any) -> bool:
    """True for dicts and the policy SDK's dict proxies."""
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    """True for lists and the policy SDK's list proxies (never for strings)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def get_path(props: Any, path: str) -> Any:
    """The value at a dotted camelCase path, or :data:`MISSING` when any step is absent."""
    current = props
    for key in path.split("."):
        if not is_mapping(current) or key not in current:
            return MISSING
        current = current[key]
    return current


def _children(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """``(child path, key, child)`` of a mapping or list; values unknown during preview are skipped."""
    if is_mapping(value):
        entries: Iterable[tuple[str, Any]] = ((str(k), k) for k in sorted(value))
    elif is_list(value):
        entries = ((f"[{i}]", i) for i in range(len(value)))
    else:
        return
    for label, key in entries:
        try:
            child = value[key]
        except UnknownValueError:
            continue
        if label.startswith("["):
            yield f"{path}{label}", label, child
        else:
            yield (f"{path}.{label}" if path else label), label, child


def iter_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every known string inside an input tree, with its dotted path (list items as ``[i]``)."""
    if isinstance(value, str):
        yield path, value
        return
    for child_path, _, child in _children(value, path):
        yield from iter_strings(child, child_path)


def iter_keys(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every ``(path, key, value)`` of every mapping inside an input tree (known values only)."""
    for child_path, label, child in _children(value, path):
        if is_mapping(value):
            yield child_path, label, child
        yield from iter_keys(child, child_path)


def render(value: Any) -> str:
    """A value as it appears in a message: JSON, or ``absent`` for a missing input."""
    if value is MISSING:
        return "absent"
    try:
        return json.dumps(_plain(value), sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _plain(value: Any) -> Any:
    """Proxies and floats that hold integers turned into plain JSON-able values."""
    if is_mapping(value):
        return {str(k): _plain(value[k]) for k in value}
    if is_list(value):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same_text(value: Any, expected: str) -> bool:
    """Case-insensitive string equality (Azure enums arrive as ``Disabled`` or ``disabled``)."""
    return isinstance(value, str) and value.lower() == expected.lower()


@dataclass(frozen=True)
class Finding:
    """One bad input: where it is, what it holds and what the rule expects there."""

    path: str
    actual: Any
    expected: str


def message(resource_type: str, name: str, finding: Finding) -> str:
    """The one violation message format: resource, input path, bad value, expected value."""
    return (
        f"{resource_type} '{name}': `{finding.path}` is {render(finding.actual)}; expected {finding.expected}"
    )


def expect_true(props: Any, path: str) -> Iterator[Finding]:
    """A finding unless the input at ``path`` is boolean ``true``."""
    value = get_path(props, path)
    if value is not True:
        yield Finding(path, value, "true")


def expect_false(props: Any, path: str, *, absent_ok: bool = False) -> Iterator[Finding]:
    """A finding unless the input at ``path`` is boolean ``false`` (or absent, when allowed)."""
    value = get_path(props, path)
    if value is False or (absent_ok and value is MISSING):
        return
    yield Finding(path, value, "false" + (" or absent" if absent_ok else ""))


def expect_text(props: Any, path: str, *allowed: str) -> Iterator[Finding]:
    """A finding unless the input at ``path`` is one of ``allowed`` (case-insensitive)."""
    value = get_path(props, path)
    if not any(same_text(value, option) for option in allowed):
        yield Finding(path, value, " or ".join(json.dumps(option) for option in allowed))


ResourceCheck = Callable[[ResourceValidationArgs, str], Iterable[Finding]]
"""A rule's check: the resource under validation and the stack environment → its findings."""


def resource_rule(
    name: str,
    description: str,
    resource_types: Iterable[str],
    check: ResourceCheck,
    *,
    severity: Severity = Severity.HIGH,
    enforcement_level: EnforcementLevel | None = None,
    remediation_steps: str | None = None,
) -> ResourceValidationPolicy:
    """A ``ResourceValidationPolicy`` that runs ``check`` on resources of the given types.

    An empty ``resource_types`` means every resource type (the check filters itself).
    """
    types = frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if types and args.resource_type not in types:
            return
        environment = environment_of(args)
        if is_suppressed(name, pack_resource(args.resource_type, args.name)):
            return
        for finding in check(args, environment):
            report_violation(message(args.resource_type, args.name, finding), None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=CONFIG_SCHEMA,
        severity=severity,
        remediation_steps=remediation_steps,
        tags=["mlops-estate"],
    )


StackCheck = Callable[[StackValidationArgs, str], Iterable[tuple[PolicyResource, Finding]]]
"""A stack rule's check: every resource of the stack and its environment → offending resources."""


def stack_rule(
    name: str,
    description: str,
    check: StackCheck,
    *,
    severity: Severity = Severity.HIGH,
    enforcement_level: EnforcementLevel | None = None,
    remediation_steps: str | None = None,
) -> StackValidationPolicy:
    """A ``StackValidationPolicy`` that reports each finding against the offending resource's URN."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        environment = environment_of(args)
        for resource, finding in check(args, environment):
            if is_suppressed(name, pack_resource(resource.resource_type, resource.name)):
                continue
            report_violation(message(resource.resource_type, resource.name, finding), resource.urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=CONFIG_SCHEMA,
        severity=severity,
        remediation_steps=remediation_steps,
        tags=["mlops-estate"],
    )


def referenced_by(resource: PolicyResource, key: str) -> list[PolicyResource]:
    """Resources whose outputs flow into the top-level input ``key`` of ``resource``."""
    return list(resource.property_dependencies.get(key, []))
