"""Regenerate ``create_only.json`` from an azure-rest-api-specs checkout.

    python -m infra.engine.replace.refresh --specs PATH/TO/azure-rest-api-specs [--commit SHA]

For every azure-native type the offline engine answers (``ARM_TABLE``) and that the plans use:

1. the API version is the one the installed pulumi-azure-native SDK uses for the type (the
   ``Uses Azure REST API version X`` line of the resource class's docstring);
2. the OpenAPI files of that version are searched for the ``put`` operation on the type's
   ARM path; its body schema is walked (``$ref`` across files, ``allOf``, arrays as
   ``[*]``), with ``x-ms-client-flatten`` properties lifted one level up exactly as
   azure-native flattens them into SDK inputs;
3. every writable property whose ``x-ms-mutability`` lacks ``update`` is create-only: a
   change replaces the resource.

The output lists per type the API version, the spec files read and the create-only input
paths, plus the provenance (repository, commit, date). Run it when the SDK is upgraded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.engine.replace import TABLE_FILE

REPOSITORY = "https://github.com/Azure/azure-rest-api-specs"
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
    match = _VERSION.search(inspect.getdoc(cls.__init__) or "") or _VERSION.search(inspect.getsource(cls))
    return match.group(1) if match else None


class _Specs:
    """Loads OpenAPI files and resolves ``$ref`` across them."""

    def __init__(self) -> None:
        self._files: dict[Path, Any] = {}
        self.read: set[Path] = set()

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self._files:
            self._files[path] = json.loads(path.read_text(encoding="utf-8"))
            self.read.add(path)
        return self._files[path]

    def resolve(self, ref: str, base: Path) -> tuple[Any, Path]:
        file_part, _, pointer = ref.partition("#")
        target = (base.parent / file_part).resolve() if file_part else base
        node = self.load(target)
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
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
                    parameter, _ = specs.resolve(parameter["$ref"], file)
                if parameter.get("in") == "body":
                    return parameter["schema"], file
    return None


def _walk(
    specs: _Specs, schema: Any, base: Path, prefix: str, out: set[str], depth: int, seen: frozenset[str]
) -> None:
    if depth > MAX_DEPTH or not isinstance(schema, dict):
        return
    if "$ref" in schema:
        key = f"{base}#{schema['$ref']}"
        if key in seen:
            return
        target, target_base = specs.resolve(schema["$ref"], base)
        _walk(specs, target, target_base, prefix, out, depth, seen | {key})
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
        if mutability is not None and "update" not in mutability and "create" in mutability and not flatten:
            out.add(path)
            continue
        _walk(specs, prop, base, path, out, depth + 1, seen)


def extract(specs_root: Path, type_token: str, arm_path: str) -> dict[str, Any] | None:
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
    out: set[str] = set()
    _walk(specs, schema, base, "", out, 0, frozenset())
    root = specs_root.resolve()
    return {
        "apiVersion": version,
        "createOnly": sorted(out),
        "specFiles": sorted(str(p.relative_to(root)) for p in specs.read),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, required=True, help="azure-rest-api-specs checkout")
    parser.add_argument("--commit", help="the checkout's commit (default: git rev-parse HEAD)")
    parser.add_argument("--out", type=Path, default=TABLE_FILE)
    args = parser.parse_args(argv)
    from infra.atomic import write_text
    from infra.engine.answers.azure_native import ARM_TABLE

    commit = (
        args.commit
        or subprocess.run(
            ["git", "-C", str(args.specs), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    types: dict[str, Any] = {}
    missing: list[str] = []
    for token, (_scope, arm_path, _name) in sorted(ARM_TABLE.items()):
        row = extract(args.specs, token, arm_path)
        if row is None:
            missing.append(token)
        else:
            types[token] = row
    table = {
        "provenance": {
            "repository": REPOSITORY,
            "commit": commit,
            "date": dt.date.today().isoformat(),
            "sdk": "pulumi-azure-native " + _sdk_version(),
            "rule": "x-ms-mutability without 'update' => replace",
            "notExtracted": missing,
        },
        "types": types,
    }
    write_text(args.out, json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"{args.out}: {len(types)} types, {len(missing)} without a spec", file=sys.stderr)
    return 0


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi-azure-native")


if __name__ == "__main__":
    sys.exit(main())
