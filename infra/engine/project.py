"""Reads ``Pulumi.yaml`` and a stack file and encodes config the way the Pulumi CLI does.

The program receives a flat map of strings keyed ``<namespace>:<key>``: strings stay as they
are, everything else is JSON-encoded, booleans and numbers as their text. Project-level
``config:`` defaults in ``Pulumi.yaml`` are prefixed with the project name. ``secure:``
values are never decrypted: they become a masked placeholder and are listed as secret keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class Project:
    """What ``Pulumi.yaml`` says."""

    name: str
    directory: Path
    main: Path
    """The program: a directory (run as ``<dir>/__main__.py``) or a module file."""
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        """The path of ``Pulumi.<stack>.yaml``."""
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack that has a stack file, in a stable order (shared first)."""
        names = [p.name[len("Pulumi.") : -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml")]
        order = {"shared": 0, "dev": 1, "qa": 2, "prod": 3}
        return sorted(names, key=lambda n: (order.get(n, 4), n))


@dataclass(frozen=True)
class StackConfig:
    """A stack's config as the language host would hand it to the program."""

    stack: str
    file: Path
    values: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path.name)) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a stack file (a YAML file)", file=path.name) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at line {line}); save it as UTF-8",
            file=path.name,
        ) from None
    except PermissionError:
        raise ConfigError("cannot be read (permission denied)", file=path.name) from None
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"malformed YAML{where}: {problem}", file=path.name) from None


def load_project(directory: Path) -> Project:
    """Read ``Pulumi.yaml`` in ``directory``."""
    directory = directory.resolve()
    data = _load_yaml(directory / "Pulumi.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError("a project file needs a 'name'", file="Pulumi.yaml", key="name")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ConfigError(
            f"runtime is {runtime_name!r}; the offline engine runs Python programs",
            file="Pulumi.yaml",
            key="runtime",
        )
    main = directory / str(data.get("main", "."))
    if not main.exists():
        raise ConfigError(f"main '{data.get('main')}' does not exist", file="Pulumi.yaml", key="main")
    config_dir = directory / str(data.get("stackConfigDir", "."))
    return Project(name=data["name"], directory=directory, main=main, stack_config_dir=config_dir)


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def _mask_secure(value: Any) -> tuple[Any, bool]:
    """Replace every ``{secure: ...}`` with the placeholder; report whether one was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _mask_secure(v)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_mask_secure(v) for v in value]
        return [v for v, _ in items], any(f for _, f in items)
    return value, False


def load_stack_config(project: Project, stack: str, overrides: dict[str, Any] | None = None) -> StackConfig:
    """Build the flat config map for ``stack``: project defaults, stack file, then ``overrides``."""
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise ConfigError(f"no stack '{stack}' (no {path.name}; stacks: {known})", key="STACK")
    values: dict[str, Any] = {}
    project_data = _load_yaml(project.directory / "Pulumi.yaml") or {}
    for key, spec in (project_data.get("config") or {}).items():
        full = key if ":" in key else f"{project.name}:{key}"
        default = spec.get("default") if isinstance(spec, dict) else spec
        if default is not None:
            values[full] = default
    data = _load_yaml(path)
    if data is None or data == {}:
        raise ConfigError(
            "the stack file is empty; it needs a 'config:' mapping with the mlops-estate settings "
            "(copy another stack's file and give it its own names)",
            file=path.name,
        )
    if not isinstance(data, dict):
        raise ConfigError("a stack file is a mapping with a 'config:' key", file=path.name)
    unknown_top = sorted(
        set(data) - {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}
    )
    if unknown_top:
        raise ConfigError(
            f"unknown top-level key '{unknown_top[0]}' (allowed: config, secretsprovider, encryptedkey, "
            "encryptionsalt, environment)",
            file=path.name,
        )
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(
            "'config:' must be a mapping of '<namespace>:<key>' to values", file=path.name, key="config"
        )
    values.update(config)
    for key, value in (overrides or {}).items():
        values[key] = value
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        masked, is_secret = _mask_secure(value)
        flat[str(key)] = _encode(masked)
        if is_secret:
            secret_keys.append(str(key))
    return StackConfig(stack=stack, file=path, values=flat, secret_keys=sorted(secret_keys))
