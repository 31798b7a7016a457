"""The layers of the tree, checked on the source (AST) of every module: imports only run down.

    program      __main__.py
       |
    stacks       stacks/*
       |
    components   components/*            (components/serving/* included)
       |
    ground       infra.settings, infra.naming, infra.errors, infra.maturity, infra.vocabulary

    tooling      infra.engine, infra.cli, infra.cost, infra.timeline, infra.bench,
                 infra.promotion, infra.scaffold, infra.catalog (any other infra/<tool>)
                 -> may import the ground, policy and model_assets; the program never imports it
                    (the engine runs the program by path).
    policy       policy/*                 -> a CrossGuard leaf: imports nothing of the project
    model_assets model_assets/*           -> models and pipeline-side tools: the ground only
                                             (two compatibility shims re-export components.serving)

Every import counts, including ones inside functions (a lazy import is still an arrow).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT
from tests.architecture.parsed import parse

GROUND_MODULES: tuple[str, ...] = (
    "infra.settings",
    "infra.naming",
    "infra.errors",
    "infra.maturity",
    "infra.vocabulary",
)
"""The ground: everything may import these, they import only each other."""

LAYER_MAY_IMPORT: dict[str, frozenset[str]] = {
    "program": frozenset({"program", "stacks", "components", "ground"}),
    "stacks": frozenset({"stacks", "components", "ground"}),
    "components": frozenset({"components", "ground"}),
    "ground": frozenset({"ground"}),
    "tooling": frozenset({"tooling", "ground", "policy", "model_assets"}),
    "policy": frozenset({"policy"}),
    "model_assets": frozenset({"model_assets", "ground"}),
    "pipeline_scripts": frozenset({"ground"}),
    "package": frozenset(),
}
"""Which layers each layer may import (anything outside the project is always allowed)."""

DOCUMENTED_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("model_assets.traffic", "components.serving.traffic"): "compatibility shim: providers pickled under the "
    "old module path must keep unpickling",
    ("model_assets.code_asset", "components.serving.code_asset"): "compatibility shim: providers pickled "
    "under the old module path must keep unpickling",
    ("infra.cli.spec", "components.serving"): "estate spec check runs a spec through exactly the "
    "conversion the serving component uses",
    ("infra.cli.spec", "stacks.platform"): "estate spec check names the stack's compute clusters as the "
    "program names them (shrinking list: move the names to infra.vocabulary)",
    ("infra.rehearse.loop", "components.retraining.component"): "the rehearsal lands new data in the "
    "container the retraining Function watches, named by the component",
    ("model_assets.register_artifact", "infra.catalog"): "the pipeline's register step records the "
    "version it registered in the registry catalog (the catalog lists only registered versions)",
    ("model_assets.submit_training", "infra.engine.project"): "the training submitter reads the stack file "
    "through the engine's project loader (shrinking list: move the loader to the ground)",
}
"""(importer, imported) arrows that break the layers on purpose, each with its reason."""

PROJECT_PACKAGES = ("infra", "stacks", "components", "model_assets", "policy", "pipelines", "__main__")


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to."""
    if module == "__main__":
        return "program"
    top = module.split(".")[0]
    if top in ("stacks", "components", "policy", "model_assets"):
        return top
    if top == "pipelines":
        return "pipeline_scripts"
    if module == "infra":
        return "package"
    if any(module == g or module.startswith(g + ".") for g in GROUND_MODULES):
        return "ground"
    return "tooling"


def module_name(path: Path) -> str:
    rel = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _project_sources() -> list[Path]:
    found = []
    for path in sorted(PROJECT_ROOT.rglob("*.py")):
        rel = path.relative_to(PROJECT_ROOT)
        if rel.parts[0].startswith(".") or rel.parts[0] in ("tests", "out", "build"):
            continue
        # model folders' own tests and the Function App package run in their own interpreters
        if "tests" in rel.parts or "function_app" in rel.parts:
            continue
        found.append(path)
    return found


def _is_module(dotted: str) -> bool:
    path = PROJECT_ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """Every project module ``path`` imports (line, dotted name), relative imports resolved."""
    tree = parse(path)
    package = module if module is not None else module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            # ``from components import roles`` imports the module components.roles
            names = [
                f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base for alias in node.names
            ]
        for name in names:
            if name.split(".")[0] in PROJECT_PACKAGES:
                found.append((node.lineno, name))
    return found


SOURCES = _project_sources()


def test_every_layer_has_sources():
    layers = {layer_of(module_name(p)) for p in SOURCES}
    assert {"program", "stacks", "components", "ground", "tooling", "policy", "model_assets"} <= layers


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("__main__", "program"),
        ("stacks.platform", "stacks"),
        ("components.serving.model_assets", "components"),
        ("infra.settings.stack", "ground"),
        ("infra.errors", "ground"),
        ("infra.vocabulary", "ground"),
        ("infra.engine.runner", "tooling"),
        ("infra.promotion", "tooling"),
        ("infra.newtool.thing", "tooling"),
        ("policy.rules.naming", "policy"),
        ("model_assets.champion", "model_assets"),
    ],
)
def test_layer_of(module, expected):
    assert layer_of(module) == expected


def test_an_upward_import_is_found(tmp_path):
    """The scanner sees a lazy import inside a function (so the check below can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from stacks.context import StackContext\n    from . import roles\n")
    found = imports_of(probe, "components.probe")
    assert found == [(2, "stacks.context"), (3, "components.roles")]
    assert [layer_of(name) for _, name in found] == ["stacks", "components"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_imports_only_run_down(path):
    importer = module_name(path) or "__main__"
    if path.name == "__main__.py" and path.parent == PROJECT_ROOT:
        importer = "__main__"
    own = layer_of(importer)
    allowed = LAYER_MAY_IMPORT[own]
    wrong = [
        f"line {line}: {name} ({layer_of(name)})"
        for line, name in imports_of(path)
        if layer_of(name) not in allowed
        and not any(
            importer == a and (name == b or name.startswith(b + ".")) for a, b in DOCUMENTED_EXCEPTIONS
        )
    ]
    assert not wrong, f"{importer} ({own}) imports upward or sideways: {wrong}"


def test_documented_exceptions_are_still_needed():
    """An exception nobody needs any more is removed from the list (it only shrinks)."""
    by_module = {module_name(p): {name for _, name in imports_of(p)} for p in SOURCES}
    for importer, imported in DOCUMENTED_EXCEPTIONS:
        assert any(n == imported or n.startswith(imported + ".") for n in by_module.get(importer, ())), (
            f"{importer} no longer imports {imported}: drop the exception"
        )
