"""Resolve one declared link to concrete evidence: ✓ with what proves it, ✗ with why not, or
undecidable with what would decide it.

Evidence kinds (the fields each takes are documented in ``flows.yaml``):

* ``file`` — a regular expression found in a repository file → ``path:line``;
* ``yaml`` — a value at a path of a YAML file (pipelines, Azure ML specs) → ``path:line``;
* ``resource`` / ``absent`` — a resource of a stack's offline plan matched on type and inputs
  (its URN), or proof that none exists;
* ``output`` — a stack output of an offline plan;
* ``role`` — a role assignment in a plan: identity (a resource's principal) + role (a shared
  stack output) + scope;
* ``contract`` — the same value in two places (a file and a plan, two plans, two files);
* ``undecidable`` — what the offline plan cannot decide, and what would decide it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

OK, BROKEN, UNDECIDABLE = "ok", "broken", "undecidable"
_SELECTOR = re.compile(r"^(?P<key>[^\[]*)\[(?P<field>[^=\]]+)=(?P<value>[^\]]*)\]$")


@dataclass(frozen=True)
class Result:
    """A resolved link."""

    status: str
    evidence: str
    reason: str = ""


class Context:
    """What links are resolved against: the project files and the stacks' offline plans."""

    def __init__(
        self,
        project_dir: Path,
        stack: str,
        plan_of: Callable[[str], dict[str, Any]],
        variables: Mapping[str, str],
    ) -> None:
        self.project_dir = project_dir
        self.stack = stack
        self._plan_of = plan_of
        self.variables = dict(variables)
        self._yaml: dict[Path, Any] = {}

    def fill(self, value: Any) -> Any:
        """Replace ``{model}``, ``{model_dashed}``, ``{stack}``, ``{training_stack}`` in strings."""
        if isinstance(value, str):
            out = value
            for key, text in self.variables.items():
                out = out.replace("{" + key + "}", text)
            return out
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def plan(self, which: str) -> dict[str, Any]:
        """The plan of ``self`` (the traced stack), ``training``, ``shared`` or a stack name."""
        name = {"self": self.stack, "training": self.variables["training_stack"]}.get(which, which)
        return self._plan_of(name)

    def text(self, relative: str) -> str | None:
        path = self.project_dir / relative
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def yaml(self, relative: str) -> Any:
        path = self.project_dir / relative
        if path not in self._yaml:
            try:
                self._yaml[path] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
            except (OSError, YAMLError):
                self._yaml[path] = None
        return self._yaml[path]


