"""Terminal output that reads like ``pulumi preview``: a tree of resources, then counts."""

from __future__ import annotations

from typing import Any

_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " ", "read": ">"}


def _children(plan: dict[str, Any]) -> dict[str | None, list[dict[str, Any]]]:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in plan["resources"]:
        children.setdefault(resource["parent"], []).append(resource)
    return children


def render_tree(plan: dict[str, Any], changes: list[dict[str, Any]] | None = None) -> str:
    """The resource tree with each resource's planned action."""
    actions = {c["urn"]: c for c in changes} if changes is not None else None
    children = _children(plan)
    rows: list[tuple[str, str, str, str]] = []

    def action_of(resource: dict[str, Any]) -> str:
        if resource.get("read"):
            return "read"
        if actions is None:
            return "create"
        change = actions.get(resource["urn"])
        return change["action"] if change else "same"

    def walk(resource: dict[str, Any], prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└─ " if last else "├─ ")
        action = action_of(resource)
        detail = action
        if actions is not None and resource["urn"] in actions and actions[resource["urn"]]["keys"]:
            detail = f"{action} [{', '.join(actions[resource['urn']]['keys'])}]"
        rows.append((_SYMBOL[action], prefix + branch + resource["type"], resource["name"], detail))
        kids = children.get(resource["urn"], [])
        child_prefix = prefix if root else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, False)

    for top in children.get(None, []):
        walk(top, "", True, True)
    if actions is not None:
        for change in changes or []:
            if change["action"] == "delete":
                rows.append(("-", change["type"], change["urn"].rsplit("::", 1)[-1], "delete"))
    type_width = max((len(r[1]) for r in rows), default=4)
    name_width = max((len(r[2]) for r in rows), default=4)
    lines = [f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Plan"]
    for symbol, type_, name, detail in rows:
        lines.append(f" {symbol:<3} {type_:<{type_width}}  {name:<{name_width}}  {detail}")
    return "\n".join(lines)


def render_summary(plan: dict[str, Any], changes: list[dict[str, Any]] | None = None) -> str:
    """``Resources:`` counts, as pulumi prints them."""
    lines = ["Resources:"]
    if changes is None:
        lines.append(f"    + {sum(1 for r in plan['resources'] if not r.get('read'))} to create")
    else:
        counts: dict[str, int] = {}
        for change in changes:
            counts[change["action"]] = counts.get(change["action"], 0) + 1
        words = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
        for action in ("create", "update", "replace", "delete"):
            if counts.get(action):
                lines.append(f"    {_SYMBOL[action]} {counts[action]} {words[action]}")
        unchanged = len(plan["resources"]) - sum(counts.get(a, 0) for a in ("create", "update", "replace"))
        lines.append(f"    {unchanged} unchanged")
    return "\n".join(lines)


def render_outputs(plan: dict[str, Any]) -> str:
    """The stack outputs, one per line."""
    if not plan["outputs"]:
        return ""
    width = max(len(k) for k in plan["outputs"])
    lines = ["Outputs:"]
    for key in sorted(plan["outputs"]):
        lines.append(f"    {key:<{width}}: {plan['outputs'][key]}")
    return "\n".join(lines)


def render_policy(plan: dict[str, Any]) -> str:
    """Policy violations under the tree."""
    policy = plan.get("policy")
    if not policy:
        return ""
    violations = policy["violations"]
    if not violations:
        return f"Policies:\n    mlops-estate ({policy['enforcement']}): all rules passed"
    lines = [f"Policies:\n    mlops-estate ({policy['enforcement']}): {len(violations)} violation(s)"]
    for violation in violations:
        lines.append(f"    - [{violation['enforcement']}] {violation['policy']}: {violation['message']}")
        if violation.get("urn"):
            lines.append(f"        {violation['urn']}")
    return "\n".join(lines)
