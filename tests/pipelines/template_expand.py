"""A small expander for the Azure Pipelines template features this repository uses.

It resolves ``- template: path`` items in ``stages``, ``jobs``, ``steps`` and ``variables`` lists
(paths relative to the including file), binds template and pipeline parameters (declared defaults,
``values`` lists, required parameters, no undeclared ones — as Azure DevOps does) and substitutes
``${{ parameters.NAME }}``. Conditional or iterative insertions (``${{ if }}``, ``${{ each }}``)
are deliberately unsupported: the pipelines avoid them so the schema can validate every file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.pipelines.pipeline_schema import load_yaml

_PARAM = re.compile(r"\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LIST_KEYS = ("stages", "jobs", "steps", "variables")


class TemplateError(Exception):
    """A template reference or parameter Azure DevOps would reject."""


def bind_parameters(declared: Any, given: dict[str, Any], where: Path) -> dict[str, Any]:
    """Return parameter values: given ones checked against the declarations, defaults for the rest."""
    declarations = declared or []
    if not isinstance(declarations, list):
        raise TemplateError(f"{where}: parameters must be a list of declarations")
    names = {decl["name"] for decl in declarations}
    unknown = sorted(set(given) - names)
    if unknown:
        raise TemplateError(f"{where}: unexpected parameter(s) {unknown}; declared: {sorted(names)}")
    bound: dict[str, Any] = {}
    for decl in declarations:
        name = decl["name"]
        if name in given:
            value = given[name]
        elif "default" in decl:
            value = decl["default"]
        else:
            raise TemplateError(f"{where}: required parameter {name!r} not given")
        allowed = decl.get("values")
        if allowed is not None and value not in allowed and "${{" not in str(value):
            raise TemplateError(f"{where}: parameter {name!r} is {value!r}; allowed: {allowed}")
        bound[name] = value
    return bound


def substitute(node: Any, params: dict[str, Any]) -> Any:
    """Replace ``${{ parameters.X }}`` in every string of ``node``."""
    if isinstance(node, dict):
        return {substitute(key, params): substitute(value, params) for key, value in node.items()}
    if isinstance(node, list):
        return [substitute(item, params) for item in node]
    if isinstance(node, str):
        whole = _PARAM.fullmatch(node.strip())
        if whole and node.strip() == node:
            return params[whole.group(1)] if whole.group(1) in params else node
        return _PARAM.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), node)
    return node


def _expand_lists(node: Any, base: Path, used: set[Path]) -> Any:
    """Expand template references inside ``node`` (already parameter-substituted)."""
    if isinstance(node, list):
        return [_expand_lists(item, base, used) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _LIST_KEYS and isinstance(value, list):
            items: list[Any] = []
            for item in value:
                if isinstance(item, dict) and "template" in item:
                    items.extend(
                        expand_template(base / item["template"], key, item.get("parameters") or {}, used)
                    )
                else:
                    items.append(_expand_lists(item, base, used))
            result[key] = items
        else:
            result[key] = _expand_lists(value, base, used)
    return result


def expand_template(path: Path, kind: str, given: dict[str, Any], used: set[Path]) -> list[Any]:
    """Return the ``kind`` items of the template at ``path`` with ``given`` parameters bound."""
    path = path.resolve()
    if not path.is_file():
        raise TemplateError(f"template {path} does not exist")
    used.add(path)
    document = load_yaml(path)
    if kind not in document:
        raise TemplateError(f"{path}: included as a {kind} template but has no {kind!r} list")
    params = bind_parameters(document.get("parameters"), given, path)
    body = substitute({kind: document[kind]}, params)
    return _expand_lists(body, path.parent, used)[kind]


def expand_pipeline(path: Path, given: dict[str, Any] | None = None) -> tuple[dict[str, Any], set[Path]]:
    """Return the expanded pipeline at ``path`` and the template files it used."""
    used: set[Path] = set()
    document = load_yaml(path)
    params = bind_parameters(document.get("parameters"), given or {}, path)
    body = substitute({k: v for k, v in document.items() if k != "parameters"}, params)
    expanded = _expand_lists(body, path.parent, used)
    if "parameters" in document:
        expanded = {"parameters": document["parameters"], **expanded}
    return expanded, used