def walk(value: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path with ``[field=value]`` list selectors; (found, value)."""
    current = value
    for part in [p for p in re.split(r"\.(?![^\[]*\])", path) if p]:
        match = _SELECTOR.match(part)
        if match:
            if match["key"]:
                if not isinstance(current, dict) or match["key"] not in current:
                    return False, None
                current = current[match["key"]]
            if not isinstance(current, list):
                return False, None
            hits = [
                i for i in current if isinstance(i, dict) and str(i.get(match["field"])) == match["value"]
            ]
            if not hits:
                return False, None
            current = hits[0]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def matches(value: Any, rule: Any) -> bool:
    """A value against a rule: a literal (equality) or ``{contains|endswith|includes|keys|exists}``."""
    if (
        isinstance(rule, dict)
        and len(rule) == 1
        and next(iter(rule))
        in ("contains", "endswith", "includes", "keys", "exists", "not_contains", "startswith", "json")
    ):
        op, want = next(iter(rule.items()))
        if op == "json":  # a JSON document in a string: {"json": {"at": path, "expect": rule}}
            import json

            try:
                document = json.loads(value) if isinstance(value, str) else None
            except ValueError:
                return False
            found, inner = walk(document, want["at"])
            return found and matches(inner, want.get("expect", {"exists": True}))
        if op == "exists":
            return (value is not None) == bool(want)
        if op == "contains":
            return isinstance(value, (str, list)) and all(
                w in value for w in (want if isinstance(want, list) else [want])
            )
        if op == "not_contains":
            return not (
                isinstance(value, (str, list))
                and any(w in value for w in (want if isinstance(want, list) else [want]))
            )
        if op == "endswith":
            return isinstance(value, str) and value.endswith(str(want))
        if op == "startswith":
            return isinstance(value, str) and value.startswith(str(want))
        if op == "includes":
            return isinstance(value, list) and all(w in value for w in want)
        return isinstance(value, dict) and all(k in value for k in want)
    return value == rule or (not isinstance(value, (dict, list)) and str(value) == str(rule))


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file(ctx: Context, f: dict[str, Any]) -> Result:
    path, pattern = f["path"], f["pattern"]
    text = ctx.text(path)
    if text is None:
        return Result(BROKEN, path, f"{path} does not exist")
    regex = re.compile(pattern, re.MULTILINE)
    found = regex.search(text)
    if not found:
        return Result(BROKEN, path, f"{path} has nothing matching /{pattern}/")
    line = text.count("\n", 0, found.start()) + 1
    return Result(OK, f"{path}:{line}: {_short(text.splitlines()[line - 1].strip())}")


def _yaml(ctx: Context, f: dict[str, Any]) -> Result:
    path, at = f["path"], f["at"]
    data = ctx.yaml(path)
    if data is None:
        return Result(BROKEN, path, f"{path} is missing or not YAML")
    found, value = walk(data, at)
    rule = f.get("expect", {"exists": True})
    if not found and rule == {"exists": False}:
        return Result(OK, f"{path}: no {at}")
    if not found:
        return Result(BROKEN, f"{path} {at}", f"{path} has no {at}")
    text = ctx.text(path) or ""
    last = re.split(r"[.\[]", at.rstrip("]"))[-1]
    line = _line_of(text, f"{last.split('=')[-1]}")
    if not matches(value, rule):
        return Result(BROKEN, f"{path}:{line} {at}", f"{at} is {_short(value)}, expected {_short(rule)}")
    return Result(OK, f"{path}:{line} {at} = {_short(value)}")


def _candidates(plan: dict[str, Any], f: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    where = f.get("where", {})
    out = []
    for r in plan.get("resources", []):
        if r["type"] != f["type"]:
            continue
        ok = True
        for path, rule in where.items():
            if isinstance(rule, dict) and "output" in rule:  # compare with a plan output
                _, rule = walk(ctx.plan(rule.get("plan", "self")).get("outputs", {}), rule["output"])
            found, value = walk(r, path)
            if not found or not matches(value, rule):
                ok = False
                break
        if ok:
            out.append(r)
    return out


def _resource(ctx: Context, f: dict[str, Any]) -> Result:
    plan = ctx.plan(f.get("plan", "self"))
    found = _candidates(plan, f, ctx)
    short_type = f["type"].split(":")[-1]
    if len(found) < int(f.get("count", 1)):
        return Result(
            BROKEN,
            f"{short_type} in the {plan.get('stack')} plan",
            f"no {short_type} in the {plan.get('stack')} plan with {_short(f.get('where', {}), 120)}",
        )
    return Result(OK, found[0]["urn"])


def _absent(ctx: Context, f: dict[str, Any]) -> Result:
    plan = ctx.plan(f.get("plan", "self"))
    found = _candidates(plan, f, ctx)
    if found:
        return Result(BROKEN, found[0]["urn"], f.get("why", "this resource must not exist"))
    return Result(
        OK, f"no {f['type'].split(':')[-1]} with {_short(f.get('where', {}), 50)} in {plan.get('stack')}"
    )


def _output(ctx: Context, f: dict[str, Any]) -> Result:
    plan = ctx.plan(f.get("plan", "self"))
    found, value = walk(plan.get("outputs", {}), f["at"])
    rule = f.get("expect", {"exists": True})
    where = f"{plan.get('stack')} output {f['at']}"
    if not found or not matches(value, rule):
        return Result(
            BROKEN, where, f"{where} is {_short(value) if found else 'absent'}, expected {_short(rule)}"
        )
    return Result(OK, f"{where} = {_short(value)}")


def _role(ctx: Context, f: dict[str, Any]) -> Result:
    plan = ctx.plan(f.get("plan", "self"))
    holders = _candidates(
        plan, {"type": f["principal"]["type"], "where": f["principal"].get("where", {})}, ctx
    )
    principals = {
        str(walk(r, "outputs.identity.principalId")[1]): r["name"]
        for r in holders
        if walk(r, "outputs.identity.principalId")[0]
    }
    found, role = walk(ctx.plan("shared").get("outputs", {}), f["role_output"])
    if not principals or not found:
        return Result(
            BROKEN, f"{plan.get('stack')} plan", "the identity or the shared role output is missing"
        )
    for r in plan.get("resources", []):
        inputs = r.get("inputs", {})
        if (
            r["type"] == "azure-native:authorization:RoleAssignment"
            and str(inputs.get("principalId")) in principals
            and str(inputs.get("roleDefinitionId")) == str(role)
        ):
            who = principals[str(inputs["principalId"])]
            return Result(
                OK,
                f"identity {who} ({inputs['principalId'][:8]}…) holds {f['role_output']} "
                f"(…{str(role)[-12:]}) on {_short(inputs.get('scope', ''), 40)}",
            )
    return Result(
        BROKEN,
        f"{plan.get('stack')} plan",
        f"no role assignment of {f['role_output']} to {', '.join(sorted(principals.values()))}",
    )


def _source(ctx: Context, source: dict[str, Any]) -> tuple[bool, Any, str]:
    if "value" in source:
        return True, source["value"], repr(source["value"])
    if "yaml" in source:
        found, value = walk(ctx.yaml(source["yaml"]) or {}, source["at"])
        return found, value, f"{source['yaml']} {source['at']}"
    if "output" in source:
        plan = ctx.plan(source.get("plan", "self"))
        found, value = walk(plan.get("outputs", {}), source["output"])
        return found, value, f"{plan.get('stack')} output {source['output']}"
    if "resource" in source:
        plan = ctx.plan(source.get("plan", "self"))
        hits = _candidates(plan, {"type": source["resource"], "where": source.get("where", {})}, ctx)
        if not hits:
            return False, None, f"{source['resource'].split(':')[-1]} in {plan.get('stack')}"
        found, value = walk(hits[0], source["at"])
        if found and source.get("parse_json"):
            import json

            value = json.loads(value)
            found, value = walk(value, source["parse_json"])
        return found, value, f"{hits[0]['name']} {source['at']}"
    text = ctx.text(source["file"]) or ""
    match = re.search(source["pattern"], text, re.MULTILINE)
    if not match:
        return False, None, source["file"]
    line = text.count("\n", 0, match.start()) + 1
    return True, match.group(1) if match.groups() else match.group(0), f"{source['file']}:{line}"


def _contract(ctx: Context, f: dict[str, Any]) -> Result:
    left_found, left, left_where = _source(ctx, f["left"])
    right_found, right, right_where = _source(ctx, f["right"])
    if not (left_found and right_found):
        missing = left_where if not left_found else right_where
        return Result(BROKEN, missing, f"{missing} not found")
    relation = f.get("relation", "equals")
    prefix = f.get("prefix", "")
    if relation == "equals":
        ok = str(left) == prefix + str(right) if not isinstance(left, (list, dict)) else left == right
    elif relation == "contains":
        ok = prefix + str(right) in str(left) if not isinstance(left, list) else right in left
    else:
        raise ConfigError(f"relation '{relation}' is not equals or contains", key="flows.contract.relation")
    shown = f"{left_where} {_short(left, 30)} {'=' if relation == 'equals' else '∋'} {right_where} {_short(right, 30)}"
    if not ok:
        return Result(
            BROKEN,
            shown,
            f"{left_where} is {_short(left)} but {right_where} is {_short(prefix + str(right))}",
        )
    return Result(OK, shown)


def _undecidable(ctx: Context, f: dict[str, Any]) -> Result:
    return Result(UNDECIDABLE, f["reason"], f["decided_by"])


RESOLVERS: dict[str, Callable[[Context, dict[str, Any]], Result]] = {
    "file": _file,
    "yaml": _yaml,
    "resource": _resource,
    "absent": _absent,
    "output": _output,
    "role": _role,
    "contract": _contract,
    "undecidable": _undecidable,
}


def resolve(ctx: Context, kind: str, fields: dict[str, Any], key: str) -> Result:
    """Resolve one link; a malformed declaration is a ConfigError naming its key."""
    try:
        return RESOLVERS[kind](ctx, ctx.fill(fields))
    except KeyError as exc:
        raise ConfigError(f"a '{kind}' link needs the field {exc.args[0]!r}", key=key) from None
