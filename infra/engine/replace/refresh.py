"""Regenerate ``create_only.json`` from the Azure REST API specs and azure-native's own list.

    python -m infra.engine.replace.refresh --specs PATH/TO/azure-rest-api-specs \
        [--azure-native PATH/TO/pulumi-azure-native] [--commit SHA]

For every azure-native type the offline engine answers (``ARM_TABLE`` and the other
azure-native answers):

1. the API version is the one the installed pulumi-azure-native SDK uses for the type (the
   ``Uses Azure REST API version X`` line of the resource class's docstring);
2. the OpenAPI files of that version are searched for the ``put`` operation on the type's
   ARM path; its body schema is walked (``$ref`` across files, ``allOf``, arrays as
   ``[*]``), with ``x-ms-client-flatten`` properties lifted one level up exactly as
   azure-native flattens them into SDK inputs;
3. every writable property whose ``x-ms-mutability`` has ``create`` but not ``update`` is
   create-only (``createOnly``, every depth);
4. what forces a replace (``replace``) is what azure-native replaces on: a create-only
   property *of the resource itself* (azure-native does not replace the resource for a
   create-only property nested in a sub-object), plus every property azure-native's
   generator names in its ``forceNewMap`` (``provider/pkg/gen/replacement.go``, read from
   ``--azure-native``), at the depth where the walk finds it, minus its ``noForceNewMap``.

The specs tree may be *sparse* (only the files and definitions that were read): a ``$ref``
whose file or definition is absent is counted in ``unresolvedRefs`` and skipped. A file
``COMMITS.json`` at its root (``{"specification/...json": "<sha>"}``) records the commit
each file came from; otherwise every file is attributed to ``--commit`` (default: the
checkout's ``HEAD``). Run it when the SDK is upgraded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.engine.replace import TABLE_FILE

REPOSITORY = "https://github.com/Azure/azure-rest-api-specs"
AZURE_NATIVE_REPOSITORY = "https://github.com/pulumi/pulumi-azure-native"
REPLACEMENT_GO = "provider/pkg/gen/replacement.go"
COMMON_TYPES = "specification/common-types/resource-management/v5/types.json"
_VERSION = re.compile(r"Uses Azure REST API version (\S+?)\.?\s")
MAX_DEPTH = 8


def sdk_api_version(type_token: str) -> str | None:
    """The API version pulumi-azure-native uses for ``type_token`` (from the class docstring)."""
    import importlib
    import inspect

    _, module, name = type_token.split(":")
    package = importlib.import_module(f"pulumi_azure_native.{module}")
    cls = getattr(package, name, None)
    if cls is None:
        return None
    # The class's module text, not ``inspect.getsource(cls)``: that parses the module into an AST,
    # which CPython 3.11 cannot do safely while another thread formats a traceback.
    source = inspect.getsourcefile(cls)
    text = Path(source).read_text(encoding="utf-8") if source else ""
    match = _VERSION.search(inspect.getdoc(cls.__init__) or "") or _VERSION.search(text)
    return match.group(1) if match else None


_MAP_BLOCK = re.compile(
    r"var (forceNewMap|noForceNewMap) = map\[[^\]]+\]map\[string\]codegen\.StringSet\{(.*?)\n\}", re.S
)
_MODULE = re.compile(r'^\t"(\w+)": \{(.*?)^\t\},', re.S | re.M)
_RESOURCE = re.compile(r'"(\w+)":\s*codegen\.NewStringSet\((.*?)\)', re.S)


def parse_force_new(go_source: str) -> dict[str, dict[str, dict[str, list[str]]]]:
    """``{"forceNewMap"|"noForceNewMap": {module: {resource: [property, ...]}}}`` from
    azure-native's ``replacement.go`` (comments dropped, names as written)."""
    result: dict[str, dict[str, dict[str, list[str]]]] = {"forceNewMap": {}, "noForceNewMap": {}}
    for block_name, body in _MAP_BLOCK.findall(go_source):
        body = re.sub(r"//[^\n]*", "", body)
        for module, resources in _MODULE.findall(body + "\n"):
            for resource, names in _RESOURCE.findall(resources):
                result[block_name].setdefault(module, {})[resource] = sorted(re.findall(r'"(\w+)"', names))
    return result


def _names_for(table: dict[str, dict[str, list[str]]], namespace: str, type_token: str) -> set[str]:
    """The names azure-native lists for a type: its map is keyed by the resource provider
    (``Microsoft.ContainerService`` -> ``ContainerService``) and the SDK resource name."""
    provider = namespace.removeprefix("Microsoft.")
    name = type_token.rsplit(":", 1)[-1]
    for key, resources in table.items():
        if key.lower() == provider.lower():
            return set(resources.get(name, []))
    return set()


