"""Architecture rules, checked on the source (AST), for every ComponentResource in the tree:

* a stable type token ``mlops:<module>:<Name>`` passed to ``super().__init__``;
* exactly one ``self.register_outputs(...)``, the constructor's last statement;
* components never read config (no ``pulumi.Config``, no ``infra.settings`` import);
* no resource is created inside ``apply`` (no constructor call of a capitalised name inside
  a lambda passed to ``.apply``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT
from tests.architecture.parsed import parse

TOKEN_PREFIX = "mlops:"


def _component_classes() -> list[tuple[Path, ast.ClassDef]]:
    found = []
    for folder in ("components", "model_assets"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if "function_app" in path.parts or "tests" in path.parts or "templates" in path.parts:
                continue
            tree = parse(path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and any(
                    (isinstance(b, ast.Attribute) and b.attr == "ComponentResource")
                    or (isinstance(b, ast.Name) and b.id == "ComponentResource")
                    for b in node.bases
                ):
                    found.append((path, node))
    return found


COMPONENTS = _component_classes()


def test_there_are_components():
    assert len(COMPONENTS) >= 1


@pytest.mark.parametrize(("path", "cls"), COMPONENTS, ids=[f"{p.stem}.{c.name}" for p, c in COMPONENTS])
def test_component_shape(path, cls):
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    assert init is not None, f"{cls.name} has no __init__"
    params = [a.arg for a in init.args.args]
    assert params[:3] == ["self", "name", "args"], f"{cls.name}.__init__ should take (self, name, args, opts)"
    supers = [
        n
        for n in ast.walk(init)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "__init__"
        and isinstance(n.func.value, ast.Call)
        and isinstance(n.func.value.func, ast.Name)
        and n.func.value.func.id == "super"
    ]
    assert len(supers) == 1, f"{cls.name}: one super().__init__ call"
    token = supers[0].args[0]
    assert isinstance(token, ast.Constant) and isinstance(token.value, str), f"{cls.name}: literal type token"
    parts = token.value.split(":")
    assert (
        len(parts) == 3
        and token.value.startswith(TOKEN_PREFIX)
        and parts[1].islower()
        and parts[2][:1].isupper()
    ), f"{cls.name}: token {token.value!r} is not mlops:<module>:<Name>"
    calls = [
        n
        for n in ast.walk(init)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "register_outputs"
    ]
    assert len(calls) == 1, f"{cls.name}: exactly one register_outputs"
    last = init.body[-1]
    assert (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and isinstance(last.value.func, ast.Attribute)
        and last.value.func.attr == "register_outputs"
    ), f"{cls.name}: register_outputs must be the constructor's last statement"


def test_type_tokens_are_unique():
    tokens: list[str] = []
    for _, cls in COMPONENTS:
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).startswith(TOKEN_PREFIX)
            ):
                tokens.append(str(node.args[0].value))
    assert len(tokens) == len(set(tokens)), sorted(tokens)


def _python_files(folder: str) -> list[Path]:
    return [p for p in sorted((PROJECT_ROOT / folder).rglob("*.py")) if "tests" not in p.parts]


@pytest.mark.parametrize("path", _python_files("components"), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_components_never_read_config(path):
    tree = parse(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("Config", "get_config"):
            pytest.fail(f"{path.name} reads config ({node.attr}) — components take typed args")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                assert not name.startswith("infra.settings"), f"{path.name} imports settings"
                assert not name.startswith("stacks"), f"{path.name} imports a stack module"


@pytest.mark.parametrize(
    "path",
    _python_files("components") + _python_files("stacks") + _python_files("model_assets"),
    ids=lambda p: str(p.relative_to(PROJECT_ROOT)),
)
def test_no_resources_created_inside_apply(path):
    tree = parse(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "apply":
            for arg in node.args:
                if isinstance(arg, ast.Lambda):
                    for inner in ast.walk(arg.body):
                        if isinstance(inner, ast.Call):
                            func = inner.func
                            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                            owner = (
                                func.value.id
                                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                                else ""
                            )
                            assert not (
                                name[:1].isupper()
                                and owner not in ("str", "json", "Output", "pulumi")
                                and name not in ("Output",)
                                and not name.endswith(("Args", "Error"))
                            ), (
                                f"{path.name}:{inner.lineno}: {name}(...) inside apply — create resources outside apply"
                            )
