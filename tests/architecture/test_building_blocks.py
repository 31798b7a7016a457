"""Component type tokens, constructor length and one home per building block (AST checks).

* The type token of a deployed component type never changes: Pulumi derives every child's
  URN from it, so a new token replaces the whole subtree. The table below is the contract.
* Every component constructor stays at or under 120 lines; longer ones split by concern
  (the resource, its private endpoints, its diagnostics, its roles) into helper methods or
  files. Components still over the limit are listed with their current length; the list
  only shrinks.
* Each building block has one home: the secure storage account factory, the private
  endpoint, the role ids and the private DNS zone table. A second copy fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT
from tests.architecture.parsed import parse

TYPE_TOKENS: dict[str, str] = {
    "AksCluster": "mlops:aks:AksCluster",
    "BuildAgents": "mlops:delivery:BuildAgents",
    "BatchScheduler": "mlops:datafactory:BatchScheduler",
    "DatabricksWorkspace": "mlops:databricks:DatabricksWorkspace",
    "CentralRegistryWorkspace": "mlops:databricks:CentralRegistryWorkspace",
    "DevOpsEnvironment": "mlops:delivery:DevOpsEnvironment",
    "DevOpsProject": "mlops:delivery:DevOpsProject",
    "MlWorkspace": "mlops:ml_workspace:MlWorkspace",
    "ModelMonitor": "mlops:monitoring:ModelMonitor",
    "Monitoring": "mlops:monitoring:Monitoring",
    "Network": "mlops:network:Network",
    "Observability": "mlops:observability:Observability",
    "PrivateEndpoint": "mlops:private_endpoint:PrivateEndpoint",
    "MlRegistry": "mlops:registry:MlRegistry",
    "Budget": "mlops:operations:Budget",
    "MonitorEvents": "mlops:monitoring:MonitorEvents",
    "RetrainingLoop": "mlops:retraining:RetrainingLoop",
    "ModelAssets": "mlops:model_assets:ModelAssets",
}
"""Every component type the estate deploys and its type token (never edit a value: add an
alias to the component and a new entry instead)."""

MAX_CONSTRUCTOR_LINES = 120

OVER_LIMIT: dict[str, int] = {
    "components/model_monitor.py:ModelMonitor": 180,
}
"""Constructors still over the limit, with their length when the limit was introduced. The
length may only go down; a component at or under the limit leaves the list."""


def _sources(*folders: str) -> list[Path]:
    paths = []
    for folder in folders:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            rel = path.relative_to(PROJECT_ROOT)
            if "tests" in rel.parts or "function_app" in rel.parts or "templates" in rel.parts:
                continue
            paths.append(path)
    return paths


def _components() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in _sources("components", "model_assets"):
        tree = parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Attribute) and b.attr == "ComponentResource")
                or (isinstance(b, ast.Name) and b.id == "ComponentResource")
                for b in node.bases
            ):
                found.append((f"{path.relative_to(PROJECT_ROOT).as_posix()}:{node.name}", node))
    return found


COMPONENTS = _components()


def _token(cls: ast.ClassDef) -> str | None:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return node.args[0].value
    return None


def _constructor_lines(cls: ast.ClassDef) -> int:
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert init.end_lineno is not None
    return init.end_lineno - init.lineno + 1


def test_type_tokens_never_change():
    found = {cls.name: _token(cls) for _, cls in COMPONENTS}
    assert found == TYPE_TOKENS


@pytest.mark.parametrize(("where", "cls"), COMPONENTS, ids=[w for w, _ in COMPONENTS])
def test_constructor_is_short(where, cls):
    lines = _constructor_lines(cls)
    limit = OVER_LIMIT.get(where, MAX_CONSTRUCTOR_LINES)
    assert lines <= limit, (
        f"{where}.__init__ is {lines} lines (limit {limit}): split it by concern "
        "(resource, private endpoints, diagnostics, roles) into helper methods or files"
    )
    if where in OVER_LIMIT:
        assert lines > MAX_CONSTRUCTOR_LINES, f"{where} is now {lines} lines: remove it from OVER_LIMIT"
        assert lines == OVER_LIMIT[where] or lines < OVER_LIMIT[where]


def test_over_limit_names_real_components():
    assert set(OVER_LIMIT) <= {w for w, _ in COMPONENTS}


# --- one home per building block ---------------------------------------------------------

PROGRAM_FOLDERS = ("components", "stacks")


def _calls(path: Path) -> list[tuple[int, str]]:
    """Dotted names of every call in ``path`` (``storage.StorageAccount``...)."""
    tree = parse(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = []
            func: ast.expr = node.func
            while isinstance(func, ast.Attribute):
                parts.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                parts.append(func.id)
            found.append((node.lineno, ".".join(reversed(parts))))
    return found


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = parse(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # docstrings and messages may mention a zone; only a value that *is* one counts
            found.append((node.lineno, node.value))
    return found


def _rel(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


HOMES: dict[str, tuple[str, str]] = {
    "storage account": ("storage.StorageAccount", "components/storage.py"),
    "private endpoint": ("network.PrivateEndpoint", "components/private_endpoint.py"),
}
"""Resource constructors that only their home module may call."""


@pytest.mark.parametrize("block", sorted(HOMES))
def test_one_home_per_resource_factory(block):
    constructor, home = HOMES[block]
    allowed = {home}
    offenders = [
        f"{_rel(path)}:{line}"
        for path in _sources(*PROGRAM_FOLDERS)
        for line, name in _calls(path)
        if name == constructor and _rel(path) not in allowed
    ]
    assert not offenders, f"a second {block} implementation: {offenders} (use {home})"
    assert any(name == constructor for _, name in _calls(PROJECT_ROOT / home))


GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ROLE_HOME = "components/roles.py"
GUID_ELSEWHERE: dict[str, str] = {
    "components/release_trigger.py": "the Azure DevOps resource (application) id, not a role",
}
"""GUID literals outside the role table that are not role definition ids."""


def test_role_ids_and_namespaces_live_in_roles():
    offenders = [
        f"{_rel(path)}:{line} {value}"
        for path in _sources(*PROGRAM_FOLDERS)
        if _rel(path) not in (ROLE_HOME, *GUID_ELSEWHERE)
        for line, value in _string_literals(path)
        if GUID.match(value)
    ]
    assert not offenders, f"GUID literals outside {ROLE_HOME}: {offenders}"


def test_one_assignment_naming_function():
    offenders = [
        f"{_rel(path)}:{line}"
        for path in _sources(*PROGRAM_FOLDERS)
        if _rel(path) != ROLE_HOME
        for line, name in _calls(path)
        if name in ("uuid.uuid5", "uuid5", "uuid.UUID")
    ]
    assert not offenders, f"role assignment names are made by roles.assignment_name only: {offenders}"


DNS_HOME = "components/dns_zones.py"


def test_one_private_dns_zone_table():
    offenders = [
        f"{_rel(path)}:{line} {value}"
        for path in _sources(*PROGRAM_FOLDERS)
        if _rel(path) != DNS_HOME
        for line, value in _string_literals(path)
        if re.fullmatch(r"privatelink\.[a-z0-9.\-]+", value)
    ]
    assert not offenders, f"private DNS zone names outside {DNS_HOME}: {offenders}"