class _Specs:
    """Loads OpenAPI files and resolves ``$ref`` across them; tolerates a sparse tree."""

    def __init__(self) -> None:
        self._files: dict[Path, Any] = {}
        self.read: set[Path] = set()
        self.unresolved: set[str] = set()

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self._files:
            self._files[path] = json.loads(path.read_text(encoding="utf-8"))
            self.read.add(path)
        return self._files[path]

    def resolve(self, ref: str, base: Path) -> tuple[Any, Path] | None:
        file_part, _, pointer = ref.partition("#")
        target = (base.parent / file_part).resolve() if file_part else base
        if not target.is_file():
            self.unresolved.add(ref)
            return None
        node = self.load(target)
        for part in [p for p in pointer.split("/") if p]:
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                self.unresolved.add(f"{target.name}#{pointer}")
                return None
            node = node[key]
        return node, target


def _arm_suffix(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path).lower()


def _find_put(specs: _Specs, folder_files: list[Path], arm_path: str) -> tuple[Any, Path] | None:
    wanted = _arm_suffix(arm_path)
    for file in folder_files:
        document = specs.load(file)
        for path, operations in (document.get("paths") or {}).items():
            if not _arm_suffix(path).endswith(wanted) or "put" not in operations:
                continue
            for parameter in operations["put"].get("parameters", []):
                if "$ref" in parameter:
                    found = specs.resolve(parameter["$ref"], file)
                    if found is None:
                        continue
                    parameter = found[0]
                if parameter.get("in") == "body":
                    return parameter["schema"], file
    return None


@dataclass
class _Walk:
    """What one walk of a PUT body finds."""

    force_new_names: set[str]
    create_only: set[str] = field(default_factory=set)
    force_new: set[str] = field(default_factory=set)
    seen_names: set[str] = field(default_factory=set)


def _walk(
    specs: _Specs, schema: Any, base: Path, prefix: str, out: _Walk, depth: int, seen: frozenset[str]
) -> None:
    if depth > MAX_DEPTH or not isinstance(schema, dict):
        return
    if "$ref" in schema:
        key = f"{base}#{schema['$ref']}"
        if key in seen:
            return
        found = specs.resolve(schema["$ref"], base)
        if found is not None:
            _walk(specs, found[0], found[1], prefix, out, depth, seen | {key})
        return
    for parent in schema.get("allOf", []):
        _walk(specs, parent, base, prefix, out, depth, seen)
    if schema.get("type") == "array" and "items" in schema:
        _walk(specs, schema["items"], base, f"{prefix}[*]", out, depth + 1, seen)
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict) or prop.get("readOnly"):
            continue
        mutability = prop.get("x-ms-mutability")
        flatten = prop.get("x-ms-client-flatten") is True
        path = prefix if flatten else (f"{prefix}.{name}" if prefix else name)
        if not flatten and name in out.force_new_names:
            out.force_new.add(path)
            out.seen_names.add(name)
        if mutability is not None and "update" not in mutability and "create" in mutability and not flatten:
            out.create_only.add(path)
            continue
        _walk(specs, prop, base, path, out, depth + 1, seen)


def _top_level(path: str) -> bool:
    return "." not in path and "[" not in path


