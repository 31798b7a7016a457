"""Resource URNs as the Pulumi engine forms them, and how a plan is matched to an older one.

The engine names a resource ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``. The
qualified type is the resource's own type prefixed, ``$``-separated, with its parent's
*qualified* type — the whole chain of ancestors — except the root stack's
(``pulumi:pulumi:Stack``), which never appears: a top-level resource's URN carries its own type
only, a resource three components deep carries all three. (Pulumi's ``resource.NewURN`` with the
parent URN's ``QualifiedType()``.) An alias names an earlier identity: a whole URN, or a spec
(``name=..|type=..|parent=..``, an empty field meaning "as now") from which the engine forms
that earlier URN the same way; a resource whose alias matches an old URN is the same resource,
updated in place, not a delete plus a create.

:func:`align` brings an older plan into this form before two plans are compared: its URNs are
recomputed from its resources' types, names and parents (plans written before the engine formed
URNs this way compare correctly), then every old resource that a new resource names as an
alias takes the new URN.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
PREFIX = "urn:pulumi:"


def qualified_type(urn: str) -> str:
    """The ``$``-joined type chain of ``urn``."""
    return urn.split("::", 3)[2]


def new_urn(stack: str, project: str, parent_urn: str | None, type_: str, name: str) -> str:
    """The URN the engine gives a resource of ``type_`` named ``name`` under ``parent_urn``."""
    chain = type_
    if parent_urn:
        parent_type = qualified_type(parent_urn)
        if parent_type != ROOT_STACK_TYPE:
            chain = f"{parent_type}${type_}"
    return f"{PREFIX}{stack}::{project}::{chain}::{name}"


def _stack_and_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::", 2)[:2]
    return head[len(PREFIX) :], project


def canonical_urns(plan: Mapping[str, Any]) -> dict[str, str]:
    """Each resource's URN as the engine forms it, keyed by the URN the plan recorded (derived
    from types, names and parents; a resource without a recorded parent keeps its URN)."""
    by_urn = {str(r["urn"]): r for r in plan.get("resources") or []}
    done: dict[str, str] = {}

    def form(urn: str, seen: frozenset[str]) -> str:
        if urn in done:
            return done[urn]
        resource = by_urn.get(urn)
        if resource is None or "parent" not in resource or urn in seen:
            return urn
        parent = resource.get("parent")
        parent_urn = form(str(parent), seen | {urn}) if parent else None
        stack, project = _stack_and_project(urn)
        done[urn] = new_urn(stack, project, parent_urn, str(resource["type"]), str(resource["name"]))
        return done[urn]

    for urn in by_urn:
        form(urn, frozenset())
    return {urn: done.get(urn, urn) for urn in by_urn}


def alias_urns(resource: Mapping[str, Any], resolve: Callable[[str], str]) -> list[str]:
    """The earlier URNs ``resource`` names as aliases, formed as the engine forms them.

    ``resolve`` maps a parent URN written in an alias spec to its canonical form."""
    urn = str(resource["urn"])
    stack, project = _stack_and_project(urn)
    result = []
    for alias in resource.get("aliases") or []:
        text = str(alias)
        if text.startswith(PREFIX):
            result.append(resolve(text))
            continue
        fields = dict(part.split("=", 1) for part in text.split("|") if "=" in part)
        parent = fields.get("parent", "")
        if parent == "root":
            parent_urn = None
        elif parent:
            parent_urn = resolve(parent)
        else:
            current = resource.get("parent")
            parent_urn = resolve(str(current)) if current else None
        result.append(
            new_urn(
                stack,
                project,
                parent_urn,
                fields.get("type") or str(resource["type"]),
                fields.get("name") or str(resource["name"]),
            )
        )
    return result


def _rename(value: Any, renames: Mapping[str, str]) -> Any:
    """``value`` with every URN reference renamed (provider references ``<urn>::<id>`` too)."""
    if isinstance(value, str):
        if value in renames:
            return renames[value]
        if value.startswith(PREFIX) and value.count("::") >= 4:
            urn, _, ident = value.rpartition("::")
            if urn in renames:
                return f"{renames[urn]}::{ident}"
        return value
    if isinstance(value, list):
        return [_rename(v, renames) for v in value]
    return value


_REFERENCES = ("urn", "parent", "provider", "dependencies", "deletedWith")


def align(old_plan: Mapping[str, Any], new_plan: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``old_plan`` whose URNs are the engine's form and, where a resource of
    ``new_plan`` names an old one as its alias, that resource's new URN."""
    old = copy.deepcopy(dict(old_plan))
    renames = canonical_urns(old)
    new_canonical = canonical_urns(new_plan)
    old_canonical = set(renames.values())

    def resolve(urn: str) -> str:
        if urn in new_canonical:
            return new_canonical[urn]
        return renames.get(urn, urn)

    by_canonical = {canonical: recorded for recorded, canonical in renames.items()}
    still_there = set(new_canonical.values())
    for resource in new_plan.get("resources") or []:
        current = new_canonical[str(resource["urn"])]
        if current in old_canonical:
            continue
        for earlier in alias_urns(resource, resolve):
            recorded = by_canonical.pop(earlier, None)
            # An old resource that still exists under its own URN is not the one aliased.
            if recorded is not None and earlier not in still_there:
                renames[recorded] = current
                old_canonical.discard(earlier)
                old_canonical.add(current)
                break
    for resource in old.get("resources") or []:
        for key in _REFERENCES:
            if key in resource:
                resource[key] = _rename(resource[key], renames)
    return old
