"""Builds the plan document (schema ``mlops-estate/plan@1``) from what a run recorded.

Resources come in a canonical order (:func:`canonical_order`). Values are made JSON-safe and stable: secrets become ``"[secret]"``, integral floats become
integers (protobuf carries every number as a double), and a value the engine could not
answer (an unknown) is an error naming the resource and the input path, because a plan
with unknowns proves nothing.
"""

from __future__ import annotations

import heapq
import json
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from infra.engine.monitor import STACK_TYPE, EngineError, MonitorState, Registration
from infra.engine.project import SECRET_PLACEHOLDER

SCHEMA = "mlops-estate/plan@1"
_SECRET_SIG = rpc._special_secret_sig
_SIG_KEY = rpc._special_sig_key


def _clean(value: Any, path: str, unknowns: list[str]) -> Any:
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        unknowns.append(path or "(value)")
        return "<unknown>"
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return SECRET_PLACEHOLDER
        return {str(k): _clean(v, f"{path}.{k}" if path else str(k), unknowns) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{path}[{i}]", unknowns) for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    urn = getattr(value, "urn", None)
    if urn is not None:
        return "<resource reference>"
    return str(value)


def _resource_entry(reg: Registration, unknowns: list[str]) -> dict[str, Any]:
    found: list[str] = []
    inputs = {k: v for k, v in reg.inputs.items() if k != "__provider"}
    if "__provider" in reg.inputs:
        inputs["__provider"] = "<python dynamic provider>"
    entry = {
        "urn": reg.urn,
        "type": reg.type,
        "name": reg.name,
        "parent": reg.parent,
        "custom": reg.custom,
        "provider": reg.provider,
        "id": reg.id,
        "inputs": _clean(inputs, "", found),
        "outputs": _clean(reg.outputs, "", []),
        "dependencies": sorted(set(reg.dependencies)),
        "protect": reg.protect,
        "retainOnDelete": reg.retain_on_delete,
        "ignoreChanges": list(reg.ignore_changes),
        "replaceOnChanges": list(reg.replace_on_changes),
        "deleteBeforeReplace": reg.delete_before_replace,
        "aliases": list(reg.aliases),
        "customTimeouts": reg.custom_timeouts,
        "deletedWith": reg.deleted_with,
        "read": reg.read,
    }
    unknowns.extend(f"{reg.type} '{reg.name}': inputs.{p}" for p in found)
    return entry


def canonical_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deterministic order: every resource after its parent, provider and dependencies, ties
    broken by URN. Registration order itself is not stable — the SDK drains pending tasks from a
    ``set`` — so the plan must not depend on it."""
    by_urn = {r["urn"]: r for r in resources}
    before: dict[str, set[str]] = {urn: set() for urn in by_urn}
    for resource in resources:
        urn = resource["urn"]
        provider = (resource.get("provider") or "").rsplit("::", 1)[0]
        for other in [resource.get("parent"), provider, *resource.get("dependencies", [])]:
            if other and other in by_urn and other != urn:
                before[urn].add(other)
    after: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, needs in before.items():
        for need in needs:
            after[need].append(urn)
    ready = [urn for urn, needs in before.items() if not needs]
    heapq.heapify(ready)
    ordered: list[dict[str, Any]] = []
    remaining = {urn: len(needs) for urn, needs in before.items()}
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for nxt in after[urn]:
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(ordered) != len(resources):  # a cycle cannot come from a real run; keep everything anyway
        seen = {r["urn"] for r in ordered}
        ordered.extend(sorted((r for r in resources if r["urn"] not in seen), key=lambda r: r["urn"]))
    return ordered


def build_plan(state: MonitorState, *, project: str, stack: str) -> dict[str, Any]:
    """The plan of one run. Raises :class:`EngineError` when any value is unknown."""
    unknowns: list[str] = []
    resources: list[dict[str, Any]] = []
    if state.stack_urn:
        resources.append(
            {
                "urn": state.stack_urn,
                "type": STACK_TYPE,
                "name": f"{project}-{stack}",
                "parent": None,
                "custom": False,
                "provider": None,
                "id": None,
                "inputs": {},
                "outputs": {},
                "dependencies": [],
                "protect": False,
                "retainOnDelete": False,
                "ignoreChanges": [],
                "replaceOnChanges": [],
                "deleteBeforeReplace": False,
                "aliases": [],
                "customTimeouts": None,
                "deletedWith": None,
                "read": False,
            }
        )
    for reg in state.registrations:
        resources.append(_resource_entry(reg, unknowns))
    resources = canonical_order(resources)
    output_unknowns: list[str] = []
    outputs = _clean(state.stack_outputs, "", output_unknowns)
    unknowns.extend(f"stack output {p}" for p in output_unknowns)
    if unknowns:
        listed = "\n  ".join(unknowns[:20])
        more = f"\n  (and {len(unknowns) - 20} more)" if len(unknowns) > 20 else ""
        raise EngineError(
            "the plan has values the offline engine could not answer (an output it does not compute "
            f"was used); add the output to infra/engine/answers/:\n  {listed}{more}"
        )
    return {
        "schema": SCHEMA,
        "project": project,
        "stack": stack,
        "resources": resources,
        "outputs": outputs,
    }


def secret_output_names(state: MonitorState) -> list[str]:
    """Names of stack outputs that are secret."""
    return sorted(
        k for k, v in state.stack_outputs.items() if isinstance(v, dict) and v.get(_SIG_KEY) == _SECRET_SIG
    )


def dumps(plan: dict[str, Any]) -> str:
    """The canonical JSON text of a plan (sorted keys, stable, newline-terminated)."""
    return json.dumps(plan, indent=2, sort_keys=True) + "\n"
