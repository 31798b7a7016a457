"""Terminal output that reads like ``pulumi preview``: a tree of resources, the property
changes, the outputs (as YAML) and a summary line — all fitted to the terminal width.

Every function takes the ``width`` to fit; table cells that do not fit are cut with ``…`` the
way ``pulumi preview`` cuts them, prose is wrapped. With ``--against`` only what changes is
shown (plus the parents that place it in the tree) unless ``show_same``.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping
from typing import Any

_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " ", "read": ">"}
_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
ACTIONS = ("create", "update", "replace", "delete")
ELLIPSIS = "…"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked with ``…``."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS


def fit_lines(text: str, width: int) -> str:
    """Every line of ``text`` cut to ``width``."""
    return "\n".join(fit(line, width) for line in text.splitlines())


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Prose wrapped to ``width`` (long words broken), continuation lines indented."""
    return textwrap.wrap(
        text, width=max(width, 20), subsequent_indent=indent + "  ", break_long_words=True
    ) or [""]


def _children(plan: Mapping[str, Any]) -> dict[str | None, list[dict[str, Any]]]:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in plan["resources"]:
        children.setdefault(resource["parent"], []).append(resource)
    return children


def _visible(plan: Mapping[str, Any], actions: Mapping[str, dict[str, Any]]) -> set[str]:
    """The changed resources and their ancestors (the tree context)."""
    parents = {r["urn"]: r["parent"] for r in plan["resources"]}
    shown: set[str] = set()
    for urn in actions:
        current: str | None = urn
        while current is not None and current not in shown:
            shown.add(current)
            current = parents.get(current)
    return shown


def render_tree(
    plan: Mapping[str, Any],
    changes: list[dict[str, Any]] | None = None,
    *,
    width: int = 80,
    show_same: bool = False,
) -> str:
    """The resource tree with each resource's planned action (only changes, unless ``show_same``)."""
    actions = {c["urn"]: c for c in changes} if changes is not None else None
    visible = None if actions is None or show_same else _visible(plan, actions)
    children = _children(plan)
    rows: list[tuple[str, str, str, str]] = []

    def action_of(resource: Mapping[str, Any]) -> str:
        if resource.get("read"):
            return "read"
        if actions is None:
            return "create"
        change = actions.get(resource["urn"])
        return change["action"] if change else "same"

    def walk(resource: Mapping[str, Any], prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└─ " if last else "├─ ")
        action = action_of(resource)
        change = actions.get(resource["urn"]) if actions is not None else None
        detail = "" if action == "same" else action
        if change is not None and change["keys"] and action in ("update", "replace"):
            marks = [f"~{k}" if not k.startswith("[") else k for k in change["keys"]]
            detail = f"{action} [diff: {' '.join(marks)}]"
        rows.append((_SYMBOL[action], prefix + branch + resource["type"], resource["name"], detail))
        kids = [k for k in children.get(resource["urn"], []) if visible is None or k["urn"] in visible]
        child_prefix = prefix if root else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, False)

    for top in children.get(None, []):
        if visible is None or top["urn"] in visible:
            walk(top, "", True, True)
    for change in changes or []:
        if change["action"] == "delete":
            rows.append(("-", change["type"], change["name"], "delete"))
    if not rows:
        return ""
    return _table(rows, width)


def short_type(type_: str) -> str:
    """``azure-native:machinelearningservices:OnlineDeployment`` → ``azure-native:…:OnlineDeployment``."""
    parts = type_.split(":")
    if len(parts) < 3:
        return type_
    return f"{parts[0]}:{ELLIPSIS}:{parts[-1]}"


def _shorten_type(cell: str, width: int) -> str:
    """A tree cell (``└─ `` prefix + type) fitted to ``width``: the module is elided first."""
    if len(cell) <= width:
        return cell
    stem = cell.rstrip()
    prefix_len = len(stem) - len(stem.lstrip("│├└─ "))
    prefix, type_ = stem[:prefix_len], stem[prefix_len:]
    return fit(prefix + short_type(type_), width)