def extract(
    specs_root: Path,
    type_token: str,
    arm_path: str,
    force_new: dict[str, dict[str, dict[str, list[str]]]] | None = None,
    commits: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """The table row of one type, or None when its spec is not found."""
    version = sdk_api_version(type_token)
    if version is None:
        return None
    namespace = arm_path.split("/", 1)[0] if arm_path.startswith("Microsoft.") else "Microsoft.Resources"
    candidates = sorted(
        p
        for p in specs_root.glob(f"specification/*/resource-manager/{namespace}/**/{version}/*.json")
        if "examples" not in p.parts
    )
    specs = _Specs()
    found = _find_put(specs, candidates, arm_path)
    if found is None:
        return None
    schema, base = found
    force_new = force_new or {"forceNewMap": {}, "noForceNewMap": {}}
    names = _names_for(force_new["forceNewMap"], namespace, type_token)
    not_forced = _names_for(force_new["noForceNewMap"], namespace, type_token)
    walk = _Walk(force_new_names=names)
    _walk(specs, schema, base, "", walk, 0, frozenset())
    # A name azure-native lists that the body walk did not reach (a path parameter such as
    # ``scope``, or a definition the sparse tree lacks) applies to the input of that name.
    forced = walk.force_new | (names - walk.seen_names)
    replace = {p for p in walk.create_only if _top_level(p)} | forced
    replace = {p for p in replace if p.rsplit(".", 1)[-1].split("[", 1)[0] not in not_forced}
    root = specs_root.resolve()
    files = sorted(str(p.relative_to(root)) for p in specs.read)
    row: dict[str, Any] = {
        "apiVersion": version,
        "createOnly": sorted(walk.create_only),
        "replace": sorted(replace),
        "azureNativeForceNew": sorted(names),
        "specFiles": [{"path": f, "commit": (commits or {}).get(f, "")} for f in files],
    }
    if specs.unresolved:
        row["unresolvedRefs"] = len(specs.unresolved)
    return row


def common_types(specs_root: Path, commits: dict[str, str]) -> dict[str, Any]:
    """common-types' ``TrackedResource``: the create-only inputs every tracked resource has."""
    specs = _Specs()
    path = specs_root / COMMON_TYPES
    if not path.is_file():
        return {}
    walk = _Walk(force_new_names=set())
    _walk(specs, {"$ref": "#/definitions/TrackedResource"}, path.resolve(), "", walk, 0, frozenset())
    return {
        "TrackedResource": {
            "createOnly": sorted(walk.create_only),
            "specFile": COMMON_TYPES,
            "specCommit": commits.get(COMMON_TYPES, ""),
        }
    }


def plan_types() -> dict[str, str]:
    """Every azure-native type the offline engine answers: token -> ARM path ('' if unknown)."""
    import infra.engine.answers.serving  # noqa: F401  (registers the serving answers)
    from infra.engine.answers import ANSWERS
    from infra.engine.answers.azure_native import ARM_TABLE

    types = {token: row[1] for token, row in ARM_TABLE.items()}
    for token in ANSWERS:
        if token.startswith("azure-native:"):
            types.setdefault(token, "")
    return dict(sorted(types.items()))


def build(specs_root: Path, commit: str, force_new_source: Path | None) -> dict[str, Any]:
    """The whole table (see the module docstring)."""
    commits_file = specs_root / "COMMITS.json"
    commits: dict[str, str] = (
        json.loads(commits_file.read_text(encoding="utf-8")) if commits_file.is_file() else {}
    )
    force_new: dict[str, dict[str, dict[str, list[str]]]] = {"forceNewMap": {}, "noForceNewMap": {}}
    azure_native: dict[str, str] = {}
    if force_new_source is not None:
        go_file = force_new_source / REPLACEMENT_GO
        force_new = parse_force_new(go_file.read_text(encoding="utf-8"))
        azure_native = {
            "repository": AZURE_NATIVE_REPOSITORY,
            "file": REPLACEMENT_GO,
            "commit": commits.get(REPLACEMENT_GO, "") or _head(force_new_source),
        }
    types: dict[str, Any] = {}
    missing: list[dict[str, str]] = []
    azure_native_only: dict[str, list[str]] = {}
    for token, arm_path in plan_types().items():
        if not arm_path:
            missing.append({"type": token, "reason": "no ARM path in the engine's table"})
            continue
        row = extract(specs_root, token, arm_path, force_new, commits)
        if row is None:
            version = sdk_api_version(token)
            where = "the sparse specs tree (its spec was not read)" if commits else "the specs tree"
            missing.append({"type": token, "reason": f"no PUT for {arm_path} at {version} in {where}"})
            namespace = (
                arm_path.split("/", 1)[0] if arm_path.startswith("Microsoft.") else "Microsoft.Resources"
            )
            names = _names_for(force_new["forceNewMap"], namespace, token)
            if names:
                # Without the spec, azure-native's own names still apply, as top-level inputs.
                azure_native_only[token] = sorted(names)
            continue
        for spec_file in row["specFiles"]:
            spec_file["commit"] = spec_file["commit"] or commit
        types[token] = row
    return {
        "provenance": {
            "repository": REPOSITORY,
            # A sparse tree has no single commit: each spec file records its own.
            "commit": None if commits else commit,
            "tree": "sparse (only the files and definitions read; COMMITS.json)" if commits else "checkout",
            "date": dt.date.today().isoformat(),
            "sdk": "pulumi-azure-native " + _sdk_version(),
            "rule": (
                "createOnly: x-ms-mutability with 'create' and without 'update'; replace: the "
                "resource's own createOnly inputs plus azure-native's forceNewMap"
            ),
            "azureNative": azure_native,
            "notExtracted": missing,
        },
        "commonTypes": common_types(specs_root, commits),
        "azureNativeOnly": azure_native_only,
        "types": types,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--specs", type=Path, required=True, help="azure-rest-api-specs checkout (may be sparse)"
    )
    parser.add_argument("--azure-native", type=Path, help="pulumi-azure-native checkout (for replacement.go)")
    parser.add_argument("--commit", help="the specs checkout's commit (default: git rev-parse HEAD)")
    parser.add_argument("--out", type=Path, default=TABLE_FILE)
    args = parser.parse_args(argv)
    from infra.atomic import write_text

    table = build(args.specs, args.commit or _head(args.specs) or "", args.azure_native)
    write_text(args.out, json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(
        f"{args.out}: {len(table['types'])} types, {len(table['provenance']['notExtracted'])} not extracted",
        file=sys.stderr,
    )
    return 0


def _head(checkout: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi-azure-native")


if __name__ == "__main__":
    sys.exit(main())
