"""Offline diff: what a change does to a stack, resource by resource and property by property.

Compares two plans by URN, as the engine forms it, following aliases
(:func:`infra.engine.urns.align`: a resource that moved under another parent with an alias is
the same resource). A resource only in the new plan is a ``create``, only in the old
one a ``delete``; one whose inputs or resource options differ is an ``update`` — or a
``replace`` when a changed input cannot be changed in place. Which inputs those are comes
from :mod:`infra.engine.replace`: for Azure types the vendor's own ``x-ms-mutability``
data (vendored, with provenance), for the other providers a small documented rule set.

Every change carries ``diffs``: one entry per changed property path (``properties.model``,
``tags["env"]``, ``ipRules[0].value``) with ``before`` and ``after`` (secrets stay masked as
the plan masks them), ``replaceBecause``: the paths that force the replace, and
``createOnlyUpdates``: changed paths the specs mark create-only inside a sub-object, which
azure-native updates in place and Azure may reject. Stack outputs
are compared the same way (:func:`output_changes`). Resources follow the new plan's order and
property paths their sorted keys, so the same two commits always give the same list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.engine.replace import create_only_paths, replace_paths
from infra.engine.urns import align

OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace")
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_MISSING = object()


def _join(prefix: str, key: str) -> str:
    if _IDENT.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'


def _diff_values(before: Any, after: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        # Sorted, as Pulumi's own diff display orders object keys: the report must not depend
        # on the order a plan happened to serialise its keys in.
        for key in sorted(set(before) | set(after), key=str):
            _diff_values(before.get(key, _MISSING), after.get(key, _MISSING), _join(path, str(key)), out)
        return
    if isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else _MISSING
            new = after[index] if index < len(after) else _MISSING
            _diff_values(old, new, f"{path}[{index}]", out)
        return
    if before is _MISSING and after is _MISSING:
        return
    if before is not _MISSING and after is not _MISSING and before == after:
        return
    kind = "add" if before is _MISSING else "delete" if after is _MISSING else "update"
    entry: dict[str, Any] = {"path": path or "(value)", "kind": kind}
    if before is not _MISSING:
        entry["before"] = before
    if after is not _MISSING:
        entry["after"] = after
    out.append(entry)


def property_diffs(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per changed leaf path: ``{"path", "kind": add|update|delete, "before", "after"}``."""
    out: list[dict[str, Any]] = []
    _diff_values(dict(before), dict(after), "", out)
    return out


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _forces_replace(path: str, keys: set[str]) -> bool:
    plain = re.sub(r"\[\d+\]", "[*]", path)
    for key in keys:
        if (
            plain == key
            or plain.startswith(key + ".")
            or plain.startswith(key + "[")
            or plain.startswith(key + '["')
        ):
            return True
    return False


def _name(resource: Mapping[str, Any]) -> str:
    return str(resource.get("name") or str(resource["urn"]).rsplit("::", 1)[-1])


def changes(old_plan: Mapping[str, Any], new_plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every resource that changes: ``{"urn", "type", "name", "action", "keys", "paths", "diffs",
    "replaceBecause", "protect"}`` (``keys``: the changed top-level inputs)."""
    old_plan = align(old_plan, new_plan)  # the engine's URN form; aliased resources matched
    old = {r["urn"]: r for r in old_plan["resources"]}
    new = {r["urn"]: r for r in new_plan["resources"]}
    result: list[dict[str, Any]] = []
    for resource in new_plan["resources"]:
        before = old.get(resource["urn"])
        if before is None:
            diffs = property_diffs({}, resource["inputs"])
            result.append(_entry(resource, "create", diffs, [], protect=bool(resource.get("protect"))))
            continue
        diffs = property_diffs(before["inputs"], resource["inputs"])
        options = [
            {"path": f"[{opt}]", "kind": "update", "before": before.get(opt), "after": resource.get(opt)}
            for opt in OPTIONS
            if before.get(opt) != resource.get(opt)
        ]
        if not diffs and not options:
            continue
        because: list[str] = []
        risky: list[str] = []
        if resource["custom"]:
            keys = replace_paths(resource)
            because = [d["path"] for d in diffs if _forces_replace(d["path"], keys)]
            nested = create_only_paths(resource)
            risky = [
                d["path"] for d in diffs if d["path"] not in because and _forces_replace(d["path"], nested)
            ]
        action = "replace" if because else "update"
        # A resource protected before the change is what Pulumi checks on replace.
        protect = bool(before.get("protect"))
        entry = _entry(resource, action, diffs + options, because, protect=protect)
        entry["createOnlyUpdates"] = risky
        result.append(entry)
    for resource in old_plan["resources"]:
        if resource["urn"] not in new:
            diffs = property_diffs(resource["inputs"], {})
            result.append(_entry(resource, "delete", diffs, [], protect=bool(resource.get("protect"))))
    return result


def _entry(
    resource: Mapping[str, Any],
    action: str,
    diffs: list[dict[str, Any]],
    because: list[str],
    *,
    protect: bool,
) -> dict[str, Any]:
    keys = sorted({_top(d["path"]) if not d["path"].startswith("[") else d["path"] for d in diffs})
    return {
        "urn": resource["urn"],
        "type": resource["type"],
        "name": _name(resource),
        "action": action,
        "keys": keys if action != "delete" else [],
        "paths": [d["path"] for d in diffs] if action in ("update", "replace") else [],
        "diffs": diffs if action in ("update", "replace") else [],
        "replaceBecause": because,
        "createOnlyUpdates": [],
        "protect": protect,
    }


def output_changes(old_plan: Mapping[str, Any], new_plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Changed stack outputs, one entry per changed leaf path (same shape as ``diffs``)."""
    return property_diffs(old_plan.get("outputs") or {}, new_plan.get("outputs") or {})


def protected_violations(change_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes Pulumi refuses: a replace or delete of a resource with ``protect: true``."""
    return [c for c in change_list if c["action"] in ("replace", "delete") and c.get("protect")]


def refusal_message(violations: list[dict[str, Any]]) -> str:
    """One message naming every protected resource the change would replace or delete."""
    named = ", ".join(f"{c['type']} '{c['name']}' ({c['action']})" for c in violations)
    return (
        f"refusing a change that would replace or delete {len(violations)} protected resource(s): "
        f"{named}; unprotect them first (protect: false) or undo the change that forces it"
    )


def summary(change_list: list[dict[str, Any]]) -> dict[str, int]:
    """Counts per action."""
    counts: dict[str, int] = {}
    for change in change_list:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    return counts