def _table(rows: list[tuple[str, str, str, str]], width: int) -> str:
    type_w = max([len(r[1]) for r in rows] + [4])
    name_w = max([len(r[2]) for r in rows] + [4])
    plan_w = max([len(r[3]) for r in rows] + [4])
    # " +-  " (5) + type + 2 + name + 2 + plan must fit the width. As pulumi does, long cells
    # are cut: first the type's module (``azure-native:…:OnlineDeployment``), then the plan
    # detail (the action word stays), then type and name share what is left.
    budget = width - 5 - 4
    if type_w + name_w + plan_w > budget:
        type_w = min(type_w, max(len(_shorten_type(r[1], 10**6)) for r in rows))
    if type_w + name_w + plan_w > budget:
        # Keep the action word; the ``[diff: …]`` detail goes (the Changes section has it).
        rows = [
            (a, b, c, d if len(d) <= budget - type_w - name_w else d.split(" ")[0]) for a, b, c, d in rows
        ]
        plan_w = max([len(r[3]) for r in rows] + [4])
    if type_w + name_w + plan_w > budget:
        rest = budget - plan_w
        name_w = min(name_w, max(rest // 2, rest - type_w))
        type_w = rest - name_w
    lines = [f"     {fit('Type', type_w):<{type_w}}  {fit('Name', name_w):<{name_w}}  Plan"]
    for symbol, type_, name, detail in rows:
        cell = _shorten_type(type_, type_w)
        line = f" {symbol:<3} {cell:<{type_w}}  {fit(name, name_w):<{name_w}}  {fit(detail, plan_w)}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _elide_common(before: str, after: str, room: int) -> tuple[str, str]:
    """Two long strings shown by what differs: the shared start becomes ``…``."""
    common = 0
    for a, b in zip(before, after, strict=False):
        if a != b:
            break
        common += 1
    keep = max(room - 3, 8)
    start = max(min(common, len(before) - keep, len(after) - keep), 0)
    if start == 0:
        return json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False)
    old, new = before[start:], after[start:]
    return (
        fit('"' + ELLIPSIS + old + '"', room),
        fit('"' + ELLIPSIS + new + '"', room),
    )


def render_property(diff: Mapping[str, Any], width: int, indent: str = "      ") -> list[str]:
    """One changed property: ``~ path: old => new`` (``+ path: new``, ``- path: old``)."""
    symbol = {"add": "+", "delete": "-", "update": "~"}[diff["kind"]]
    head = f"{indent}{symbol} {diff['path']}: "
    if diff["kind"] == "add":
        body = _value(diff["after"])
    elif diff["kind"] == "delete":
        body = _value(diff["before"])
    else:
        body = f"{_value(diff['before'])} => {_value(diff['after'])}"
    line = head + body
    if len(line) <= width:
        return [line]
    if diff["kind"] == "update" and isinstance(diff["before"], str) and isinstance(diff["after"], str):
        old, new = _elide_common(diff["before"], diff["after"], (width - len(head) - 4) // 2)
        line = f"{head}{old} => {new}"
        if len(line) <= width:
            return [line]
    # Too long for one line: old and new on their own lines, each cut to fit.
    lines = [fit(f"{indent}{symbol} {diff['path']}:", width)]
    if "before" in diff:
        lines.append(fit(f"{indent}    - {_value(diff['before'])}", width))
    if "after" in diff:
        lines.append(fit(f"{indent}    + {_value(diff['after'])}", width))
    return lines


def render_changes(changes: list[dict[str, Any]], *, width: int = 80, limit: int = 12) -> str:
    """Each updated or replaced resource with its changed properties, old → new."""
    lines: list[str] = []
    for change in changes:
        if change["action"] not in ("update", "replace"):
            continue
        symbol = _SYMBOL[change["action"]]
        kind = str(change["type"]).rsplit(":", 1)[-1]
        lines.append(fit(f"  {symbol} {change['name']} ({kind}): {change['action']}", width))
        because = set(change.get("replaceBecause") or [])
        risky = set(change.get("createOnlyUpdates") or [])
        diffs = change["diffs"]
        for diff in diffs[:limit]:
            entry = render_property(diff, width)
            if diff["path"] in because:
                entry.insert(0, fit(f"      (forces replace: {diff['path']})", width))
            elif diff["path"] in risky:
                entry.insert(0, fit(f"      (create-only in the Azure spec: {diff['path']})", width))
            lines.extend(entry)
        if len(diffs) > limit:
            lines.append(f"      … {len(diffs) - limit} more (see --json)")
    return "Changes:\n" + "\n".join(lines) if lines else ""


def to_yaml(value: Any) -> str:
    """``value`` as block YAML (strings quoted only when needed)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(value, out)
    return out.getvalue().rstrip("\n")


def render_outputs(
    plan: Mapping[str, Any], output_changes: list[dict[str, Any]] | None = None, *, width: int = 80
) -> str:
    """The stack outputs as YAML; with a diff, only the changed ones (old → new)."""
    if output_changes is not None:
        if not output_changes:
            return ""
        lines = ["Outputs:"]
        for diff in output_changes:
            lines.extend(render_property(diff, width, indent="    "))
        return "\n".join(lines)
    if not plan["outputs"]:
        return ""
    body = textwrap.indent(to_yaml(plan["outputs"]), "    ")
    return fit_lines("Outputs:\n" + body, width)


def render_policy(plan: Mapping[str, Any], *, width: int = 80) -> str:
    """Policy violations under the tree (wrapped to the width)."""
    policy = plan.get("policy")
    if not policy:
        return ""
    violations = policy["violations"]
    head = f"    mlops-estate ({policy['enforcement']}): "
    if not violations:
        return "Policies:\n" + fit(head + "all rules passed", width)
    lines = ["Policies:", fit(head + f"{len(violations)} violation(s)", width)]
    for violation in violations:
        text = f"- [{violation['enforcement']}] {violation['policy']}: {violation['message']}"
        lines.extend("    " + line for line in wrap(text, width - 4))
        if violation.get("urn"):
            lines.append(fit(f"        {violation['urn'].rsplit('::', 1)[-1]}", width))
    return "\n".join(lines)


def summary_counts(plan: Mapping[str, Any], changes: list[dict[str, Any]] | None) -> dict[str, int]:
    """Counts per action, plus ``same`` (unchanged resources)."""
    if changes is None:
        return {"create": sum(1 for r in plan["resources"] if not r.get("read"))}
    counts = {action: 0 for action in ACTIONS}
    for change in changes:
        counts[change["action"]] += 1
    counts["same"] = len(plan["resources"]) - sum(counts[a] for a in ("create", "update", "replace"))
    return counts


def render_summary(plan: Mapping[str, Any], changes: list[dict[str, Any]] | None = None) -> str:
    """``Resources:`` counts, as pulumi prints them (``+ 1 to create``, ``183 unchanged``)."""
    counts = summary_counts(plan, changes)
    lines = ["Resources:"]
    for action in ACTIONS:
        if counts.get(action):
            lines.append(f"    {_SYMBOL[action]} {counts[action]} {_WORDS[action]}")
    if changes is not None:
        if not any(counts[a] for a in ACTIONS):
            lines.append("    no changes")
        lines.append(f"    {counts['same']} unchanged")
    return "\n".join(lines)


def style_of(line: str) -> str | None:
    """The colour of a line by its plan symbol (``+`` green, ``~`` yellow, ``-`` red, ``+-`` magenta)."""
    stripped = line.lstrip()
    if stripped.startswith("+-"):
        return "magenta"
    if stripped.startswith("+ ") or line.startswith(" +  "):
        return "green"
    if stripped.startswith("~ "):
        return "yellow"
    if stripped.startswith("- "):
        return "red"
    return None
